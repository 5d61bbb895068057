import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from './helpers/db.js';
import { pushFiles } from './helpers/push.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** Protocol-2 pickle calling os.system('id'): GLOBAL, argument tuple, REDUCE. */
const EVIL_PICKLE = Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.from('cos\nsystem\nX\x02\x00\x00\x00id\x85R.', 'latin1')]);
/** Protocol-2 pickle of an object of a class not on the allowlist (acme.models.Net()). */
const UNKNOWN_PICKLE = Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.from('cacme.models\nNet\n)R.', 'latin1')]);
/** A plain data pickle: {'a': [1, 2]}. */
const BENIGN_PICKLE = Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.from('}X\x01\x00\x00\x00a]K\x01K\x02es.', 'latin1')]);

describe.each(DB_KINDS)('scanning pushed versions on %s', (kind) => {
  let srv: TestServer;
  const seen: { verdict: string; version: string }[] = [];

  beforeAll(async () => {
    srv = await startTestServer(kind);
    srv.running.deps.events.on('version.scanned', (e) => seen.push({ verdict: e.verdict, version: e.version }));
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('scans every pushed version in the background and stores the report with the version', async () => {
    const push = await pushFiles(srv, 'evil', '1.0.0', [
      { path: 'README.md', content: '# evil\n' },
      { path: 'pytorch_model.bin', content: EVIL_PICKLE },
    ]);
    expect(push.status).toBe(201);
    // The push answered before the scan ran: the version carries a pending scan.
    expect(['pending', 'running', 'done']).toContain(push.json.version.scan.status);
    await srv.running.scans.idle();
    const v = await srv.api('GET', '/api/v1/orgs/default/models/evil/versions/1.0.0');
    expect(v.json.scan).toMatchObject({ status: 'done', trigger: 'push', verdict: 'unsafe' });
    expect(v.json.scan.summary).toMatchObject({ files: 2, unsafe: 1 });
    const scan = await srv.api('GET', '/api/v1/orgs/default/models/evil/versions/1.0.0/scan');
    const file = scan.json.report.files.find((f: any) => f.path === 'pytorch_model.bin');
    expect(file).toMatchObject({ format: 'pickle', verdict: 'unsafe' });
    expect(file.imports.map((i: any) => `${i.module}.${i.name}:${i.verdict}`)).toEqual(['os.system:unsafe']);
    expect(seen).toContainEqual({ verdict: 'unsafe', version: '1.0.0' });
    const audit = await srv.api('GET', '/api/v1/orgs/default/audit-events?limit=10');
    expect(audit.json.items.find((e: any) => e.action === 'version.scanned')?.details).toMatchObject({ version: '1.0.0', verdict: 'unsafe', trigger: 'push' });
  });

  it('a benign data pickle is safe', async () => {
    await pushFiles(srv, 'benign', '1.0.0', [{ path: 'weights.pkl', content: BENIGN_PICKLE }]);
    await srv.running.scans.idle();
    const v = await srv.api('GET', '/api/v1/orgs/default/models/benign/versions/1.0.0');
    expect(v.json.scan).toMatchObject({ status: 'done', verdict: 'safe' });
  });

  it('an import not on the allowlist is unknown until the org allows it and the version is rescanned', async () => {
    await pushFiles(srv, 'custom', '1.0.0', [{ path: 'model.pkl', content: UNKNOWN_PICKLE }]);
    await srv.running.scans.idle();
    const before = await srv.api('GET', '/api/v1/orgs/default/models/custom/versions/1.0.0');
    expect(before.json.scan.verdict).toBe('unknown');
    const add = await srv.api('POST', '/api/v1/orgs/default/scanner/allowlist', { body: { entry: 'acme.models.Net', reason: 'our own architecture class' } });
    expect(add.status).toBe(201);
    expect((await srv.api('POST', '/api/v1/orgs/default/scanner/allowlist', { body: { entry: 'acme.models.Net', reason: 'again' } })).status).toBe(409);
    expect((await srv.api('POST', '/api/v1/orgs/default/scanner/allowlist', { body: { entry: 'os', reason: 'no dot' } })).status).toBe(400);
    const rescan = await srv.api('POST', '/api/v1/orgs/default/models/custom/versions/1.0.0/scans');
    expect(rescan.status).toBe(202);
    expect(rescan.json).toMatchObject({ trigger: 'rescan', allowlist: ['acme.models.Net'] });
    await srv.running.scans.idle();
    const after = await srv.api('GET', '/api/v1/orgs/default/models/custom/versions/1.0.0/scan');
    expect(after.json).toMatchObject({ id: rescan.json.id, status: 'done', verdict: 'safe', allowlist: ['acme.models.Net'] });
    // The earlier report is kept and still readable by id.
    const old = await srv.api('GET', `/api/v1/orgs/default/models/custom/versions/1.0.0/scan?id=${before.json.scan.id}`);
    expect(old.json.verdict).toBe('unknown');
    const removed = await srv.api('DELETE', '/api/v1/orgs/default/scanner/allowlist/acme.models.Net');
    expect(removed.status).toBe(200);
    expect((await srv.api('GET', '/api/v1/orgs/default/scanner/allowlist')).json.items).toEqual([]);
  });

  it('an allowlist entry never makes a denied import safe', async () => {
    await srv.api('POST', '/api/v1/orgs/default/scanner/allowlist', { body: { entry: 'os.system', reason: 'a mistake' } });
    const r = await srv.api('POST', '/api/v1/orgs/default/models/evil/versions/1.0.0/scans');
    await srv.running.scans.idle();
    const s = await srv.api('GET', `/api/v1/orgs/default/models/evil/versions/1.0.0/scan?id=${r.json.id}`);
    expect(s.json.verdict).toBe('unsafe');
    await srv.api('DELETE', '/api/v1/orgs/default/scanner/allowlist/os.system');
  });

  it('a scan requested before a crash runs after the restart', async () => {
    await srv.running.scans.stop();
    const db = srv.running.deps.db;
    const v = await db.selectFrom('model_versions').select('id').executeTakeFirstOrThrow();
    await db.updateTable('scan_reports').set({ status: 'running' }).where('version_id', '=', v.id).execute();
    const { ScanQueue } = await import('../src/scanning/queue.js');
    const { defaultEngine } = await import('@steward/scanner');
    const q = new ScanQueue(srv.running.deps, defaultEngine(), srv.running.deps.events, null);
    await q.start();
    await q.idle();
    const left = await db.selectFrom('scan_reports').select('status').where('status', 'in', ['pending', 'running']).execute();
    expect(left).toEqual([]);
  });

  it('only contributors and up may rescan; only admins change the allowlist', async () => {
    await srv.api('POST', '/api/v1/orgs/default/users', { body: { name: `viewer-${kind}`, role: 'viewer' } });
    const t = await srv.api('POST', '/api/v1/orgs/default/tokens', { body: { name: 'v', user: `viewer-${kind}` } });
    expect((await srv.api('POST', '/api/v1/orgs/default/models/evil/versions/1.0.0/scans', { token: t.json.token })).status).toBe(403);
    expect((await srv.api('POST', '/api/v1/orgs/default/scanner/allowlist', { token: t.json.token, body: { entry: 'a.b', reason: 'x' } })).status).toBe(403);
    expect((await srv.api('GET', '/api/v1/orgs/default/models/evil/versions/1.0.0/scan', { token: t.json.token })).status).toBe(200);
  });
});
