/**
 * `steward webhooks` against server processes, on SQLite and Postgres, with a real receiver on
 * loopback: the CLI's verbs; a server killed with deliveries queued delivers them after a restart;
 * and (Postgres) two servers on one database never send a delivery twice.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS, createTestDatabase, type TestDatabase } from '../../server/test/helpers/db.js';
import { type Receiver, startReceiver, until, verifyDelivery } from '../../server/test/helpers/receiver.js';
import { ADMIN_TOKEN, type CliResult, type ServerProcess, json, lastLine, ok, runCli, startServerProcess } from './helpers/processes.js';

/** Short retries and polling, so the tests wait on state for milliseconds rather than seconds. */
const WEBHOOK_ENV = {
  STEWARD_WEBHOOK_BACKOFF_BASE_MS: '50',
  STEWARD_WEBHOOK_BACKOFF_MAX_MS: '200',
  STEWARD_WEBHOOK_MAX_ATTEMPTS: '50',
  STEWARD_WEBHOOK_POLL_INTERVAL_MS: '50',
  STEWARD_WEBHOOK_TIMEOUT_MS: '2000',
};

describe.each(DB_KINDS)('steward webhooks (%s)', (kind) => {
  let root: string;
  let dataDir: string;
  let db: TestDatabase;
  let server: ServerProcess;
  let rx: Receiver;
  let home: Record<string, string>;

  const cli = (args: string[], target = server): Promise<CliResult> => runCli(args, { env: { ...home, STEWARD_SERVER: target.url, STEWARD_TOKEN: ADMIN_TOKEN }, cwd: root });
  const start = () => startServerProcess({ dataDir, databaseUrl: db.url, env: WEBHOOK_ENV });
  const deliveriesOf = async (webhook: string, target = server) => json<any[]>(await cli(['webhooks', 'deliveries', '--webhook', webhook, '--json'], target));

  beforeAll(async () => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `steward-webhooks-${kind}-`)));
    home = { HOME: path.join(root, 'home'), XDG_CONFIG_HOME: path.join(root, 'xdg') };
    dataDir = path.join(root, 'data');
    fs.mkdirSync(dataDir);
    db = await createTestDatabase(kind, dataDir);
    rx = await startReceiver();
    server = await start();
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await rx?.close();
    await db?.drop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('add, list, show, deliveries, delivery, replay, ping, update, rotate-secret, remove', async () => {
    const add = ok(await cli(['webhooks', 'add', 'default', '--url', `${rx.url}/cli`, '--events', 'user.*, ring.moved', '--description', 'chat bridge']));
    const secret = lastLine(add.stdout);
    expect(secret).toMatch(/^whsec_/);
    expect(add.stderr).toMatch(/shown only now/);
    const [hook] = json<any[]>(await cli(['webhooks', 'list', '--json']));
    expect(hook).toMatchObject({ url: `${rx.url}/cli`, events: ['user.*', 'ring.moved'], state: 'active', description: 'chat bridge' });
    expect(ok(await cli(['webhooks', 'show', hook.id])).stdout).toMatch(/events\s+user\.\*, ring\.moved/);

    ok(await cli(['users', 'create', 'bob', '--role', 'viewer']));
    await until(() => rx.at('/cli').length === 1, 'the user.added delivery');
    const got = rx.at('/cli')[0]!;
    expect(verifyDelivery(got, secret)).toBe(true);
    expect(JSON.parse(got.body)).toMatchObject({ type: 'user.added', org: 'default', actor: { name: 'admin' }, details: { name: 'bob' } });

    const [d] = await until(async () => {
      const ds = await deliveriesOf(hook.id);
      return ds[0]?.status === 'succeeded' ? ds : null;
    }, 'the delivery to be recorded as succeeded');
    expect(d.id).toBe(got.headers['steward-webhook-id']);
    expect(ok(await cli(['webhooks', 'deliveries', '--status', 'succeeded'])).stdout).toContain(d.id);
    expect(ok(await cli(['webhooks', 'deliveries', '--status', 'dead'])).stdout).not.toContain(d.id);
    const shown = ok(await cli(['webhooks', 'delivery', d.id]));
    expect(shown.stdout).toMatch(/^1\s+\S+\s+HTTP 200\s+\d+\s+succeeded$/m);
    expect(shown.stdout).toContain('"type": "user.added"');

    const replay = ok(await cli(['webhooks', 'replay', d.id]));
    expect(replay.stdout).toMatch(new RegExp(`queued delivery \\S+, a replay of ${d.id}`));
    const ping = ok(await cli(['webhooks', 'ping', hook.id]));
    expect(ping.stdout).toMatch(/queued ping delivery/);
    await until(() => rx.at('/cli').length === 3, 'the replay and the ping');
    const bodies = rx.at('/cli').map((r) => JSON.parse(r.body));
    expect(bodies.filter((b) => b.type === 'user.added')).toHaveLength(2);
    expect(bodies.some((b) => b.type === 'webhook.pinged')).toBe(true);

    const rotated = ok(await cli(['webhooks', 'rotate-secret', hook.id, '--grace', '0']));
    const secret2 = lastLine(rotated.stdout);
    expect(rotated.stderr).toMatch(/the old one no longer signs/);
    ok(await cli(['users', 'create', 'carol', '--role', 'viewer']));
    await until(() => rx.at('/cli').length === 4, 'a delivery signed with the new secret');
    expect(verifyDelivery(rx.at('/cli')[3]!, secret2)).toBe(true);
    expect(verifyDelivery(rx.at('/cli')[3]!, secret)).toBe(false);

    expect(ok(await cli(['webhooks', 'update', hook.id, '--inactive', '--events', 'ring.*'])).stdout).toMatch(/state\s+inactive/);
    expect(ok(await cli(['webhooks', 'remove', hook.id])).stdout).toMatch(/removed webhook/);
    expect(json<any>(await cli(['webhooks', 'show', hook.id, '--json'])).state).toBe('removed');
  });

  it('refuses bad input before or at the server', async () => {
    const before = json<any[]>(await cli(['webhooks', 'list', '--json'])).length;
    const scheme = await cli(['webhooks', 'add', '--url', 'ftp://127.0.0.1/x', '--events', '*']);
    expect(scheme.code).toBe(2);
    expect(scheme.stderr).toMatch(/scheme "ftp" is not allowed/);
    const creds = await cli(['webhooks', 'add', '--url', 'https://u:p@example.com/x', '--events', '*']);
    expect(creds.code).toBe(2);
    expect(creds.stderr).toMatch(/must not carry credentials/);
    const filter = await cli(['webhooks', 'add', '--url', `${rx.url}/x`, '--events', 'version.**']);
    expect(filter.code).toBe(2);
    expect(filter.stderr).toMatch(/"version\.\*\*" must be an event type/);
    const foreign = await cli(['webhooks', 'add', 'elsewhere', '--url', `${rx.url}/x`, '--events', '*']);
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toMatch(/org "elsewhere" not found/);
    const status = await cli(['webhooks', 'deliveries', '--status', 'lost']);
    expect(status.code).toBe(2);
    expect(json<any[]>(await cli(['webhooks', 'list', '--json']))).toHaveLength(before);
  });

  it('a server killed with deliveries queued delivers them after a restart', async () => {
    rx.script('/restart', [{ status: 503, body: 'maintenance' }]);
    const secret = lastLine(ok(await cli(['webhooks', 'add', '--url', `${rx.url}/restart`, '--events', 'user.added'])).stdout);
    const hook = json<any[]>(await cli(['webhooks', 'list', '--json'])).find((w) => w.url === `${rx.url}/restart`)!;
    ok(await cli(['users', 'create', 'dave', '--role', 'viewer']));
    ok(await cli(['users', 'create', 'erin', '--role', 'viewer']));
    // Both events queued and already failing against the receiver.
    await until(async () => {
      const ds = await deliveriesOf(hook.id);
      return ds.length === 2 && ds.every((d) => d.status === 'pending' && d.attempts >= 1);
    }, 'two pending deliveries with failed attempts');
    await server.kill9();

    const restarted = Date.now();
    rx.script('/restart', [{ status: 200 }]);
    server = await start();
    const done = await until(async () => {
      const ds = await deliveriesOf(hook.id);
      return ds.length === 2 && ds.every((d) => d.status === 'succeeded') ? ds : null;
    }, 'both deliveries to succeed after the restart');
    const received = rx.at('/restart');
    expect(received.every((r) => verifyDelivery(r, secret))).toBe(true);
    // Each delivery kept its id across the crash, and each was accepted once.
    const ids = new Set(done.map((d) => d.id));
    for (const r of received) expect(ids.has(String(r.headers['steward-webhook-id']))).toBe(true);
    expect(received.filter((r) => r.at >= restarted).map((r) => r.headers['steward-webhook-id']).sort()).toEqual([...ids].sort());
    expect(new Set(received.map((r) => JSON.parse(r.body).details.name))).toEqual(new Set(['dave', 'erin']));
    ok(await cli(['webhooks', 'remove', hook.id]));
  });

  it.runIf(kind === 'postgres')('two servers on one Postgres send each delivery once', async () => {
    const second = await start();
    try {
      const secret = lastLine(ok(await cli(['webhooks', 'add', '--url', `${rx.url}/pair`, '--events', 'token.created'])).stdout);
      // Events committed through both servers, concurrently.
      const mint = (target: ServerProcess, i: number) =>
        fetch(`${target.url}/api/v1/orgs/default/tokens`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: `pair-${i}` }),
        }).then((r) => expect(r.status).toBe(201));
      await Promise.all(Array.from({ length: 30 }, (_, i) => mint(i % 2 ? second : server, i)));
      await until(() => rx.at('/pair').length >= 30, '30 deliveries');
      const hook = json<any[]>(await cli(['webhooks', 'list', '--json'])).find((w) => w.url === `${rx.url}/pair`)!;
      await until(async () => {
        const ds = await deliveriesOf(hook.id);
        return ds.length === 30 && ds.every((d) => d.status === 'succeeded');
      }, 'all 30 deliveries recorded as succeeded');
      const ids = rx.at('/pair').map((r) => String(r.headers['steward-webhook-id']));
      expect(new Set(ids).size).toBe(30);
      expect(ids).toHaveLength(30);
      expect(new Set(rx.at('/pair').map((r) => JSON.parse(r.body).details.name))).toHaveLength(30);
      expect(rx.at('/pair').every((r) => verifyDelivery(r, secret))).toBe(true);
    } finally {
      await second.stop();
    }
  });
});
