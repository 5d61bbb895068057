/**
 * Webhooks end to end (ADR 0014) against a real HTTP receiver on loopback, on SQLite and Postgres:
 * events from the audit ledger, signatures a receiver verifies on its own, filters, retries and
 * their log, Retry-After, failures without retry, dead deliveries, replay, pings, secret rotation,
 * and nothing sent for a change that rolled back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../src/services/context.js';
import { backoffMs, decide, retryAfterMs } from '../src/webhooks/sender.js';
import { Webhooks } from '../src/webhooks/runtime.js';
import { DB_KINDS } from './helpers/db.js';
import { pushFiles } from './helpers/push.js';
import { type Receiver, startReceiver, until, verifyDelivery } from './helpers/receiver.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const BASE = '/api/v1/orgs/default';

describe('retry decisions', () => {
  const config = { webhookMaxAttempts: 5, webhookBackoffBaseMs: 1000, webhookBackoffMaxMs: 60_000 };
  const now = new Date('2026-11-01T00:00:00Z');
  const result = (statusCode: number | null, retryAfter: string | null = null) => ({ statusCode, error: statusCode === null ? 'ECONNREFUSED' : null, durationMs: 1, response: null, retryAfter });

  it('retries network errors, 408, 429 and 5xx; fails other 4xx and redirects at once; dead after the last attempt', () => {
    expect(decide(result(204), 1, config, now)).toEqual({ outcome: 'succeeded', nextAttemptAt: null });
    for (const s of [null, 408, 429, 500, 502, 503]) expect(decide(result(s), 1, config, now).outcome).toBe('retry');
    for (const s of [301, 400, 401, 404, 410, 422]) expect(decide(result(s), 1, config, now)).toEqual({ outcome: 'failed', nextAttemptAt: null });
    expect(decide(result(503), 5, config, now)).toEqual({ outcome: 'dead', nextAttemptAt: null });
  });

  it('backs off exponentially with jitter up to the cap, and follows Retry-After', () => {
    expect(backoffMs(1, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffMs(1, 1000, 60_000, () => 1)).toBe(1000);
    expect(backoffMs(4, 1000, 60_000, () => 1)).toBe(8000);
    expect(backoffMs(30, 1000, 60_000, () => 1)).toBe(60_000);
    expect(retryAfterMs('7', now)).toBe(7000);
    expect(retryAfterMs('Sun, 01 Nov 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('soon', now)).toBeNull();
    expect(decide(result(429, '3'), 1, config, now).nextAttemptAt).toBe('2026-11-01T00:00:03.000Z');
    // Retry-After wins over the backoff cap, up to a day.
    expect(decide(result(503, '600'), 1, config, now).nextAttemptAt).toBe('2026-11-01T00:10:00.000Z');
    expect(decide(result(503, '172800'), 1, config, now).nextAttemptAt).toBe('2026-11-02T00:00:00.000Z');
  });
});

describe.each(DB_KINDS)('webhooks on %s', (kind) => {
  let srv: TestServer;
  let rx: Receiver;

  beforeAll(async () => {
    rx = await startReceiver();
    srv = await startTestServer(kind, {
      webhookBackoffBaseMs: 20,
      webhookBackoffMaxMs: 200,
      webhookMaxAttempts: 3,
      webhookPollIntervalMs: 50,
      webhookTimeoutMs: 2000,
    });
  });
  afterAll(async () => {
    await srv?.stop();
    await rx?.close();
  });

  async function subscribe(path: string, events: string[], extra: Record<string, unknown> = {}): Promise<{ id: string; secret: string }> {
    const r = await srv.api('POST', `${BASE}/webhooks`, { body: { url: `${rx.url}${path}`, events, ...extra } });
    expect(r.status, r.text).toBe(201);
    return r.json;
  }
  const deliveries = async (webhook: string, status?: string) =>
    (await srv.api('GET', `${BASE}/webhook-deliveries?webhook=${webhook}${status ? `&status=${status}` : ''}`)).json.items as any[];
  const delivery = async (id: string) => (await srv.api('GET', `${BASE}/webhook-deliveries/${id}`)).json;
  let users = 0;
  const addUser = async () => {
    const r = await srv.api('POST', `${BASE}/users`, { body: { name: `user-${++users}`, role: 'viewer' } });
    expect(r.status, r.text).toBe(201);
    return `user-${users}`;
  };
  /** The one delivery of a subscription, once it reached a final status. */
  const settled = (webhook: string) =>
    until(async () => {
      const [d] = await deliveries(webhook);
      return d && ['succeeded', 'failed', 'dead'].includes(d.status) ? d : null;
    }, `a settled delivery of ${webhook}`);

  it('delivers signed events for pushes, ring moves and rollbacks; filters select them', async () => {
    const all = await subscribe('/all', ['model.*', 'version.pushed', 'ring.*']);
    const rings = await subscribe('/rings', ['ring.*']);
    const scans = await subscribe('/scans', ['version.scanned']);
    expect(all.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    // The secret is shown once: never in reads.
    const listed = await srv.api('GET', `${BASE}/webhooks`);
    expect(listed.text).not.toContain(all.secret);
    expect(listed.json.items.find((w: any) => w.id === all.id)).toMatchObject({ state: 'active', events: ['model.*', 'version.pushed', 'ring.*'], url: `${rx.url}/all` });

    expect((await pushFiles(srv, 'summarizer', '1.0.0', [{ path: 'a.txt', content: 'one' }])).status).toBe(201);
    expect((await pushFiles(srv, 'summarizer', '1.1.0', [{ path: 'a.txt', content: 'two' }])).status).toBe(201);
    expect((await srv.api('PUT', `${BASE}/models/summarizer/rings/production`, { body: { version: '1.0.0', reason: 'launch' } })).status).toBe(200);
    expect((await srv.api('PUT', `${BASE}/models/summarizer/rings/production`, { body: { version: '1.1.0' } })).status).toBe(200);
    expect((await srv.api('POST', `${BASE}/models/summarizer/rings/production/rollback`, { body: { reason: 'regression' } })).status).toBe(200);

    await until(() => rx.at('/all').length >= 6 && rx.at('/rings').length >= 3, 'six deliveries to /all and three to /rings');
    const types = (path: string) => rx.at(path).map((r) => JSON.parse(r.body)).sort((a, b) => a.id - b.id).map((p) => p.type);
    expect(types('/all')).toEqual(['model.created', 'version.pushed', 'version.pushed', 'ring.moved', 'ring.moved', 'ring.rolled_back']);
    expect(types('/rings')).toEqual(['ring.moved', 'ring.moved', 'ring.rolled_back']);

    for (const r of rx.at('/all')) expect(verifyDelivery(r, all.secret)).toBe(true);
    for (const r of rx.at('/rings')) {
      expect(verifyDelivery(r, rings.secret)).toBe(true);
      // Another subscription's secret does not verify it.
      expect(verifyDelivery(r, all.secret)).toBe(false);
    }
    // A changed byte breaks the signature.
    const tampered = { ...rx.at('/rings')[0]!, body: rx.at('/rings')[0]!.body.replace('production', 'productioN') };
    expect(verifyDelivery(tampered, rings.secret)).toBe(false);

    const rollback = rx.at('/rings').map((r) => ({ r, p: JSON.parse(r.body) })).find((x) => x.p.type === 'ring.rolled_back')!;
    expect(rollback.r.headers['content-type']).toBe('application/json');
    expect(rollback.r.headers['user-agent']).toMatch(/^Steward-Webhooks\//);
    expect(rollback.r.headers['steward-webhook-event']).toBe('ring.rolled_back');
    expect(rollback.p).toMatchObject({ type: 'ring.rolled_back', org: 'default', model: 'default/summarizer', actor: { name: 'admin' }, target: { type: 'model' }, details: { ring: 'production', reason: 'regression' } });
    // The payload is the ledger's event: same seq, same leaf.
    const events = await srv.api('GET', `${BASE}/audit-events?action=ring.rolled_back`);
    const ev = events.json.items[0];
    expect(rollback.p.id).toBe(ev.seq);
    expect(rollback.p.ledger).toEqual({ log: 'steward.local/default', index: ev.index });
    expect(rollback.p.occurredAt).toBe(ev.at);
    // The delivery log names the same delivery the header did.
    const logged = await delivery(String(rollback.r.headers['steward-webhook-id']));
    expect(logged).toMatchObject({ webhookId: rings.id, eventId: ev.seq, eventType: 'ring.rolled_back', status: 'succeeded', attempts: 1, lastStatusCode: 200 });
    expect(logged.attemptLog).toEqual([expect.objectContaining({ attempt: 1, statusCode: 200, outcome: 'succeeded', response: 'ok' })]);

    // Scans complete in the background; their completion is an event too.
    await until(() => rx.at('/scans').length >= 2, 'two version.scanned deliveries');
    const scanned = rx.at('/scans').map((r) => JSON.parse(r.body));
    expect(scanned.map((p) => [p.type, p.details.version, p.details.verdict]).sort()).toEqual([
      ['version.scanned', '1.0.0', 'safe'],
      ['version.scanned', '1.1.0', 'safe'],
    ]);
    expect(rx.at('/scans').every((r) => verifyDelivery(r, scans.secret))).toBe(true);
    expect(types('/all')).not.toContain('version.scanned');
    for (const id of [all.id, rings.id, scans.id]) expect((await srv.api('DELETE', `${BASE}/webhooks/${id}`)).json.state).toBe('removed');
  });

  it('retries a 500, then records the success and every attempt', async () => {
    rx.script('/flaky', [{ status: 500, body: 'boom' }, { status: 200, body: 'fine' }]);
    const sub = await subscribe('/flaky', ['user.added']);
    const name = await addUser();
    const d = await settled(sub.id);
    expect(d).toMatchObject({ status: 'succeeded', attempts: 2, lastStatusCode: 200, lastError: null, eventType: 'user.added' });
    const detail = await delivery(d.id);
    expect(detail.attemptLog).toEqual([
      expect.objectContaining({ attempt: 1, statusCode: 500, outcome: 'retry', error: 'HTTP 500', response: 'boom' }),
      expect.objectContaining({ attempt: 2, statusCode: 200, outcome: 'succeeded', error: null, response: 'fine' }),
    ]);
    expect(detail.payload).toMatchObject({ type: 'user.added', details: { name } });
    const got = rx.at('/flaky');
    expect(got).toHaveLength(2);
    // A retry is the same delivery: same id and body, fresh signature.
    expect(got[0]!.headers['steward-webhook-id']).toBe(d.id);
    expect(got[1]!.headers['steward-webhook-id']).toBe(d.id);
    expect(got[1]!.body).toBe(got[0]!.body);
    expect(got.map((r) => r.headers['steward-webhook-attempt'])).toEqual(['1', '2']);
    expect(got.every((r) => verifyDelivery(r, sub.secret))).toBe(true);
    await srv.api('DELETE', `${BASE}/webhooks/${sub.id}`);
  });

  it('honours Retry-After on 429', async () => {
    rx.script('/busy', [{ status: 429, headers: { 'retry-after': '1' } }, { status: 204 }]);
    const sub = await subscribe('/busy', ['user.added']);
    await addUser();
    const d = await settled(sub.id);
    expect(d).toMatchObject({ status: 'succeeded', attempts: 2 });
    const [first, second] = rx.at('/busy');
    // Backoff alone would retry after at most 200 ms here.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
    expect((await delivery(d.id)).attemptLog.map((a: any) => [a.statusCode, a.outcome])).toEqual([
      [429, 'retry'],
      [204, 'succeeded'],
    ]);
    await srv.api('DELETE', `${BASE}/webhooks/${sub.id}`);
  });

  it('fails a 410 or a 400 at once, without retrying', async () => {
    for (const status of [410, 400]) {
      rx.script(`/gone-${status}`, [{ status, body: 'no' }]);
      const sub = await subscribe(`/gone-${status}`, ['user.added']);
      await addUser();
      const d = await settled(sub.id);
      expect(d).toMatchObject({ status: 'failed', attempts: 1, lastStatusCode: status, lastError: `HTTP ${status}`, nextAttemptAt: null });
      expect(rx.at(`/gone-${status}`)).toHaveLength(1);
      expect((await deliveries(sub.id, 'failed')).map((x) => x.id)).toEqual([d.id]);
      expect(await deliveries(sub.id, 'pending')).toEqual([]);
      await srv.api('DELETE', `${BASE}/webhooks/${sub.id}`);
    }
  });

  it('gives up after the last attempt (dead), and a replay sends the same event again', async () => {
    rx.script('/down', [{ status: 503 }]);
    const sub = await subscribe('/down', ['user.added']);
    await addUser();
    const dead = await settled(sub.id);
    expect(dead).toMatchObject({ status: 'dead', attempts: 3, lastStatusCode: 503 });
    expect((await delivery(dead.id)).attemptLog.map((a: any) => a.outcome)).toEqual(['retry', 'retry', 'dead']);
    expect(rx.at('/down')).toHaveLength(3);

    rx.script('/down', [{ status: 200 }]);
    const replay = await srv.api('POST', `${BASE}/webhook-deliveries/${dead.id}/replay`);
    expect(replay.status, replay.text).toBe(202);
    expect(replay.json).toMatchObject({ replayOf: dead.id, status: 'pending', attempts: 0, eventId: dead.eventId });
    expect(replay.json.id).not.toBe(dead.id);
    const done = await until(async () => {
      const d = await delivery(replay.json.id);
      return d.status === 'succeeded' ? d : null;
    }, 'the replay to succeed');
    expect(done.attempts).toBe(1);
    const last = rx.at('/down').at(-1)!;
    expect(last.headers['steward-webhook-id']).toBe(replay.json.id);
    expect(last.body).toBe(rx.at('/down')[0]!.body);
    expect(verifyDelivery(last, sub.secret)).toBe(true);
    // The original keeps its history; the replay is recorded in the ledger.
    expect((await delivery(dead.id)).status).toBe('dead');
    const replayed = await srv.api('GET', `${BASE}/audit-events?action=webhook.delivery_replayed`);
    expect(replayed.json.items[0].details).toMatchObject({ replayOf: dead.id, webhook: sub.id });
    await srv.api('DELETE', `${BASE}/webhooks/${sub.id}`);
  });

  it('sends nothing for a change that rolled back', async () => {
    const sub = await subscribe('/tx', ['user.added']);
    const deps = srv.running.deps;
    const orgId = (await deps.db.selectFrom('orgs').select('id').where('name', '=', 'default').executeTakeFirstOrThrow()).id;
    await expect(
      deps.db.transaction().execute(async (trx) => {
        await audit(trx, deps, { orgId, action: 'user.added', targetType: 'user', targetId: 'ghost', details: { name: 'ghost', role: 'viewer' } });
        throw new Error('the change failed after its audit event was written');
      }),
    ).rejects.toThrow('the change failed');
    const name = await addUser();
    await until(() => rx.at('/tx').length >= 1, 'the committed event');
    // Let the dispatcher pass over anything else it might still see.
    await srv.running.webhooks.dispatcher.pass();
    await srv.running.webhooks.sender.idle();
    expect(rx.at('/tx').map((r) => JSON.parse(r.body).details.name)).toEqual([name]);
    expect(await deliveries(sub.id)).toHaveLength(1);
    await srv.api('DELETE', `${BASE}/webhooks/${sub.id}`);
  });

  it('pings a subscription whatever its filters, and an inactive one gets nothing', async () => {
    const sub = await subscribe('/ping', ['promotion.approved']);
    const ping = await srv.api('POST', `${BASE}/webhooks/${sub.id}/ping`);
    expect(ping.status, ping.text).toBe(202);
    expect(ping.json).toMatchObject({ eventType: 'webhook.pinged', status: 'pending' });
    await until(() => rx.at('/ping').length === 1, 'the ping');
    const got = rx.at('/ping')[0]!;
    expect(verifyDelivery(got, sub.secret)).toBe(true);
    expect(JSON.parse(got.body)).toMatchObject({ type: 'webhook.pinged', target: { type: 'webhook', id: sub.id } });

    // Deactivated: matching events are not queued; pings are refused.
    const off = await srv.api('PATCH', `${BASE}/webhooks/${sub.id}`, { body: { active: false, events: ['user.added'] } });
    expect(off.json).toMatchObject({ state: 'inactive', events: ['user.added'] });
    expect((await srv.api('POST', `${BASE}/webhooks/${sub.id}/ping`)).status).toBe(409);
    await addUser();
    await srv.running.webhooks.dispatcher.pass();
    expect((await deliveries(sub.id)).map((d) => d.eventType)).toEqual(['webhook.pinged']);
    await srv.api('DELETE', `${BASE}/webhooks/${sub.id}`);
    expect((await srv.api('PATCH', `${BASE}/webhooks/${sub.id}`, { body: { active: true } })).status).toBe(409);
  });

  it('rotates the secret: the old one signs too during the grace period', async () => {
    const sub = await subscribe('/rotate', ['user.added']);
    const rotated = await srv.api('POST', `${BASE}/webhooks/${sub.id}/rotate-secret`, { body: { graceSeconds: 3600 } });
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.json.secret).not.toBe(sub.secret);
    await addUser();
    await until(() => rx.at('/rotate').length === 1, 'a delivery after rotation');
    const during = rx.at('/rotate')[0]!;
    expect(String(during.headers['steward-webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifyDelivery(during, rotated.json.secret)).toBe(true);
    expect(verifyDelivery(during, sub.secret)).toBe(true);

    const again = await srv.api('POST', `${BASE}/webhooks/${sub.id}/rotate-secret`, { body: { graceSeconds: 0 } });
    await addUser();
    await until(() => rx.at('/rotate').length === 2, 'a delivery after the second rotation');
    const after = rx.at('/rotate')[1]!;
    expect(verifyDelivery(after, again.json.secret)).toBe(true);
    expect(verifyDelivery(after, rotated.json.secret)).toBe(false);
    // Stored encrypted: the database never holds the secret in the clear.
    const row = await srv.running.deps.db.selectFrom('webhook_subscriptions').selectAll().where('id', '=', sub.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(again.json.secret);
    await srv.api('DELETE', `${BASE}/webhooks/${sub.id}`);
  });

  it('refuses bad input with a clear 4xx and stores nothing', async () => {
    const before = (await srv.api('GET', `${BASE}/webhooks`)).json.items.length;
    const cases: [unknown, RegExp][] = [
      [{ url: 'not a url', events: ['*'] }, /body\.url: must be an absolute http/],
      [{ url: 'ftp://127.0.0.1/hook', events: ['*'] }, /scheme "ftp" is not allowed/],
      [{ url: 'file:///etc/passwd', events: ['*'] }, /scheme "file" is not allowed/],
      [{ url: 'http://user:pass@127.0.0.1/hook', events: ['*'] }, /must not carry credentials/],
      [{ url: `${rx.url}/x`, events: ['version.**'] }, /body\.events\.0: must be an event type/],
      [{ url: `${rx.url}/x`, events: ['Version.Pushed'] }, /body\.events\.0/],
      [{ url: `${rx.url}/x`, events: ['version'] }, /body\.events\.0/],
      [{ url: `${rx.url}/x`, events: [] }, /at least one event filter/],
    ];
    for (const [body, message] of cases) {
      const r = await srv.api('POST', `${BASE}/webhooks`, { body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error.code).toBe('validation_failed');
      expect(r.json.error.message).toMatch(message);
    }
    const foreign = await srv.api('POST', '/api/v1/orgs/elsewhere/webhooks', { body: { url: `${rx.url}/x`, events: ['*'] } });
    expect(foreign.status).toBe(404);
    expect(foreign.json.error.code).toBe('not_found');
    // A viewer may not manage webhooks.
    const viewer = await addUser();
    const token = (await srv.api('POST', `${BASE}/tokens`, { body: { name: 't', user: viewer } })).json.token;
    const denied = await srv.api('POST', `${BASE}/webhooks`, { token, body: { url: `${rx.url}/x`, events: ['*'] } });
    expect(denied.status).toBe(403);
    expect(denied.json.error.message).toMatch(/may not webhook manage/);
    expect((await srv.api('GET', `${BASE}/webhook-deliveries`, { token })).status).toBe(403);
    // Unknown ids are not found; malformed ones invalid.
    expect((await srv.api('GET', `${BASE}/webhooks/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    expect((await srv.api('GET', `${BASE}/webhooks/nope`)).status).toBe(400);
    expect((await srv.api('POST', `${BASE}/webhook-deliveries/00000000-0000-4000-8000-000000000000/replay`)).status).toBe(404);
    expect((await srv.api('PATCH', `${BASE}/webhooks/00000000-0000-4000-8000-000000000000`, { body: {} })).status).toBe(400);
    expect((await srv.api('GET', `${BASE}/webhooks`)).json.items).toHaveLength(before);
    const created = await srv.api('GET', `${BASE}/audit-events?action=webhook.created`);
    expect(created.json.items).toHaveLength(before);
  });

  // Last: it stops the server's own dispatcher and sender.
  it('events committed while no dispatcher ran are delivered once one starts', async () => {
    const sub = await subscribe('/late', ['user.added']);
    await srv.running.webhooks.stop();
    const name = await addUser();
    expect(await deliveries(sub.id)).toEqual([]);
    // As after a crash between the commit and the dispatch: a new process finds the event past its cursor.
    const next = new Webhooks(srv.running.deps, null);
    await next.start();
    try {
      await until(() => rx.at('/late').length === 1, 'the late delivery');
      expect(JSON.parse(rx.at('/late')[0]!.body).details.name).toBe(name);
      expect(verifyDelivery(rx.at('/late')[0]!, sub.secret)).toBe(true);
    } finally {
      await next.stop();
    }
  });
});
