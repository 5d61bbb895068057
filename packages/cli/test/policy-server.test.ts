/**
 * Policy as code on the server, end to end with real processes: the example repository's policies
 * pushed with `steward policy push` (same digest as `steward check`), a version pushed and judged
 * for every ring after its scan, on-demand evaluation, waivers, dataset PII reports, the deploy
 * gate `steward verify`, and `steward check --report`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS, createTestDatabase, type TestDatabase } from '../../server/test/helpers/db.js';
import { ADMIN_TOKEN, type CliResult, type ServerProcess, json, ok, runCli, startServerProcess } from './helpers/processes.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const EXAMPLE = path.resolve(here, '../../../examples');

describe.each(DB_KINDS)('policy on the server (%s)', (kind) => {
  let root: string;
  let repo: string;
  let db: TestDatabase;
  let server: ServerProcess;
  let home: Record<string, string>;
  let reviewerToken: string;
  const REF = 'default/sentiment@1.0.0';

  const cli = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
    runCli(args, { env: { ...home, STEWARD_SERVER: server.url, STEWARD_TOKEN: ADMIN_TOKEN, ...env }, cwd: root });

  async function api(method: string, p: string, body?: unknown): Promise<any> {
    const r = await fetch(server.url + p, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    return r.json();
  }

  /** The server judges a push once its scan is done: wait for the stored evaluations. */
  async function evaluationsOf(ref: string): Promise<any[]> {
    for (let i = 0; i < 200; i++) {
      const r = json(await cli(['policy', 'results', ref, '--format', 'json']).then((x) => (x.stdout.trim() === '' ? { ...x, stdout: '{"evaluations":[]}' } : x)));
      if (r.evaluations.length > 0) return r.evaluations;
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error(`no evaluations of ${ref}`);
  }

  beforeAll(async () => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `steward-policy-${kind}-`)));
    home = { HOME: path.join(root, 'home'), XDG_CONFIG_HOME: path.join(root, 'xdg') };
    repo = path.join(root, 'repo');
    fs.cpSync(EXAMPLE, repo, { recursive: true });
    // The example names its model acme/sentiment; here it lives in the server's default org.
    const cfg = path.join(repo, 'steward.yaml');
    fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('name: acme/sentiment', 'name: default/sentiment'));
    const dataDir = path.join(root, 'data');
    fs.mkdirSync(dataDir);
    db = await createTestDatabase(kind, dataDir);
    server = await startServerProcess({ dataDir, databaseUrl: db.url });
    ok(await cli(['lock', '--config', path.join(repo, 'steward.yaml')]));
    ok(await cli(['users', 'create', 'carol', '--role', 'reviewer']));
    reviewerToken = json(await cli(['tokens', 'create', '--name', 'carol-ci', '--user', 'carol', '--json'])).token;
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('refuses policy files that do not lint before sending anything', async () => {
    const bad = path.join(root, 'bad.yaml');
    fs.writeFileSync(bad, 'policies:\n  - name: bad\n    rules:\n      - id: bad.one\n        severity: error\n        message: x\n        expression: record.nope == 1\n');
    const r = await cli(['policy', 'push', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml:7:\d+/);
    expect(r.stderr).toMatch(/nothing was pushed/);
    expect(json(await cli(['policy', 'sets', '--json']))).toEqual([]);
  });

  it('pushes the repository\'s policies (library, files, parameters) with the digest steward check prints', async () => {
    const pushed = json(await cli(['policy', 'push', '--config', path.join(repo, 'steward.yaml'), '--comment', 'from main', '--json']));
    expect(pushed.created).toBe(true);
    expect(pushed.policySet.params).toEqual({ evaluation: { minimum: 0.85 } });
    const checked = JSON.parse((await cli(['check', '--config', path.join(repo, 'steward.yaml'), '--format', 'json'])).stdout);
    expect(pushed.policySet.digest).toBe(checked.evaluations[0].policySet.digest);
    const sets = await cli(['policy', 'sets']);
    expect(sets.stdout).toMatch(new RegExp(`^\\*\\s+${pushed.policySet.digest}\\s+\\d+\\s+admin\\s+\\S+\\s+from main$`, 'm'));
    const out = path.join(root, 'extracted');
    ok(await cli(['policy', 'show', '--extract', out]));
    expect(fs.readFileSync(path.join(out, 'policies/acme.yaml'), 'utf8')).toBe(fs.readFileSync(path.join(repo, 'policies/acme.yaml'), 'utf8'));
  });

  it('judges a pushed version for every ring once scanned; the PII report given at registration is in the record', async () => {
    const reg = ok(await cli(['datasets', 'register', 'reviews@2024-01', '--source', 's3://acme-datasets/reviews/2024-01/', '--license', 'CC-BY-4.0', '--approved-by', 'carol', '--pii', path.join(repo, 'data/reviews-sample.csv')]));
    expect(reg.stdout).toMatch(/registered dataset reviews@2024-01 in org default; PII: /);
    ok(await cli(['push', path.join(repo, 'models/sentiment'), '--model', 'default/sentiment', '--version', '1.0.0', '--dataset', 'reviews@2024-01', '--risk-tier', 'limited']));
    const evaluations = await evaluationsOf(REF);
    expect(evaluations.map((e: any) => e.ring).sort()).toEqual(['beta', 'production', 'sandbox']);
    const record = await api('GET', '/api/v1/orgs/default/models/sentiment/versions/1.0.0/governance-record?ring=beta');
    expect(record.datasets[0]).toMatchObject({ name: 'reviews', registered: true, approvedBy: 'carol', pii: { scanned: true } });
    const prod = evaluations.find((e: any) => e.ring === 'production');
    expect(prod.outcome).toBe('failed');
    expect(prod.results.find((r: any) => r.ruleId === 'signing.trusted-signature').status).toBe('fail');
  });

  it('evaluates on request in every output format; exit 1 when the ring would be refused', async () => {
    const text = await cli(['policy', 'evaluate', REF, '--ring', 'production']);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/FAIL +error +signing\.trusted-signature: default\/sentiment@1\.0\.0 has no valid signature from a trusted key/);
    const github = await cli(['policy', 'evaluate', REF, '--ring', 'production', '--format', 'github', '--dry-run']);
    expect(github.stdout).toMatch(/^::error .*signing\.trusted-signature/m);
    const sarif = JSON.parse((await cli(['policy', 'evaluate', REF, '--ring', 'production', '--format', 'sarif', '--dry-run'])).stdout);
    expect(sarif.runs[0].results.map((r: any) => r.ruleId)).toContain('signing.trusted-signature');
    const junit = await cli(['policy', 'evaluate', REF, '--ring', 'production', '--format', 'junit', '--dry-run']);
    expect(junit.stdout).toMatch(/<testcase [^>]*name="signing\.trusted-signature"/);
    const unknownRing = await cli(['policy', 'evaluate', REF, '--ring', 'nightly']);
    expect(unknownRing.code).toBe(1);
    expect(unknownRing.stderr).toMatch(/ring "nightly" not found/);
  });

  it('a reviewer\'s waiver lets the failing rule through, is shown in the report, and can be revoked', async () => {
    const self = await cli(['waivers', 'add', REF, '--rule', 'signing.trusted-signature', '--reason', 'x', '--expires', '2030-01-01']);
    expect(self.code).toBe(1);
    expect(self.stderr).toMatch(/may not waive/);
    const expires = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
    const w = json(await cli(['waivers', 'add', REF, '--rule', 'signing.*', '--reason', 'HSM outage; signed build follows', '--expires', expires, '--json'], { STEWARD_TOKEN: reviewerToken }));
    expect(w).toMatchObject({ approver: 'carol', active: true });
    const ev = await cli(['policy', 'evaluate', REF, '--ring', 'production', '--dry-run', '--format', 'json']);
    const signing = JSON.parse(ev.stdout).evaluations[0].results.find((r: any) => r.ruleId === 'signing.trusted-signature');
    expect(signing).toMatchObject({ status: 'waived', waiver: { approver: 'carol', reason: 'HSM outage; signed build follows' } });
    const text = await cli(['policy', 'evaluate', REF, '--ring', 'production', '--dry-run']);
    expect(text.stdout).toMatch(/WAIVED.*signing\.trusted-signature/);
    expect(text.stdout).toMatch(/HSM outage; signed build follows/);
    ok(await cli(['waivers', 'revoke', w.id, '--reason', 'signed build is out'], { STEWARD_TOKEN: reviewerToken }));
    const list = await cli(['waivers', 'list', REF]);
    expect(list.stdout).toMatch(/signing\.\* +revoked by carol/);
  });

  it('steward verify passes for the registered files and names every difference otherwise', async () => {
    const dir = path.join(repo, 'models/sentiment');
    const good = await cli(['verify', REF, dir, '--ring', 'beta']);
    expect(good.code, good.stdout + good.stderr).toBe(0);
    expect(good.stdout).toMatch(/^ok {3}files: 3 files match default\/sentiment@1\.0\.0/m);
    expect(good.stdout).toMatch(/^ok {3}policy: passed for beta/m);
    // The production ring refuses it: a policy, not the files.
    const prod = await cli(['verify', REF, dir, '--ring', 'production']);
    expect(prod.code).toBe(1);
    expect(prod.stdout).toMatch(/^FAIL policy: failed for production: signing\.trusted-signature/m);
    const copy = path.join(root, 'deploy');
    fs.cpSync(dir, copy, { recursive: true });
    fs.appendFileSync(path.join(copy, 'config.json'), ' ');
    fs.writeFileSync(path.join(copy, 'extra.txt'), 'x');
    const bad = await cli(['verify', REF, copy, '--ring', 'beta', '--json']);
    expect(bad.code).toBe(1);
    const j = JSON.parse(bad.stdout);
    expect(j.allowed).toBe(false);
    expect(j.checks[0].detail).toMatch(/changed: config\.json/);
    expect(j.checks[0].detail).toMatch(/extra: extra\.txt/);
    const notDir = await cli(['verify', REF, path.join(root, 'nope')]);
    expect(notDir.code).toBe(2);
  });

  it('steward check --report records each model\'s result on the server', async () => {
    const r = await cli(['check', '--config', path.join(repo, 'steward.yaml'), '--report', '--commit', 'abc1234', '--ref', 'refs/pull/9/merge']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(/reported default\/sentiment: passed \(check run \S+ in org default\)/);
    const runs = await api('GET', '/api/v1/orgs/default/check-runs?model=sentiment');
    expect(runs.items[0]).toMatchObject({ model: 'sentiment', version: '1.0.0', outcome: 'passed', sourceCommit: 'abc1234', ref: 'refs/pull/9/merge', reportedBy: 'admin' });
    // A failing run is recorded too, with the rules that failed.
    const cfg = path.join(repo, 'steward.yaml');
    fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('license: Apache-2.0', 'license: CC-BY-NC-4.0'));
    const failing = await cli(['check', '--config', path.join(repo, 'steward.yaml'), '--report']);
    expect(failing.code).toBe(1);
    const after = await api('GET', '/api/v1/orgs/default/check-runs?model=sentiment');
    expect(after.items[0].outcome).toBe('failed');
    expect(after.items[0].failures.map((f: any) => f.ruleId)).toContain('license.commercial-use');
  });
});
