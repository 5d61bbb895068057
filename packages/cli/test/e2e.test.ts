/**
 * End to end: the `steward` CLI as processes against `steward server` as a process, on SQLite and
 * Postgres. One server per database kind is shared by the registry suites; bootstrap has its own.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS, createTestDatabase, type TestDatabase } from '../../server/test/helpers/db.js';
import { MALFORMED_CARD, MALFORMED_CARD_LINE, expectedRootDigest, listAll, modelCard, random, readTree, sha256, treeDiff, writeTree } from './helpers/files.js';
import { spawn } from 'node:child_process';
import { ADMIN_TOKEN, CLI_BIN, type CliResult, type ServerProcess, json, lastLine, ok, runCli, startServerProcess } from './helpers/processes.js';

const TOKEN_RE = /^stw_[A-Za-z0-9_-]{43}$/;

describe.each(DB_KINDS)('steward CLI against a server process (%s)', (kind) => {
  let root: string;
  let db: TestDatabase;
  let server: ServerProcess;
  let home: { HOME: string; XDG_CONFIG_HOME: string };

  /** The CLI as the admin, through STEWARD_SERVER / STEWARD_TOKEN. */
  const cli = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
    runCli(args, { env: { ...home, STEWARD_SERVER: server.url, STEWARD_TOKEN: ADMIN_TOKEN, ...env }, cwd: root });

  /** Direct HTTP for cheap side checks (the CLI is what is under test). */
  const api = async (method: string, p: string, body?: unknown, token = ADMIN_TOKEN): Promise<{ status: number; json: any }> => {
    const res = await fetch(server.url + p, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  };
  const versionsOf = async (model: string): Promise<string[]> => {
    const r = await api('GET', `/api/v1/orgs/default/models/${model}/versions?limit=500`);
    if (r.status === 404) return [];
    expect(r.status).toBe(200);
    return (r.json.items as { version: string }[]).map((v) => v.version).sort();
  };
  const isMissing = async (digest: string): Promise<boolean> => {
    const r = await api('POST', '/api/v1/orgs/default/blobs/missing', { digests: [digest] });
    expect(r.status).toBe(200);
    return (r.json.missing as string[]).includes(digest);
  };
  const blobPath = (digest: string) => path.join(server.dataDir, 'blobs', 'sha256', digest.slice(0, 2), digest);
  const tmp = (name: string) => fs.mkdtempSync(path.join(root, `${name}-`));

  // default/p: two versions shared by the pull and the users suites.
  let p1Dir: string;
  let p2Dir: string;
  let p1Digest: string;
  let p2Digest: string;

  beforeAll(async () => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `steward-cli-e2e-${kind}-`)));
    home = { HOME: path.join(root, 'home'), XDG_CONFIG_HOME: path.join(root, 'xdg') };
    const dataDir = path.join(root, 'data');
    fs.mkdirSync(dataDir);
    db = await createTestDatabase(kind, dataDir);
    server = await startServerProcess({ dataDir, databaseUrl: db.url });

    p1Dir = writeTree(path.join(root, 'p1'), { 'README.md': modelCard({ accuracy: 0.89 }), 'weights.bin': random(300_000), 'nested/deep/config.json': '{"layers": 2}\n', 'nested/empty.txt': '' });
    p2Dir = writeTree(path.join(root, 'p2'), { 'README.md': modelCard({ accuracy: 0.93 }), 'weights.bin': random(200_000), 'tokenizer/vocab.txt': 'a\nb\nc\n' });
    p1Digest = lastLine(ok(await cli(['push', p1Dir, '--model', 'default/p', '--version', '1.0.0'])).stdout).replace('sha256:', '');
    p2Digest = lastLine(ok(await cli(['push', p2Dir, '--model', 'default/p', '--version', '1.1.0'])).stdout).replace('sha256:', '');
  });

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  describe('bootstrap', () => {
    it('without STEWARD_BOOTSTRAP_TOKEN prints a random admin token once; it works; a restart prints none', async () => {
      const dir = tmp('boot');
      const bdb = await createTestDatabase(kind, dir);
      try {
        const s1 = await startServerProcess({ dataDir: dir, databaseUrl: bdb.url, bootstrapToken: null });
        let token: string;
        try {
          const lines = s1.stderr().split('\n').filter((l) => l.includes('admin API token'));
          expect(lines).toHaveLength(1);
          const m = /^steward: admin API token \(shown once[^)]*\): (\S+)$/.exec(lines[0]!);
          expect(m?.[1]).toMatch(TOKEN_RE);
          token = m![1]!;
          expect(s1.stderr()).toContain('created org "default" and admin user "admin"');
          const who = await runCli(['whoami'], { env: { ...home, STEWARD_SERVER: s1.url, STEWARD_TOKEN: token } });
          expect(ok(who).stdout).toBe('admin (token bootstrap)\n  default: admin\n');
        } finally {
          expect(await s1.stop()).toBe(0);
        }
        const s2 = await startServerProcess({ dataDir: dir, databaseUrl: bdb.url, bootstrapToken: null });
        try {
          expect(s2.stderr()).toMatch(/listening on/);
          expect(s2.stderr()).not.toContain('admin API token');
          expect(s2.stderr()).not.toContain('stw_');
          expect(s2.stderr()).not.toContain('created org');
          // Same database: the first start's token still works.
          const who = await runCli(['whoami'], { env: { ...home, STEWARD_SERVER: s2.url, STEWARD_TOKEN: token } });
          expect(ok(who).stdout).toContain('admin (token bootstrap)');
        } finally {
          expect(await s2.stop()).toBe(0);
        }
      } finally {
        await bdb.drop();
      }
    });
  });

  describe('login and orgs', () => {
    it('login saves 0600 credentials that later commands use; a bad token exits 1 and saves nothing', async () => {
      const h = { HOME: path.join(root, 'login-home'), XDG_CONFIG_HOME: path.join(root, 'login-xdg') };
      const credFile = path.join(h.XDG_CONFIG_HOME, 'steward', 'credentials.json');
      const badToken = 'stw_not-a-real-token-0000000000000000000000000';

      const bad = await runCli(['login', '--server', server.url, '--token', badToken], { env: h });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('steward: error: unknown token');
      expect(fs.existsSync(credFile)).toBe(false);

      const good = ok(await runCli(['login', '--server', server.url, '--token', ADMIN_TOKEN], { env: h }));
      expect(good.stdout).toBe(`logged in to ${server.url} as admin (orgs: default:admin)\n`);
      expect(good.stderr).toContain(credFile);
      expect(fs.statSync(credFile).mode & 0o777).toBe(0o600);
      expect(JSON.parse(fs.readFileSync(credFile, 'utf8'))).toEqual({ server: server.url, token: ADMIN_TOKEN });

      // No STEWARD_* in the environment: only the saved login tells them where and who.
      const [who, orgs] = await Promise.all([runCli(['whoami'], { env: h }), runCli(['orgs'], { env: h })]);
      expect(ok(who).stdout).toBe('admin (token bootstrap)\n  default: admin\n');
      const orgLines = ok(orgs).stdout.trimEnd().split('\n');
      expect(orgLines[0]).toMatch(/^ORG\s+ROLE\s+CREATED$/);
      expect(orgLines.slice(1)).toHaveLength(1);
      expect(orgLines[1]).toMatch(/^default\s+admin\s+\d{4}-\d\d-\d\dT/);

      // A failed login leaves the saved one alone.
      const before = fs.readFileSync(credFile, 'utf8');
      const bad2 = await runCli(['login', '--server', server.url, '--token', badToken], { env: h });
      expect(bad2.code).toBe(1);
      expect(fs.readFileSync(credFile, 'utf8')).toBe(before);
    });
  });

  describe('hash and push', () => {
    let m1: string;
    beforeAll(() => {
      m1 = writeTree(path.join(root, 'm1'), {
        'README.md': modelCard(),
        'model.safetensors': random(1 << 20),
        'tokenizer.json': '{"vocab": {"a": 1}}\n',
        'nested/deep/adapter.bin': random(4096),
      });
    });

    it('hash --json root digest = the digest push prints = show manifestDigest = an independent computation', async () => {
      const expected = expectedRootDigest(readTree(m1));
      const [hashR, pushR] = await Promise.all([cli(['hash', m1, '--json']), cli(['push', m1, '--model', 'default/m', '--version', '1.0.0'])]);
      const hash = json(hashR);
      expect(hash.rootDigest).toBe(expected);
      expect(hash.files.map((f: { path: string }) => f.path)).toEqual(['README.md', 'model.safetensors', 'nested/deep/adapter.bin', 'tokenizer.json']);
      ok(pushR);
      expect(lastLine(pushR.stdout)).toBe(`sha256:${expected}`);
      expect(pushR.stderr).toMatch(/pushed default\/m@1\.0\.0: 4 files, [\d.]+ MiB; uploaded 4 files/);

      const show = json(await cli(['show', 'default/m@1.0.0', '--json']));
      expect(show.manifestDigest).toBe(expected);
      expect(show.manifest.files).toEqual(hash.files);
      expect(show.fileCount).toBe(4);
      expect(show.totalSize).toBe([...readTree(m1).values()].reduce((n, b) => n + b.length, 0));
      // The model card was parsed from README.md.
      expect(show.card.path).toBe('README.md');
      expect(show.card.problems).toEqual([]);
      expect(show.card.metadata).toMatchObject({ license: 'apache-2.0', datasets: ['wiki'], baseModels: ['default/base'], pipelineTag: 'text-classification' });
      expect(show.card.metadata.modelIndex[0].results[0].metrics[0]).toEqual({ type: 'accuracy', value: 0.91 });
      expect(show.card.recognizedSections).toEqual(expect.arrayContaining(['intended_use', 'limitations']));
    });

    it('re-pushing the unchanged model uploads no bytes and creates nothing', async () => {
      const r = json(await cli(['push', m1, '--model', 'default/m', '--version', '1.0.0', '--json']));
      expect(r).toMatchObject({ created: false, modelCreated: false, uploadedFiles: 0, uploadedBytes: 0 });
      expect(r.version.manifestDigest).toBe(expectedRootDigest(readTree(m1)));
      expect(await versionsOf('m')).toEqual(['1.0.0']);
    });

    it('a malformed model card does not stop the push; the version records what is wrong and on which line', async () => {
      const dir = writeTree(tmp('bad-card'), { 'README.md': MALFORMED_CARD, 'model.safetensors': random(1000) });
      const r = ok(await cli(['push', dir, '--model', 'default/m', '--version', '1.1.0']));
      expect(r.stderr).toContain(`README.md:${MALFORMED_CARD_LINE}: error:`);
      const v = json(await cli(['show', 'default/m@1.1.0', '--json']));
      expect(v.card.problems.length).toBeGreaterThan(0);
      expect(v.card.problems[0]).toMatchObject({ line: MALFORMED_CARD_LINE, severity: 'error' });
      expect(v.card.problems[0].message).toMatch(/mapping/i);
    });

    it('pushing an existing version with other content exits 1 and keeps the original', async () => {
      const dir = tmp('changed');
      fs.cpSync(m1, dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'tokenizer.json'), '{"vocab": {"b": 2}}\n');
      const r = await cli(['push', dir, '--model', 'default/m', '--version', '1.0.0']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/default\/m@1\.0\.0 already exists with different content/);
      expect(r.stdout).toBe('');
      const v = await api('GET', '/api/v1/orgs/default/models/m/versions/1.0.0');
      expect(v.json.manifestDigest).toBe(expectedRootDigest(readTree(m1)));
    });

    it('an invalid semver exits 2 before anything is uploaded or stored', async () => {
      const unique = random(5000);
      const dir = writeTree(tmp('semver'), { 'w.bin': unique });
      const before = await versionsOf('m');
      const r = await cli(['push', dir, '--model', 'default/m', '--version', '1.0']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--version: "1.0"');
      expect(r.stderr).toMatch(/semantic version/);
      expect(await versionsOf('m')).toEqual(before);
      expect(await isMissing(sha256(unique))).toBe(true);
    });

    it('a symlink in the directory is refused (exit 2) unless --allow-symlinks', async () => {
      const weights = random(7000);
      const dir = writeTree(tmp('symlink'), { 'model.bin': weights });
      fs.symlinkSync('model.bin', path.join(dir, 'link.bin'));
      const before = await versionsOf('m');
      const refused = await cli(['push', dir, '--model', 'default/m', '--version', '1.2.0']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/link\.bin.*symbolic link/);
      expect(await versionsOf('m')).toEqual(before);
      expect(await isMissing(sha256(weights))).toBe(true);

      const allowed = json(await cli(['push', dir, '--model', 'default/m', '--version', '1.2.0', '--allow-symlinks', '--json']));
      expect(allowed.created).toBe(true);
      expect(allowed.version.manifest.serialization.allow_symlinks).toBe(true);
      expect(allowed.version.manifest.files).toEqual([
        { path: 'link.bin', size: 7000, sha256: sha256(weights) },
        { path: 'model.bin', size: 7000, sha256: sha256(weights) },
      ]);
    });

    it('an unregistered --dataset exits 1 with a clear message; a malformed one exits 2; no version either way', async () => {
      const unknown = await cli(['push', m1, '--model', 'default/m', '--version', '2.0.0', '--dataset', 'nope@1']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('dataset nope@1 is not registered in org "default"');
      const malformed = await cli(['push', m1, '--model', 'default/m', '--version', '2.0.0', '--dataset', 'foo']);
      expect(malformed.code).toBe(2);
      expect(malformed.stderr).toContain('--dataset: expected NAME@VERSION, got "foo"');
      expect(await versionsOf('m')).not.toContain('2.0.0');
    });
  });

  describe('listing', () => {
    it('versions lists newest first; models shows latest version and rings', async () => {
      const [versions, models, text] = await Promise.all([cli(['versions', 'default/p', '--json']), cli(['models', '--json']), cli(['versions', 'default/p'])]);
      expect(json(versions).map((v: { version: string; manifestDigest: string }) => [v.version, v.manifestDigest])).toEqual([
        ['1.1.0', p2Digest],
        ['1.0.0', p1Digest],
      ]);
      const p = json(models).find((m: { name: string }) => m.name === 'p');
      expect(p).toMatchObject({ org: 'default', latestVersion: '1.1.0', owners: ['admin'], rings: { sandbox: null, beta: null, production: null } });
      const lines = ok(text).stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^VERSION\s+FILES\s+SIZE/);
      expect(lines[1]).toMatch(/^1\.1\.0\s+3\s+/);
      expect(lines[2]).toMatch(/^1\.0\.0\s+4\s+/);
    });
  });

  describe('pull', () => {
    it('by version and by ring: byte-identical files, the manifest digest on stdout', async () => {
      ok(await cli(['rings', 'set', 'default/p', '--ring', 'beta', '--version', '1.1.0']));
      const a = path.join(root, 'pull-a');
      const b = path.join(root, 'pull-b');
      const [ra, rb] = await Promise.all([cli(['pull', 'default/p@1.0.0', a]), cli(['pull', 'default/p@beta', b])]);
      expect(lastLine(ok(ra).stdout)).toBe(`sha256:${p1Digest}`);
      expect(ra.stderr).toMatch(/pulled default\/p@1\.0\.0 into .*: 4 files .*4 downloaded, 0 already present; all digests verified/);
      expect(lastLine(ok(rb).stdout)).toBe(`sha256:${p2Digest}`);
      expect(rb.stderr).toContain('pulled default/p@1.1.0');
      expect(treeDiff(a, p1Dir)).toEqual([]);
      expect(treeDiff(b, p2Dir)).toEqual([]);
      expect(listAll(a)).toEqual(['README.md', 'nested', 'nested/deep', 'nested/deep/config.json', 'nested/empty.txt', 'weights.bin']);

      // Pulling again reuses verified files and replaces a locally modified one.
      fs.writeFileSync(path.join(a, 'weights.bin'), 'tampered');
      const again = ok(await cli(['pull', 'default/p@1.0.0', a]));
      expect(again.stderr).toContain('1 downloaded, 3 already present; all digests verified');
      expect(treeDiff(a, p1Dir)).toEqual([]);
    });

    it('a corrupted blob on the server: exit 1 naming the file, and neither the file nor a partial is left', async () => {
      const weights = fs.readFileSync(path.join(p1Dir, 'weights.bin'));
      const file = blobPath(sha256(weights));
      expect(fs.readFileSync(file).equals(weights)).toBe(true);
      const corrupt = Buffer.from(weights);
      corrupt.fill(0x5a, 1000, 1100);
      fs.writeFileSync(file, corrupt);
      try {
        const dir = path.join(root, 'pull-corrupt');
        const r = await cli(['pull', 'default/p@1.0.0', dir]);
        expect(r.code).toBe(1);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(/weights\.bin: digest mismatch/);
        expect(r.stderr).not.toContain('all digests verified');
        const left = listAll(dir);
        expect(left.filter((p) => p.startsWith('weights.bin'))).toEqual([]);
        expect(left.filter((p) => p.includes('partial'))).toEqual([]);
      } finally {
        fs.writeFileSync(file, weights);
      }
    });

    it('a truncated blob on the server: pull exits 1 instead of hanging', async () => {
      const weights = fs.readFileSync(path.join(p1Dir, 'weights.bin'));
      const file = blobPath(sha256(weights));
      fs.truncateSync(file, 1000);
      try {
        const dir = path.join(root, 'pull-truncated');
        const r = await runCli(['pull', 'default/p@1.0.0', dir], {
          env: { ...home, STEWARD_SERVER: server.url, STEWARD_TOKEN: ADMIN_TOKEN },
          timeoutMs: 10_000,
        });
        expect(r.signal, 'pull still running after 10 s: it hangs on the short blob').toBeNull();
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/weights\.bin/);
        expect(listAll(dir).filter((p) => p.startsWith('weights.bin'))).toEqual([]);
      } finally {
        fs.writeFileSync(file, weights);
      }
    });
  });

  describe('users and tokens', () => {
    it('a viewer can show and pull but not push; tokens list; a revoked token is refused', async () => {
      const created = ok(await cli(['users', 'create', 'alice', '--role', 'viewer']));
      expect(created.stdout.split('\n')[0]).toBe('created user alice with role viewer in org default');

      const t0 = Date.now();
      const issued = ok(await cli(['tokens', 'create', '--user', 'alice', '--name', 't1', '--expires', '1d']));
      const aliceToken = issued.stdout.trim();
      expect(issued.stdout.trimEnd().split('\n')).toHaveLength(1);
      expect(aliceToken).toMatch(TOKEN_RE);
      const m = /token (\S+) for alice, expires (\S+); it is shown only now/.exec(issued.stderr);
      expect(m).not.toBeNull();
      const tokenId = m![1]!;
      expect(Date.parse(m![2]!) - t0).toBeGreaterThan(86_400_000 - 120_000);
      expect(Date.parse(m![2]!) - t0).toBeLessThan(86_400_000 + 120_000);

      // A second token that expires within seconds.
      const shortExpiry = new Date(Date.now() + 3000).toISOString();
      const short = ok(await cli(['tokens', 'create', '--user', 'alice', '--name', 'short', '--expires', shortExpiry]));
      const shortToken = short.stdout.trim();
      expect(short.stderr).toContain(`expires ${shortExpiry}`);

      const alice = (args: string[]) => cli(args, { STEWARD_TOKEN: aliceToken });
      const before = await versionsOf('p');
      const pulled = path.join(root, 'alice-pull');
      const [who, show, pull, push, mine] = await Promise.all([
        alice(['whoami']),
        alice(['show', 'default/p']),
        alice(['pull', 'default/p@1.0.0', pulled]),
        alice(['push', p2Dir, '--model', 'default/p', '--version', '9.0.0']),
        alice(['tokens', 'list', '--json']),
      ]);
      expect(ok(who).stdout).toMatch(/^alice \(token t1, expires \S+\)\n {2}default: viewer\n$/);
      expect(ok(show).stdout).toMatch(/^default\/p\n[\s\S]*latest: +1\.1\.0/);
      ok(pull);
      expect(treeDiff(pulled, p1Dir)).toEqual([]);
      expect(push.code).toBe(1);
      expect(push.stderr).toMatch(/role "viewer" in org "default" may not/);
      expect(await versionsOf('p')).toEqual(before);
      const aliceList = json(mine);
      expect(aliceList.map((t: { user: string; name: string }) => `${t.user}/${t.name}`).sort()).toEqual(['alice/short', 'alice/t1']);

      const all = ok(await cli(['tokens', 'list', '--json']));
      expect(all.stdout).not.toContain(aliceToken);
      expect(all.stdout).not.toContain(ADMIN_TOKEN);
      const items = JSON.parse(all.stdout) as { id: string; name: string; user: string; revokedAt: string | null; expiresAt: string | null }[];
      expect(items.map((t) => `${t.user}/${t.name}`).sort()).toEqual(['admin/bootstrap', 'alice/short', 'alice/t1']);
      expect(items.find((t) => t.id === tokenId)).toMatchObject({ revokedAt: null, expiresAt: m![2] });

      const revoked = ok(await cli(['tokens', 'revoke', tokenId]));
      expect(revoked.stdout).toMatch(new RegExp(`^revoked token ${tokenId} at \\d{4}-`));
      const [after, afterList] = await Promise.all([alice(['show', 'default/p']), cli(['tokens', 'list', '--json'])]);
      expect(after.code).toBe(1);
      expect(after.stderr).toContain('steward: error: token has been revoked');
      expect(json(afterList).find((t: { id: string }) => t.id === tokenId).revokedAt).toMatch(/^\d{4}-/);

      await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(shortExpiry) - Date.now() + 50)));
      const expired = await cli(['whoami'], { STEWARD_TOKEN: shortToken });
      expect(expired.code).toBe(1);
      expect(expired.stderr).toContain('steward: error: token has expired');
    });
  });

  describe('datasets and lineage', () => {
    const script = '# turns the dump into training text\nprint("transform")\n';
    beforeAll(async () => {
      // --approved-by needs a member; the users suite may or may not have created alice.
      const r = await api('POST', '/api/v1/orgs/default/users', { name: 'alice', role: 'viewer' });
      expect([200, 201, 409]).toContain(r.status);
    });

    it('register with source, license, transform script, approver and sensitivity; show has the script digest', async () => {
      const scriptFile = path.join(root, 'script.py');
      fs.writeFileSync(scriptFile, script);
      const reg = ok(
        await cli(['datasets', 'register', 'wiki@2024-01', '--source', 'https://dumps.wikimedia.org/enwiki/20240101/', '--license', 'CC-BY-SA-4.0', '--transform-script', scriptFile, '--approved-by', 'alice', '--sensitivity', 'public']),
      );
      expect(reg.stdout).toBe('registered dataset wiki@2024-01 in org default\n');
      const d = json(await cli(['datasets', 'show', 'wiki@2024-01', '--json']));
      expect(d).toMatchObject({
        name: 'wiki',
        version: '2024-01',
        sourceUri: 'https://dumps.wikimedia.org/enwiki/20240101/',
        license: 'CC-BY-SA-4.0',
        approvedBy: 'alice',
        sensitivity: 'public',
        transformScript: { name: 'script.py', sha256: sha256(script), size: Buffer.byteLength(script) },
      });
      // The script itself is stored, by digest.
      expect(fs.readFileSync(blobPath(sha256(script)), 'utf8')).toBe(script);
    });

    it('an invalid license exits 2 and registers nothing', async () => {
      const r = await cli(['datasets', 'register', 'bad@1', '--source', 'https://example.com/data', '--license', 'Not A License']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--license: "Not A License" is not an SPDX license expression');
      expect((await api('GET', '/api/v1/orgs/default/datasets/bad/versions/1')).status).toBe(404);
    });

    it('push with datasets, base model and source commit; lineage has the dataset nodes and both directions of derived_from', async () => {
      const commit = '0123456789abcdef0123456789abcdef01234567';
      const baseDir = writeTree(tmp('base'), { 'base.bin': random(2048) });
      const ftDir = writeTree(tmp('ft'), { 'README.md': modelCard(), 'ft.bin': random(2048) });
      const [squad, base] = await Promise.all([
        cli(['datasets', 'register', 'squad@v2', '--source', 'https://rajpurkar.github.io/SQuAD-explorer/', '--license', 'CC-BY-4.0']),
        cli(['push', baseDir, '--model', 'default/base', '--version', '1.0.0']),
      ]);
      ok(squad);
      ok(base);
      const pushed = json(
        await cli(['push', ftDir, '--model', 'default/ft', '--version', '1.0.0', '--dataset', 'wiki@2024-01', '--eval-dataset', 'squad@v2', '--base-model', 'default/base@1.0.0', '--source-repo', 'https://github.com/example/train', '--source-commit', commit, '--json']),
      );
      expect(pushed.version).toMatchObject({ baseModel: 'default/base@1.0.0', sourceRepo: 'https://github.com/example/train', sourceCommit: commit });
      expect([...pushed.version.datasets].sort((x: { name: string }, y: { name: string }) => x.name.localeCompare(y.name))).toEqual([
        { name: 'squad', version: 'v2', relation: 'evaluated_on', license: 'CC-BY-4.0', sensitivity: 'internal' },
        { name: 'wiki', version: '2024-01', relation: 'trained_on', license: 'CC-BY-SA-4.0', sensitivity: 'public' },
      ]);

      const [ftL, baseL, baseText] = await Promise.all([
        cli(['lineage', 'default/ft@1.0.0', '--json']),
        cli(['lineage', 'default/base@1.0.0', '--json']),
        cli(['lineage', 'default/base@1.0.0']),
      ]);
      const g = json(ftL);
      const id = (label: string) => {
        const n = g.nodes.find((x: { label: string }) => x.label === label);
        expect(n, `node ${label}`).toBeDefined();
        return n.id as string;
      };
      expect(g.root).toBe(id('default/ft@1.0.0'));
      expect(g.nodes.find((n: { label: string }) => n.label === 'wiki@2024-01').kind).toBe('dataset');
      expect(g.edges).toEqual(
        expect.arrayContaining([
          { from: g.root, to: id('wiki@2024-01'), relation: 'trained_on' },
          { from: g.root, to: id('squad@v2'), relation: 'evaluated_on' },
          { from: g.root, to: id('default/base@1.0.0'), relation: 'derived_from' },
        ]),
      );
      expect(g.edges).toHaveLength(3);
      expect(g.sourceCommits).toEqual([{ version: 'default/ft@1.0.0', repo: 'https://github.com/example/train', commit }]);

      const bg = json(baseL);
      const ftNode = bg.nodes.find((n: { label: string }) => n.label === 'default/ft@1.0.0');
      expect(ftNode).toBeDefined();
      expect(bg.edges).toContainEqual({ from: ftNode.id, to: bg.root, relation: 'derived_from' });
      expect(ok(baseText).stdout).toMatch(/^default\/base@1\.0\.0\n[\s\S]*descendants:\n {2}default\/ft@1\.0\.0\n/);
    });
  });

  describe('rings', () => {
    it('set three times; history and --at; rollback walks back; nothing earlier exits 1', async () => {
      const digests: Record<string, string> = {};
      for (const v of ['1.0.0', '1.1.0', '1.2.0']) {
        digests[v] = lastLine(ok(await cli(['push', writeTree(tmp(`r${v}`), { 'w.bin': `weights ${v} ${kind}\n` }), '--model', 'default/r', '--version', v])).stdout);
      }
      const beforeAny = new Date().toISOString();
      ok(await cli(['rings', 'set', 'default/r', '--ring', 'production', '--version', '1.0.0']));
      const between = new Date().toISOString();
      const second = ok(await cli(['rings', 'set', 'default/r', '--ring', 'production', '--version', '1.1.0']));
      expect(second.stdout).toBe('default/r production: 1.0.0 -> 1.1.0\n');
      ok(await cli(['rings', 'set', 'default/r', '--ring', 'production', '--version', '1.2.0']));

      const [hist, at, atBefore, pulled] = await Promise.all([
        cli(['history', 'default/r', '--ring', 'production', '--json']),
        cli(['history', 'default/r', '--ring', 'production', '--at', between]),
        cli(['history', 'default/r', '--ring', 'production', '--at', beforeAny]),
        cli(['pull', 'default/r@production', path.join(root, 'ring-pull')]),
      ]);
      const entries = json(hist) as { version: string; previousVersion: string | null; kind: string; movedAt: string; movedBy: string }[];
      expect(entries.map((e) => [e.version, e.previousVersion, e.kind, e.movedBy])).toEqual([
        ['1.2.0', '1.1.0', 'set', 'admin'],
        ['1.1.0', '1.0.0', 'set', 'admin'],
        ['1.0.0', null, 'set', 'admin'],
      ]);
      // The probe time really lies between the first and second move.
      expect(entries[2]!.movedAt <= between && between < entries[1]!.movedAt).toBe(true);
      expect(ok(at).stdout).toBe('1.0.0\n');
      expect(ok(atBefore).stdout).toMatch(/^\(no version in production at /);
      expect(lastLine(ok(pulled).stdout)).toBe(digests['1.2.0']);
      expect(readTree(path.join(root, 'ring-pull'))).toEqual(new Map([['w.bin', Buffer.from(`weights 1.2.0 ${kind}\n`)]]));

      const rb1 = ok(await cli(['rollback', 'default/r', '--ring', 'production']));
      expect(rb1.stdout).toBe('default/r production: rolled back 1.2.0 -> 1.1.0\n');
      const rb2 = ok(await cli(['rollback', 'default/r', '--ring', 'production']));
      expect(rb2.stdout).toBe('default/r production: rolled back 1.1.0 -> 1.0.0\n');
      const rb3 = await cli(['rollback', 'default/r', '--ring', 'production']);
      expect(rb3.code).toBe(1);
      expect(rb3.stderr).toContain('has no earlier version to roll back to');
      const model = json(await cli(['show', 'default/r', '--json']));
      expect(model.rings).toMatchObject({ production: '1.0.0', beta: null, sandbox: null });
    });
  });
});

describe('steward CLI without a server', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steward-cli-bare-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const bare = (args: string[]) => runCli(args, { env: { HOME: dir, XDG_CONFIG_HOME: path.join(dir, 'xdg') }, cwd: dir });

  it('--version and push --help exit 0; an unknown command exits 2; no server configured exits 2 naming steward login', async () => {
    const [version, help, unknown, noServer] = await Promise.all([bare(['--version']), bare(['push', '--help']), bare(['frobnicate']), bare(['models'])]);
    expect(version).toMatchObject({ code: 0, stdout: '0.1.0\n' });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: steward push \[options\] <dir>/);
    expect(help.stdout).toContain('--allow-symlinks');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    expect(noServer.code).toBe(2);
    expect(noServer.stderr).toContain('no server configured');
    expect(noServer.stderr).toContain('steward login');
  });

  it('a missing model directory is a one-line error naming the path, exit 2, no stack trace', async () => {
    const missing = path.join(dir, 'no-such-model');
    const r = await bare(['hash', missing]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`steward: error: cannot open model directory ${missing}: ENOENT: no such file or directory, stat '${missing}'\n`);
  });

  it('stops quietly when the reader of its output goes away (steward hash DIR | head -1)', async () => {
    const model = path.join(dir, 'many-files');
    writeTree(model, Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`f${String(i).padStart(5, '0')}.txt`, `file ${i}\n`])));
    const proc = spawn('sh', ['-c', `"${process.execPath}" "${CLI_BIN}" hash "${model}" | head -1`], { env: { ...process.env, HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c) => (stdout += c));
    proc.stderr.on('data', (c) => (stderr += c));
    await new Promise((resolve) => proc.once('close', resolve));
    expect(stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(stderr).toBe('');
  });
});
