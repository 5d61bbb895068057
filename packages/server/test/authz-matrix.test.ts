/**
 * The route matrix: every API route x every org role x (owner of the model in the URL / not), over
 * real HTTP against a real server, asserting allow or deny as docs/authorization.md documents it.
 *
 * How allow and deny are told apart: each request is valid enough to pass input validation
 * (fixtures in helpers/access.ts; a validation failure fails the test, since nothing was authorized).
 * A denial is a 403 carrying the Cedar decision in `error.details.decision`; anything else (200, 201,
 * 404 for an object that does not exist, 409, a 403 from a later business rule...) means
 * authorization let the request through. Members never get 404 for their own org.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoleSchema } from '@steward/domain';
import { API_ROUTES } from '../src/http/app.js';
import { ROUTE_ACTIONS, cellAllows, parseRoleTable } from '../src/authz/table.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { FIXTURE_MODEL, FIXTURE_RING, call, fixtureFor, isDenial, isValidationFailure, member, seedWorld, type World } from './helpers/access.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const table = parseRoleTable(fs.readFileSync(path.join(root, 'docs/authorization.md'), 'utf8'));
const ORG = 'default';
const routes = API_ROUTES.filter((r) => r.auth !== false);

interface Principal {
  role: string;
  owner: boolean;
  token: string;
}

describe('authorization matrix: every route x role x model owner', () => {
  let srv: TestServer;
  let world: World;
  const principals: Principal[] = [];
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    srv = await startTestServer('sqlite', { rateLimitMax: 1_000_000 });
    world = await seedWorld(srv, ORG);
    await member(srv, ORG, 'bystander', 'viewer');
    for (const role of RoleSchema.options) {
      for (const owner of [true, false]) {
        const name = `${role}-${owner ? 'own' : 'not'}`;
        const token = await member(srv, ORG, name, role);
        if (owner) {
          const g = await srv.api('PUT', `/api/v1/orgs/${ORG}/models/${FIXTURE_MODEL}/roles/${name}`, { body: { role: 'owner' } });
          expect(g.status, g.text).toBe(200);
        }
        principals.push({ role, owner, token });
      }
    }
    // An open promotion request, for the routes that act on one.
    const pr = await srv.api('POST', `/api/v1/orgs/${ORG}/models/${FIXTURE_MODEL}/promotion-requests`, { body: { version: '1.0.0', ring: 'production', reason: 'matrix' } });
    if (pr.json?.id) ids.reviewPromotionRequest = ids.getPromotionRequest = pr.json.id;
    // A firing alert of the fixture model, for acknowledge and silence.
    const t = await srv.api('POST', `/api/v1/orgs/${ORG}/models/${FIXTURE_MODEL}/telemetry`, { body: { ring: FIXTURE_RING, version: '1.0.0', records: [{ latencyMs: 1 }] } });
    expect(t.status, t.text).toBe(202);
    const now = new Date().toISOString();
    const org = await srv.running.deps.db.selectFrom('orgs').select('id').where('name', '=', ORG).executeTakeFirstOrThrow();
    ids.acknowledgeAlert = ids.silenceAlert = '3f1c2a9e-0000-4000-8000-000000000001';
    await srv.running.deps.db
      .insertInto('alerts')
      .values({ id: ids.acknowledgeAlert, org_id: org.id, rule_id: 'matrix', deployment_id: t.json.deployment.id, state: 'firing', severity: 'high', state_since: now, pending_since: null, fired_at: now, resolved_at: null, evaluated_at: now, figures_json: '{}', policy_set_digest: 'sha256:matrix', blocks_promotion: 0, acked_at: null, acked_by: null, silenced_until: null, silenced_by: null, silence_reason: null })
      .execute();
  }, 120_000);
  afterAll(async () => srv?.stop());

  it('every authenticated route is classified (add new routes to ROUTE_ACTIONS in src/authz/table.ts)', () => {
    const unclassified = routes.filter((r) => !ROUTE_ACTIONS[r.operationId]).map((r) => `${r.operationId} (${r.method} ${r.url})`);
    expect(unclassified).toEqual([]);
    const stale = Object.keys(ROUTE_ACTIONS).filter((id) => !routes.some((r) => r.operationId === id));
    expect(stale).toEqual([]);
  });

  it('the table covers every action the routes use', () => {
    for (const a of Object.values(ROUTE_ACTIONS)) if (a.action) expect(table.has(a.action), a.action).toBe(true);
  });

  for (const route of routes) {
    it(`${route.method} ${route.url} (${route.operationId})`, async () => {
      const cls = ROUTE_ACTIONS[route.operationId];
      expect(cls, `${route.operationId} is not in ROUTE_ACTIONS`).toBeDefined();
      const problems: string[] = [];
      for (const p of principals) {
        const f = fixtureFor(route, world, ORG, ids);
        const r = await call(srv, route, f, p.token);
        const who = `${p.role}${p.owner ? ' (model owner)' : ''}`;
        if (isValidationFailure(r)) {
          problems.push(`${who}: the fixture fails validation: ${r.text}`);
          continue;
        }
        if (r.status === 401 || r.status === 429 || r.status >= 500) {
          problems.push(`${who}: unexpected ${r.status}: ${r.text.slice(0, 300)}`);
          continue;
        }
        const pre = cls!.pre === undefined || cellAllows(table.get(cls!.pre)!.get(p.role)!, p.owner ? 'owner' : null, null, false);
        const expected = pre && (cls!.action === null || cellAllows(table.get(cls!.action)!.get(p.role)!, p.owner ? 'owner' : null, cls!.on === 'ring' ? FIXTURE_RING : null, cls!.on !== 'org'));
        const denied = isDenial(r);
        if (denied && expected) problems.push(`${who}: expected allow, got ${r.status} ${r.text.slice(0, 300)}`);
        if (!denied && !expected) problems.push(`${who}: UNEXPECTED ALLOW (${r.status} ${r.text.slice(0, 200)})`);
        if (denied) expect([cls!.action, cls!.pre]).toContain(r.json.error.details.decision.action);
      }
      expect(problems).toEqual([]);
    });
  }
});
