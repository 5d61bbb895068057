/**
 * Release rings end to end with real processes: a model pushed, entering sandbox at once, refused
 * production while its policy fails, signed with the org key, then promoted to production through
 * two reviewers and the governance board (it is high-risk), with every denial asserted: the
 * requester and the pusher reviewing, a viewer reviewing, a second review by one person, a frozen
 * ring, a failing policy without waiver, another org. Then a stale request, rollback and the
 * published decisions.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS, createTestDatabase, sqlFromOutside, type TestDatabase } from '../../server/test/helpers/db.js';
import { ADMIN_TOKEN, type CliResult, type ServerProcess, json, ok, runCli, startServerProcess } from './helpers/processes.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const EXAMPLE = path.resolve(here, '../../../examples');

describe.each(DB_KINDS)('promotion through release rings (%s)', (kind) => {
  let root: string;
  let repo: string;
  let db: TestDatabase;
  let server: ServerProcess;
  let home: Record<string, string>;
  const tokens: Record<string, string> = {};
  let requestId: string;

  const cli = (args: string[], as = 'admin'): Promise<CliResult> =>
    runCli(args, { env: { ...home, STEWARD_SERVER: server.url, STEWARD_TOKEN: as === 'admin' ? ADMIN_TOKEN : tokens[as]! }, cwd: root });

  /** Runs SQL on the server's database from outside, like a DBA. */
  const sql = <T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> => sqlFromOutside<T>(db, text, params);

  function refused(r: CliResult, message: RegExp): void {
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(message);
  }

  async function scanned(ref: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const r = await cli(['policy', 'results', ref, '--format', 'json']);
      if (r.stdout.trim() && JSON.parse(r.stdout).evaluations.length > 0) return;
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error(`${ref} was not evaluated`);
  }

  beforeAll(async () => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `steward-promo-${kind}-`)));
    home = { HOME: path.join(root, 'home'), XDG_CONFIG_HOME: path.join(root, 'xdg') };
    repo = path.join(root, 'repo');
    fs.cpSync(EXAMPLE, repo, { recursive: true });
    const dataDir = path.join(root, 'data');
    fs.mkdirSync(dataDir);
    db = await createTestDatabase(kind, dataDir);
    server = await startServerProcess({ dataDir, databaseUrl: db.url });
    for (const [name, role] of [['bob', 'maintainer'], ['rita', 'reviewer'], ['rob', 'reviewer'], ['gina', 'governance-board'], ['vic', 'viewer']] as const) {
      ok(await cli(['users', 'create', name, '--role', role]));
      tokens[name] = json(await cli(['tokens', 'create', '--name', `${name}-cli`, '--user', name, '--json'])).token;
    }
    ok(await cli(['policy', 'push', '--config', path.join(repo, 'steward.yaml')]));
    ok(await cli(['datasets', 'register', 'reviews@2024-01', '--source', 's3://acme-datasets/reviews/2024-01/', '--license', 'CC-BY-4.0', '--approved-by', 'rita', '--pii', path.join(repo, 'data/reviews-sample.csv')]));
    ok(await cli(['push', path.join(repo, 'models/sentiment'), '--model', 'default/sentiment', '--version', '1.0.0', '--dataset', 'reviews@2024-01', '--risk-tier', 'high']));
    await scanned('default/sentiment@1.0.0');
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('shows each ring\'s entry criteria', async () => {
    const rings = json(await cli(['rings', 'criteria', '--json']));
    expect(rings.map((r: any) => [r.ring, r.requiredApprovals, r.boardApprovals.high ?? 0])).toEqual([
      ['sandbox', 0, 0],
      ['beta', 1, 0],
      ['production', 2, 1],
    ]);
  });

  it('enters sandbox at once (no approvals needed, policy passes); a viewer may not ask', async () => {
    refused(await cli(['promote', 'default/sentiment@1.0.0', '--to', 'sandbox', '--reason', 'try it'], 'vic'), /may not promotion request|forbidden|not allowed/i);
    const r = json(await cli(['promote', 'default/sentiment@1.0.0', '--to', 'sandbox', '--reason', 'first internal build', '--json'], 'bob'));
    expect(r).toMatchObject({ status: 'promoted', ring: 'sandbox', requestedBy: 'bob', evaluation: { outcome: 'passed' } });
    const rings = await cli(['rings', 'list', 'default/sentiment']);
    expect(rings.stdout).toMatch(/sandbox\s+1\.0\.0/);
  });

  it('production opens a request that needs two approvals and the board; its evaluation shows what blocks it', async () => {
    const r = json(await cli(['promote', 'default/sentiment@1.0.0', '--to', 'production', '--reason', 'GA launch', '--json'], 'bob'));
    expect(r).toMatchObject({ status: 'open', approvals: { have: 0, need: 2, boardHave: 0, boardNeed: 1 }, currentVersion: null, evaluation: { outcome: 'failed' } });
    expect(r.evaluation.blocking).toContain('signing.trusted-signature');
    requestId = r.id;
    const shown = await cli(['request', requestId]);
    expect(shown.stdout).toMatch(/policy: +failed \(blocking: .*signing\.trusted-signature/);
    const again = await cli(['promote', 'default/sentiment@1.0.0', '--to', 'production', '--reason', 'again'], 'bob');
    refused(again, /is already open/);
    const toReview = json(await cli(['requests', '--to-review', '--json'], 'rita'));
    expect(toReview.map((x: any) => x.id)).toEqual([requestId]);
    expect(json(await cli(['requests', '--to-review', '--json'], 'bob'))).toEqual([]);
    expect(json(await cli(['requests', '--mine', '--json'], 'bob')).map((x: any) => x.id)).toContain(requestId);
  });

  it('refuses self-approval, the pusher, a wrong role, a repeated review, a failing policy, a frozen ring and another org', async () => {
    refused(await cli(['review', requestId, '--approve', '--comment', 'lgtm'], 'bob'), /opened request .* may not review it/);
    refused(await cli(['review', requestId, '--approve', '--comment', 'lgtm']), /pushed sentiment@1\.0\.0 and may not review/);
    refused(await cli(['review', requestId, '--approve', '--comment', 'lgtm'], 'vic'), /forbidden|may not/i);
    ok(await cli(['review', requestId, '--approve', '--comment', 'eval numbers hold up'], 'rita'));
    refused(await cli(['review', requestId, '--approve', '--comment', 'twice'], 'rita'), /already reviewed/);
    ok(await cli(['review', requestId, '--approve', '--comment', 'card and data reviewed'], 'rob'));
    expect(json(await cli(['request', requestId, '--json']))).toMatchObject({ status: 'open', approvals: { have: 2, need: 2, boardHave: 0, boardNeed: 1 } });
    // The approval that would complete it is judged again: still unsigned, so refused, and not recorded.
    refused(await cli(['review', requestId, '--approve', '--comment', 'board ok'], 'gina'), /may not enter production: .*signing\.trusted-signature: default\/sentiment@1\.0\.0 has no valid signature from a trusted key/);
    expect(json(await cli(['request', requestId, '--json'])).reviews).toHaveLength(2);
    const stored = await sql<{ outcome: string }>("SELECT outcome FROM policy_evaluations WHERE trigger = 'promotion'");
    expect(stored.filter((e) => e.outcome === 'failed').length).toBeGreaterThanOrEqual(2);
    // Signed with the org key; but a frozen ring still holds the final approval.
    ok(await cli(['signing-key', 'create']));
    ok(await cli(['signatures', 'sign', 'default/sentiment@1.0.0'], 'bob'));
    ok(await cli(['rings', 'freeze', 'production', '--reason', 'incident 42']));
    refused(await cli(['review', requestId, '--approve', '--comment', 'board ok'], 'gina'), /ring "production" is frozen .*incident 42/);
    ok(await cli(['rings', 'unfreeze', 'production']));
    // Another org sees nothing of this one.
    ok(await cli(['users', 'create', 'olga', '--role', 'admin']));
    tokens.olga = json(await cli(['tokens', 'create', '--name', 'olga-cli', '--user', 'olga', '--json'])).token;
    const olgaId = (await sql<{ id: string }>("SELECT id FROM users WHERE name = 'olga'"))[0]!.id;
    await sql("INSERT INTO orgs (id, name, created_at) VALUES ('org-other', 'other', '2026-01-01T00:00:00.000Z')");
    await sql('DELETE FROM org_members WHERE user_id = $1', [olgaId]);
    await sql("INSERT INTO org_members (org_id, user_id, role, created_at) VALUES ('org-other', $1, 'admin', '2026-01-01T00:00:00.000Z')", [olgaId]);
    refused(await cli(['--org', 'default', 'request', requestId], 'olga'), /not found/);
    refused(await cli(['--org', 'other', 'review', requestId, '--approve', '--comment', 'x'], 'olga'), /not found/);
    expect(json(await cli(['--org', 'other', 'requests', '--json'], 'olga'))).toEqual([]);
  });

  it('the board\'s approval meets the criteria: the ring moves with the decision, and the decision is published', async () => {
    const done = json(await cli(['review', requestId, '--approve', '--comment', 'high-risk sign-off', '--json'], 'gina'));
    expect(done).toMatchObject({ status: 'promoted', decidedBy: 'gina', approvals: { have: 3, boardHave: 1 } });
    expect((await cli(['rings', 'list', 'default/sentiment'])).stdout).toMatch(/production\s+1\.0\.0/);
    refused(await cli(['review', requestId, '--reject', '--comment', 'late'], 'vic'), /forbidden|may not|not open/i);
    const decisions = await cli(['decisions', 'default/sentiment']);
    expect(decisions.stdout).toMatch(/1\.0\.0 entered production on .*approved by rita \(reviewer\) and rob \(reviewer\) and gina \(governance-board\); requested by bob .*\("GA launch"\); policy set sha256:[0-9a-f]{64} passed: "high-risk sign-off"\./);
    expect(decisions.stdout).toMatch(/1\.0\.0 entered sandbox .*no approvals required/);
    // The evidence archive carries the requests and reviews, and the exports list the approvals.
    const archive = path.join(root, 'sentiment.evidence.tar.gz');
    ok(await cli(['evidence', 'create', 'default/sentiment@1.0.0', '-o', archive]));
    const verified = await cli(['evidence', 'verify', archive]);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^ok\s+approvals\.json\s+approvals\s+2 promotion request\(s\), 3 review\(s\) of default\/sentiment@1\.0\.0/m);
    const annex = (await cli(['export', 'default/sentiment@1.0.0', '--format', 'annex-iv'])).stdout;
    expect(annex).toMatch(/gina \(governance-board\)/);
  });

  it('a maintainer cannot bypass approvals by moving the pointer; a rejection closes a request; a request overtaken by a move goes stale', async () => {
    ok(await cli(['push', path.join(repo, 'models/sentiment'), '--model', 'default/sentiment', '--version', '1.1.0', '--dataset', 'reviews@2024-01', '--ignore', 'config.json']));
    await scanned('default/sentiment@1.1.0');
    refused(await cli(['rings', 'set', 'default/sentiment', '--ring', 'beta', '--version', '1.1.0'], 'bob'), /requires 1 approval\(s\): open a promotion request/);
    // An admin may override, on the record.
    ok(await cli(['rings', 'set', 'default/sentiment', '--ring', 'beta', '--version', '1.0.0', '--reason', 'hotfix path']));
    const r1 = json(await cli(['promote', 'default/sentiment@1.1.0', '--to', 'beta', '--reason', 'smaller config', '--json'], 'bob'));
    expect(r1.diff.files.removed.map((f: any) => f.path)).toEqual(['config.json']);
    const rejected = json(await cli(['review', r1.id, '--reject', '--comment', 'config.json is needed', '--json'], 'rita'));
    expect(rejected.status).toBe('rejected');
    const r2 = json(await cli(['promote', 'default/sentiment@1.1.0', '--to', 'beta', '--reason', 'retry', '--json'], 'bob'));
    // An admin moves beta directly while the request waits: what the reviewers would approve is gone.
    ok(await cli(['rings', 'set', 'default/sentiment', '--ring', 'beta', '--version', '1.1.0', '--reason', 'expedite']));
    const stale = json(await cli(['review', r2.id, '--approve', '--comment', 'ok', '--json'], 'rob'));
    expect(stale.status).toBe('stale');
    expect((await cli(['rings', 'list', 'default/sentiment'])).stdout).toMatch(/beta\s+1\.1\.0/);
  });

  it('rollback is one command and a recorded decision; a frozen model moves nowhere', async () => {
    ok(await cli(['promote', 'default/sentiment@1.1.0', '--to', 'sandbox', '--reason', 'try 1.1', '--json'], 'bob'));
    ok(await cli(['freeze', 'default/sentiment', '--reason', 'audit in progress']));
    refused(await cli(['rollback', 'default/sentiment', '--ring', 'sandbox', '--reason', 'bad'], 'bob'), /model sentiment is frozen .*audit in progress/);
    ok(await cli(['unfreeze', 'default/sentiment']));
    ok(await cli(['rollback', 'default/sentiment', '--ring', 'sandbox', '--reason', 'latency regression'], 'bob'));
    const decisions = (await cli(['decisions', 'default/sentiment'])).stdout;
    expect(decisions).toMatch(/bob rolled sandbox back from 1\.1\.0 to 1\.0\.0 on .*: "latency regression"\./);
    expect(decisions).toMatch(/admin pointed beta at 1\.0\.0 directly \(no promotion request\) .*"hotfix path"/);
    expect(decisions).toMatch(/rita rejected 1\.1\.0 for beta .*"config\.json is needed"/);
    expect(decisions).toMatch(/request for 1\.1\.0 to enter beta went stale/);
    const audit = json(await cli(['audit', 'log', '--action', 'promotion.*', '--limit', '1000', '--json']));
    expect(new Set(audit.map((e: any) => e.action))).toEqual(new Set(['promotion.requested', 'promotion.reviewed', 'promotion.approved', 'promotion.rejected', 'promotion.stale']));
  });
});
