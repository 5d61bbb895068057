import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escalateOverdue } from '../src/promotion/escalation.js';
import { DB_KINDS } from './helpers/db.js';
import { pushFiles } from './helpers/push.js';
import { startTestServer, type TestServer } from './helpers/server.js';

async function userToken(srv: TestServer, name: string, role: string): Promise<string> {
  expect((await srv.api('POST', '/api/v1/orgs/default/users', { body: { name, role } })).status).toBe(201);
  const t = await srv.api('POST', '/api/v1/orgs/default/tokens', { body: { name: `${name}-token`, user: name } });
  return t.json.token;
}

describe.each(DB_KINDS)('promotion requests on %s', (kind) => {
  let srv: TestServer;
  let mia: string;
  let r1: string;
  let r2: string;

  beforeAll(async () => {
    srv = await startTestServer(kind, { escalationIntervalSeconds: 0 });
    mia = await userToken(srv, 'mia', 'maintainer');
    r1 = await userToken(srv, 'rae', 'reviewer');
    r2 = await userToken(srv, 'ron', 'reviewer');
    expect((await pushFiles(srv, 'm', '1.0.0', [{ path: 'w', content: 'weights 1' }])).status).toBe(201);
    expect((await pushFiles(srv, 'm', '1.1.0', [{ path: 'w', content: 'weights 2' }])).status).toBe(201);
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('validates ring criteria changes and records them', async () => {
    const bad = await srv.api('PATCH', '/api/v1/orgs/default/rings/beta/criteria', { body: { requiredApprovals: -1 } });
    expect(bad.status).toBe(400);
    const unknown = await srv.api('PATCH', '/api/v1/orgs/default/rings/beta/criteria', { body: { approvals: 1 } });
    expect(unknown.status).toBe(400);
    expect((await srv.api('PATCH', '/api/v1/orgs/default/rings/beta/criteria', { token: mia, body: { requiredApprovals: 1 } })).status).toBe(403);
    const ok = await srv.api('PATCH', '/api/v1/orgs/default/rings/beta/criteria', { body: { requiredApprovals: 1, reviewDeadlineHours: 1 } });
    expect(ok.json).toMatchObject({ ring: 'beta', requiredApprovals: 1, reviewDeadlineHours: 1 });
    const audit = await srv.api('GET', '/api/v1/orgs/default/audit-events?action=ring.configured');
    expect(audit.json.items[0].details.after).toMatchObject({ requiredApprovals: 1, reviewDeadlineHours: 1 });
  });

  it('escalates a request older than its ring\'s deadline to the governance board, once', async () => {
    const req = await srv.api('POST', '/api/v1/orgs/default/models/m/promotion-requests', { token: mia, body: { version: '1.0.0', ring: 'beta', reason: 'beta test' } });
    expect(req.status).toBe(201);
    expect(await escalateOverdue(srv.running.deps, new Date(Date.now() + 30 * 60_000))).toEqual([]);
    expect(await escalateOverdue(srv.running.deps, new Date(Date.now() + 2 * 3_600_000))).toEqual([req.json.id]);
    expect(await escalateOverdue(srv.running.deps, new Date(Date.now() + 3 * 3_600_000))).toEqual([]);
    const after = await srv.api('GET', `/api/v1/orgs/default/promotion-requests/${req.json.id}`);
    expect(after.json).toMatchObject({ status: 'open', assignedRole: 'governance-board' });
    expect(after.json.escalatedAt).not.toBeNull();
    const audit = await srv.api('GET', '/api/v1/orgs/default/audit-events?action=promotion.escalated');
    expect(audit.json.items).toHaveLength(1);
    expect(audit.json.items[0].details).toMatchObject({ requestId: req.json.id, deadlineHours: 1 });
  });

  it('two approvals racing for the last slot promote once; the other is told the request is closed', async () => {
    const open = await srv.api('GET', '/api/v1/orgs/default/promotion-requests?status=open');
    const id = open.json.items[0].id;
    const [a, b] = await Promise.all([
      srv.api('POST', `/api/v1/orgs/default/promotion-requests/${id}/reviews`, { token: r1, body: { decision: 'approve', comment: 'ok' } }),
      srv.api('POST', `/api/v1/orgs/default/promotion-requests/${id}/reviews`, { token: r2, body: { decision: 'approve', comment: 'ok' } }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const loser = a.status === 409 ? a : b;
    expect(loser.json.error.message).toMatch(/is promoted, not open/);
    const history = await srv.api('GET', '/api/v1/orgs/default/models/m/rings/beta/history');
    expect(history.json.items).toHaveLength(1);
    const req = await srv.api('GET', `/api/v1/orgs/default/promotion-requests/${id}`);
    expect(req.json.reviews).toHaveLength(1);
  });

  it('withdraws: only the requester or an admin, only while open', async () => {
    const req = await srv.api('POST', '/api/v1/orgs/default/models/m/promotion-requests', { token: mia, body: { version: '1.1.0', ring: 'beta', reason: 'next' } });
    expect((await srv.api('POST', `/api/v1/orgs/default/promotion-requests/${req.json.id}/withdraw`, { token: r1, body: {} })).status).toBe(403);
    const w = await srv.api('POST', `/api/v1/orgs/default/promotion-requests/${req.json.id}/withdraw`, { token: mia, body: { reason: 'not ready' } });
    expect(w.json.status).toBe('withdrawn');
    expect((await srv.api('POST', `/api/v1/orgs/default/promotion-requests/${req.json.id}/withdraw`, { token: mia, body: {} })).status).toBe(409);
    const bad = await srv.api('POST', '/api/v1/orgs/default/models/m/promotion-requests', { token: mia, body: { version: 'latest', ring: 'beta', reason: 'x' } });
    expect(bad.status).toBe(400);
    const noReason = await srv.api('POST', '/api/v1/orgs/default/models/m/promotion-requests', { token: mia, body: { version: '1.1.0', ring: 'beta', reason: '' } });
    expect(noReason.status).toBe(400);
    const noRing = await srv.api('POST', '/api/v1/orgs/default/models/m/promotion-requests', { token: mia, body: { version: '1.1.0', ring: 'nightly', reason: 'x' } });
    expect(noRing.status).toBe(404);
  });
});
