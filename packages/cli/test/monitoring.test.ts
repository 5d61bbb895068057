/**
 * The monitoring verbs against a server process (SQLite and Postgres): `steward profile` over CSV,
 * JSON Lines and Parquet (one profile whatever the format; bad files refused with where), `steward
 * deploy`, `steward telemetry send` (batches; a bad line named), `steward monitor` and `steward
 * drift` (tables with sparklines, and JSON), `steward alerts` with ack and silence, `steward
 * incidents`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { DB_KINDS, createTestDatabase, type TestDatabase } from '../../server/test/helpers/db.js';
import { type Receiver, startReceiver, until, verifyDelivery } from '../../server/test/helpers/receiver.js';
import { ADMIN_TOKEN, type CliResult, type ServerProcess, json, ok, runCli, startServerProcess } from './helpers/processes.js';
import { sparkline } from '../src/commands/monitor.js';
import { rng } from '../../server/test/helpers/random.js';


describe('sparkline', () => {
  it('scales a series onto eight bars, leaving gaps for missing points', () => {
    expect(sparkline([0, 7, null, 3.5])).toBe('▁█ ▅');
    expect(sparkline([2, 2])).toBe('▄▄');
    expect(sparkline([null])).toBe('');
  });
});

describe.each(DB_KINDS)('steward monitoring verbs (%s)', (kind) => {
  let root: string;
  let db: TestDatabase;
  let server: ServerProcess;
  let home: Record<string, string>;
  let rx: Receiver;
  const cli = (args: string[]): Promise<CliResult> => runCli(args, { env: { ...home, STEWARD_SERVER: server.url, STEWARD_TOKEN: ADMIN_TOKEN }, cwd: root });
  const api = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(server.url + p, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, json: (await res.json()) as any };
  };

  // 1,500 rows: two numeric columns, one categorical (with a quoted comma), the label.
  const r = rng(11);
  const rows = Array.from({ length: 1500 }, (_, i) => ({ age: Math.round((30 + 20 * r()) * 100) / 100, income: Math.round(1000 + 500 * r()), city: i % 7 === 0 ? 'Paris, FR' : i % 2 ? 'Berlin' : 'Rome', label: i % 3 === 0 ? '1' : '0' }));

  beforeAll(async () => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `steward-monitor-${kind}-`)));
    home = { HOME: path.join(root, 'home'), XDG_CONFIG_HOME: path.join(root, 'xdg') };
    const dataDir = path.join(root, 'data');
    fs.mkdirSync(dataDir);
    db = await createTestDatabase(kind, dataDir);
    server = await startServerProcess({ dataDir, databaseUrl: db.url, env: { STEWARD_TELEMETRY_FLUSH_MS: '50', STEWARD_ALERT_EVAL_INTERVAL_MS: '200', STEWARD_WEBHOOK_POLL_INTERVAL_MS: '50', STEWARD_LOG_LEVEL: 'warn' } });
    rx = await startReceiver();
    const csv = ['age,income,city,label', ...rows.map((x) => `${x.age},${x.income},${x.city.includes(',') ? `"${x.city}"` : x.city},${x.label}`)].join('\r\n') + '\r\n';
    fs.writeFileSync(path.join(root, 'census.csv'), csv);
    fs.writeFileSync(path.join(root, 'census.jsonl'), rows.map((x) => JSON.stringify(x)).join('\n') + '\n');
    const parquet = parquetWriteBuffer({
      columnData: [
        { name: 'age', data: rows.map((x) => x.age), type: 'DOUBLE' },
        { name: 'income', data: rows.map((x) => x.income), type: 'DOUBLE' },
        { name: 'city', data: rows.map((x) => x.city), type: 'STRING' },
        { name: 'label', data: rows.map((x) => x.label), type: 'STRING' },
      ],
      rowGroupSize: 400,
    });
    fs.writeFileSync(path.join(root, 'census.parquet'), Buffer.from(parquet));
    const modelDir = path.join(root, 'model');
    fs.mkdirSync(modelDir);
    fs.writeFileSync(path.join(modelDir, 'model.safetensors'), 'weights');
    ok(await cli(['push', modelDir, '--model', 'default/scorer', '--version', '1.0.0']));
    ok(await cli(['rings', 'set', 'default/scorer', '--ring', 'production', '--version', '1.0.0', '--reason', 'test']));
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await rx?.close();
    await db?.drop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('profiles CSV, JSON Lines and Parquet into the same profile, and attaches it to a dataset version', async () => {
    ok(await cli(['datasets', 'register', 'census@2026', '--source', 'https://example.com/census', '--license', 'CC0-1.0', '--sensitivity', 'public']));
    const out: Record<string, string> = {};
    for (const ext of ['csv', 'jsonl', 'parquet']) {
      const file = path.join(root, `profile-${ext}.json`);
      const res = json(ok(await cli(['profile', `census.${ext}`, '--output-column', 'label', '--categorical', 'label', '-o', file, '--json'])));
      expect(res).toMatchObject({ rows: 1500, features: { age: { kind: 'numeric', count: 1500 }, income: { kind: 'numeric' }, city: { kind: 'categorical' }, _output: { kind: 'categorical' } } });
      out[ext] = fs.readFileSync(file, 'utf8');
    }
    expect(out.jsonl).toBe(out.csv);
    expect(out.parquet).toBe(out.csv);
    // Without --categorical: CSV has no types (0/1 are numbers); JSON Lines keeps its strings.
    expect(json(ok(await cli(['profile', 'census.csv', '--json']))).features.label.kind).toBe('numeric');
    expect(json(ok(await cli(['profile', 'census.jsonl', '--json']))).features.label.kind).toBe('categorical');
    const attached = json(ok(await cli(['profile', 'census.csv', '--dataset', 'census@2026', '--output-column', 'label', '--categorical', 'label', '--json'])));
    expect(attached).toMatchObject({ attached: 'census@2026', rows: 1500 });

    fs.writeFileSync(path.join(root, 'ragged.csv'), 'a,b\n1,2\n3\n');
    const ragged = await cli(['profile', 'ragged.csv']);
    expect(ragged.code).toBe(1);
    expect(ragged.stderr).toMatch(/ragged\.csv: record 3 has 1 fields, the header 2/);
    fs.writeFileSync(path.join(root, 'bad.jsonl'), '{"a":1}\n[1,2]\n');
    const bad = await cli(['profile', 'bad.jsonl']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/bad\.jsonl:2: each line must be a JSON object/);
    const notParquet = path.join(root, 'fake.parquet');
    fs.writeFileSync(notParquet, 'not parquet at all');
    const np = await cli(['profile', 'fake.parquet']);
    expect(np.code).toBe(1);
    expect(np.stderr).toMatch(/fake\.parquet: not a Parquet file/);
    const unknownFormat = await cli(['profile', 'census.txt']);
    expect(unknownFormat.code).toBe(2);
  });

  it('deploys, sends telemetry from a file in batches, and shows monitor and drift', async () => {
    const dep = ok(await cli(['deploy', 'default/scorer@1.0.0', '--ring', 'production', '--reference-dataset', 'census@2026']));
    expect(dep.stdout).toMatch(/reference\s+dataset census@2026/);
    const lines = Array.from({ length: 2500 }, (_, i) => JSON.stringify({ requestId: `q${i}`, features: { age: 45 + 20 * r(), income: 1000 + 500 * r(), city: i % 7 === 0 ? 'Paris, FR' : i % 2 ? 'Berlin' : 'Rome' }, output: i % 3 === 0 ? '1' : '0', label: i % 4 === 0 ? '1' : '0', latencyMs: 10 + r() * 20 }));
    fs.writeFileSync(path.join(root, 'preds.jsonl'), lines.join('\n') + '\n');
    const sent = ok(await cli(['telemetry', 'send', 'preds.jsonl', '--model', 'default/scorer', '--ring', 'production', '--batch', '1000']));
    expect(sent.stdout).toMatch(/sent 2500 records to default\/scorer in production\/production/);

    fs.writeFileSync(path.join(root, 'bad-preds.jsonl'), `${lines[0]}\n${lines[1]}\n{"features":{"age":"x y"},"latencyMs":-1}\n`);
    const bad = await cli(['telemetry', 'send', 'bad-preds.jsonl', '--model', 'default/scorer', '--ring', 'production']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/bad-preds\.jsonl:3: latencyMs: .*; 0 records were sent before it/);
    fs.writeFileSync(path.join(root, 'future.jsonl'), `${lines[0]}\n${JSON.stringify({ features: { age: 1 }, time: '2999-01-01T00:00:00Z' })}\n`);
    const future = await cli(['telemetry', 'send', 'future.jsonl', '--model', 'default/scorer', '--ring', 'production']);
    expect(future.code).toBe(1);
    expect(future.stderr).toMatch(/future\.jsonl: line 2 \(records\[1\]\)\.time: 2999-01-01T00:00:00Z is more than 300 s in the future/);

    const samples = ok(await cli(['telemetry', 'samples', 'default/scorer@production']));
    const kept = samples.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(kept).toHaveLength(200);
    expect(samples.stderr).toMatch(/200 of 2500 records of default\/scorer@1\.0\.0 in production\/production/);
    expect(kept.every((x: { requestId: string; features: object }) => /^q\d+$/.test(x.requestId) && typeof x.features === 'object')).toBe(true);
    // A uniform sample of the 2,500, not the first 200.
    expect(kept.some((x: { requestId: string }) => Number(x.requestId.slice(1)) >= 1000)).toBe(true);
    const m = json(ok(await cli(['monitor', 'default/scorer@production', '--json'])));
    expect(m.figures.requests).toBe(2500);
    expect(m.figures.labeled).toBe(2500);
    const text = ok(await cli(['monitor', 'default/scorer@production', '--window', '30m'])).stdout;
    expect(text).toMatch(/default\/scorer@1\.0\.0 in production\/production/);
    expect(text).toMatch(/latency p50\/p95\/p99 ms/);
    expect(text).toMatch(/drift against dataset census@2026/);
    expect(text).toMatch(/^age\s+numeric\s+wasserstein\s+[\d.]+\s+-\s+0\.1\d*\s+DRIFT/m);

    const d = await cli(['drift', 'default/scorer', '--ring', 'production', '--window', '1h']);
    expect(d.code).toBe(1); // a drifted feature: non-zero for scripts
    expect(d.stdout).toMatch(/dataset drift: (YES|no) \(1 of 3 features/);
    const dj = json(await cli(['drift', 'default/scorer@production', '--json', '--method', 'psi']));
    expect(dj.features.map((f: { method: string }) => f.method)).toEqual(['psi', 'psi', 'psi']);
    expect(dj.output).toMatchObject({ feature: 'output' });
    const usage = await cli(['drift', 'default/scorer', '--method', 'magic']);
    expect(usage.code).toBe(2);
  });

  it('lists, acknowledges and silences alerts; lists incidents; the server process delivers alert.firing to a receiver', async () => {
    const secret = ok(await cli(['webhooks', 'add', '--url', `${rx.url}/alerts`, '--events', 'alert.*'])).stdout.trim().split('\n').at(-1)!;
    const rules = 'alerts:\n  - id: slow\n    condition: latency.p50 > 1\n    window: 5m\n    severity: high\n    actions: [notify, incident]\n';
    expect((await api('POST', '/api/v1/orgs/default/policy-sets', { files: [{ path: 'alerts.yaml', text: rules }] })).status).toBe(201);
    ok(await cli(['telemetry', 'send', 'preds.jsonl', '--model', 'default/scorer', '--ring', 'production']));
    const [alert] = await until(async () => {
      const items = json<any[]>(await cli(['alerts', '--json']));
      return items.length > 0 && items[0].state === 'firing' ? items : null;
    }, 'the alert fires');
    expect(alert).toMatchObject({ rule: 'slow', model: 'default/scorer', ring: 'production' });
    const delivered = await until(() => rx.at('/alerts').find((d) => JSON.parse(d.body).type === 'alert.firing'), 'alert.firing delivered');
    expect(verifyDelivery(delivered, secret)).toBe(true);
    expect(JSON.parse(delivered.body).details).toMatchObject({ rule: 'slow', condition: 'latency.p50 > 1', ring: 'production' });
    expect(ok(await cli(['alerts'])).stdout).toMatch(/slow\s+firing\s+high\s+default\/scorer@1\.0\.0/);
    expect(ok(await cli(['alerts', 'ack', alert.id])).stdout).toMatch(/acknowledged\s+\S+ by admin/);
    const silenced = ok(await cli(['alerts', 'silence', alert.id, '--for', '2h', '--reason', 'load test']));
    expect(silenced.stdout).toMatch(/silenced\s+until .* by admin: load test/);
    const both = await cli(['alerts', 'silence', alert.id, '--for', '2h', '--until', '2030-01-01T00:00:00Z', '--reason', 'x']);
    expect(both.code).toBe(2);
    const inc = ok(await cli(['incidents'])).stdout;
    expect(inc).toMatch(/open\s+high\s+\S+\s+alert:slow\s+slow: default\/scorer in production \(production\)/);
  });

  it('rolls a ring back and freezes it when a rule says so, recorded as the rule\'s decision (server process)', async () => {
    const modelDir = path.join(root, 'model2');
    fs.mkdirSync(modelDir);
    for (const v of ['1.0.0', '1.1.0']) {
      fs.writeFileSync(path.join(modelDir, 'model.safetensors'), `weights ${v}`);
      ok(await cli(['push', modelDir, '--model', 'default/ranker', '--version', v]));
      ok(await cli(['rings', 'set', 'default/ranker', '--ring', 'beta', '--version', v, '--reason', 'test']));
    }
    const rules = 'alerts:\n  - id: ranker-errors\n    condition: error_rate > 0.5\n    models: [ranker]\n    rings: [beta]\n    window: 5m\n    severity: critical\n    actions: [rollback, freeze]\n';
    expect((await api('POST', '/api/v1/orgs/default/policy-sets', { files: [{ path: 'alerts.yaml', text: rules }] })).status).toBe(201);
    fs.writeFileSync(path.join(root, 'failing.jsonl'), Array.from({ length: 20 }, () => JSON.stringify({ error: true, latencyMs: 5 })).join('\n') + '\n');
    ok(await cli(['telemetry', 'send', 'failing.jsonl', '--model', 'default/ranker', '--ring', 'beta']));
    const history = await until(async () => {
      const h = json<any[]>(await cli(['history', 'default/ranker', '--ring', 'beta', '--json']));
      return h[0]?.kind === 'rollback' ? h : null;
    }, 'the rule rolls beta back');
    expect(history[0]).toMatchObject({ version: '1.0.0', previousVersion: '1.1.0', movedBy: 'alert:ranker-errors', reason: 'alert rule "ranker-errors" fired: error_rate > 0.5' });
    const frozen = await until(async () => {
      const r = await api('GET', '/api/v1/orgs/default/rings');
      return r.json.items.find((c: { ring: string }) => c.ring === 'beta')?.frozen ?? null;
    }, 'the rule freezes beta');
    expect(frozen.by).toBe('alert:ranker-errors');
    const log = await api('GET', '/api/v1/orgs/default/audit-events?action=ring.rolled_back');
    expect(log.json.items[0].details.decidedBy).toMatchObject({ kind: 'alert-rule', rule: 'ranker-errors', condition: 'error_rate > 0.5' });
    expect(log.json.items[0].details.decidedBy.figures.error_rate).toBe(1);
  });
});
