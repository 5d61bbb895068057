/**
 * Access control beyond the matrix (SQLite and Postgres): org isolation across every route,
 * external contributors, per-model roles, token scopes and model restrictions, CI tokens, and what
 * a denial carries and logs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES } from '../src/http/app.js';
import { hashToken } from '../src/auth/tokens.js';
import { authorize, type ServiceContext } from '../src/services/context.js';
import { DB_KINDS } from './helpers/db.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { BLOB, FIXTURE_MODEL, call, fixtureFor, member, seedWorld, type World } from './helpers/access.js';
import { sha256, uploadAndManifest } from './helpers/push.js';

const routes = API_ROUTES.filter((r) => r.auth !== false);

describe.each(DB_KINDS)('access control on %s', (kind) => {
  let srv: TestServer;
  let world: World;
  const BOB = 'stw_bob-other-org-token-0123456789abcdefghijklmnopqrst';

  beforeAll(async () => {
    srv = await startTestServer(kind, { rateLimitMax: 1_000_000 });
    world = await seedWorld(srv, 'default');
    await member(srv, 'default', 'bystander', 'viewer');
    // Org "other" with its own admin bob, who is not a member of "default".
    const db = srv.running.deps.db;
    const now = new Date().toISOString();
    await db.insertInto('orgs').values({ id: 'org-other', name: 'other', created_at: now }).execute();
    await db.insertInto('users').values({ id: 'user-bob', name: 'bob', created_at: now, disabled_at: null }).execute();
    await db.insertInto('org_members').values({ org_id: 'org-other', user_id: 'user-bob', role: 'admin', created_at: now }).execute();
    await db.insertInto('api_tokens').values({ id: 'tok-bob', user_id: 'user-bob', name: 'bob', token_hash: hashToken(BOB), prefix: BOB.slice(0, 10), created_at: now, expires_at: null, revoked_at: null, last_used_at: null }).execute();
    await seedWorld({ ...srv, api: (m, p, o = {}) => srv.api(m, p, { token: BOB, ...o }) }, 'other');
  }, 120_000);
  afterAll(async () => srv?.stop());

  it('org isolation: a member of another org gets 404 for every route of org default, naming nothing', async () => {
    const problems: string[] = [];
    for (const route of routes.filter((r) => r.url.includes(':org'))) {
      const r = await call(srv, route, fixtureFor(route, world, 'default'), BOB);
      if (r.status !== 404 || r.json?.error?.message !== 'org "default" not found' || r.json?.error?.details !== undefined) problems.push(`${route.operationId}: ${r.status} ${r.text.slice(0, 200)}`);
    }
    expect(problems).toEqual([]);
  });

  it('org isolation: nothing of org default appears in what org other lists or reads', async () => {
    const orgA = await srv.running.deps.db.selectFrom('orgs').select('id').where('name', '=', 'default').executeTakeFirstOrThrow();
    const problems: string[] = [];
    for (const route of routes.filter((r) => r.method === 'GET' && r.url.includes(':org'))) {
      const r = await call(srv, route, fixtureFor(route, world, 'other'), BOB);
      if (r.text.includes(orgA.id) || r.text.includes('default/') || r.text.includes('"org":"default"')) problems.push(`${route.operationId}: ${r.text.slice(0, 200)}`);
    }
    expect(problems).toEqual([]);
    // Blob possession is per org: other uploaded the same bytes itself, but not default's extra blob.
    const only = Buffer.from('only in default');
    await srv.api('PUT', `/api/v1/orgs/default/blobs/${sha256(only)}`, { raw: only, headers: { 'content-type': 'application/octet-stream' } });
    const missing = await srv.api('POST', '/api/v1/orgs/other/blobs/missing', { body: { digests: [sha256(only)] }, token: BOB });
    expect(missing.json.missing).toEqual([sha256(only)]);
    // Bob's own lists carry his org only.
    const orgs = await srv.api('GET', '/api/v1/orgs', { token: BOB });
    expect(orgs.json.items.map((o: { name: string }) => o.name)).toEqual(['other']);
  });

  it('the creator of a model owns it; owners grant and revoke model roles; a model maintainer moves rings of that model only', async () => {
    const grants = await srv.api('GET', `/api/v1/orgs/default/models/${FIXTURE_MODEL}/roles`);
    expect(grants.json.items).toEqual([expect.objectContaining({ user: 'admin', role: 'owner', grantedBy: 'admin' })]);
    const vera = await member(srv, 'default', 'vera', 'viewer');
    const moveM1 = () => srv.api('PUT', `/api/v1/orgs/default/models/${FIXTURE_MODEL}/rings/sandbox`, { body: { version: '1.0.0' }, token: vera });
    const denied = await moveM1();
    expect(denied.status).toBe(403);
    expect(denied.json.error.details.decision).toMatchObject({ action: 'ring.move', target: { org: 'default', model: FIXTURE_MODEL, ring: 'sandbox' }, policies: [], reason: 'no permit policy matched' });
    const g = await srv.api('PUT', `/api/v1/orgs/default/models/${FIXTURE_MODEL}/roles/vera`, { body: { role: 'maintainer' } });
    expect(g.json).toMatchObject({ model: `default/${FIXTURE_MODEL}`, user: 'vera', role: 'maintainer', grantedBy: 'admin' });
    expect((await moveM1()).status).not.toBe(403);
    // A maintainer of the model is not its owner: no granting.
    expect((await srv.api('PUT', `/api/v1/orgs/default/models/${FIXTURE_MODEL}/roles/bystander`, { body: { role: 'contributor' }, token: vera })).status).toBe(403);
    // Nothing on other models.
    await srv.api('PUT', `/api/v1/orgs/default/blobs/${sha256(BLOB)}`, { raw: BLOB, headers: { 'content-type': 'application/octet-stream' } });
    expect((await srv.api('POST', '/api/v1/orgs/default/models/m2/versions', { body: { version: '1.0.0', manifest: world.manifest } })).status).toBe(201);
    expect((await srv.api('PATCH', '/api/v1/orgs/default/models/m2', { body: { description: 'x' }, token: vera })).status).toBe(403);
    const r = await srv.api('DELETE', `/api/v1/orgs/default/models/${FIXTURE_MODEL}/roles/vera`);
    expect(r.json).toMatchObject({ user: 'vera', role: 'maintainer' });
    expect((await moveM1()).status).toBe(403);
    const events = await srv.api('GET', '/api/v1/orgs/default/audit-events?action=model.role_*');
    expect(events.json.items.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['model.role_granted', 'model.role_revoked']));
  });

  it('an external contributor pushes to granted models and places versions in sandbox, nothing more', async () => {
    const ext = await member(srv, 'default', 'ext', 'external');
    // Before any grant: nothing at all.
    for (const [m, p] of [['GET', '/api/v1/orgs/default/models'], ['GET', `/api/v1/orgs/default/models/${FIXTURE_MODEL}`], ['GET', '/api/v1/orgs/default/users'], ['GET', '/api/v1/orgs/default/datasets']] as const) {
      expect((await srv.api(m, p, { token: ext })).status, p).toBe(403);
    }
    await srv.api('PUT', `/api/v1/orgs/default/models/${FIXTURE_MODEL}/roles/ext`, { body: { role: 'owner' } });
    const files = [{ path: 'model.safetensors', content: 'external weights' }];
    const manifest = await uploadAndManifest(srv, files, 'default', ext);
    const push = await srv.api('POST', `/api/v1/orgs/default/models/${FIXTURE_MODEL}/versions`, { body: { version: '1.1.0', manifest }, token: ext });
    expect(push.status, push.text).toBe(201);
    expect((await srv.api('GET', `/api/v1/orgs/default/models/${FIXTURE_MODEL}/versions/1.1.0`, { token: ext })).status).toBe(200);
    const sandbox = await srv.api('PUT', `/api/v1/orgs/default/models/${FIXTURE_MODEL}/rings/sandbox`, { body: { version: '1.1.0' }, token: ext });
    expect(sandbox.status).not.toBe(403);
    const beta = await srv.api('PUT', `/api/v1/orgs/default/models/${FIXTURE_MODEL}/rings/beta`, { body: { version: '1.1.0' }, token: ext });
    expect(beta.status).toBe(403);
    expect(beta.json.error.details.decision).toMatchObject({ action: 'ring.move', policies: ['external-sandbox-only'], reason: 'forbidden by external-sandbox-only' });
    // Even as the model's owner: no metadata, no signing, no granting, no other model, no org listing.
    const noMore: [string, string, unknown?][] = [
      ['PATCH', `/api/v1/orgs/default/models/${FIXTURE_MODEL}`, { description: 'x' }],
      ['POST', `/api/v1/orgs/default/models/${FIXTURE_MODEL}/versions/1.1.0/signatures/sign`, {}],
      ['PUT', `/api/v1/orgs/default/models/${FIXTURE_MODEL}/roles/bystander`, { role: 'contributor' }],
      ['POST', '/api/v1/orgs/default/models/m3/versions', { version: '1.0.0', manifest }],
      ['GET', '/api/v1/orgs/default/models'],
      ['GET', `/api/v1/orgs/default/blobs/${sha256(BLOB)}`],
    ];
    for (const [m, p, body] of noMore) {
      const r = await srv.api(m, p, { token: ext, ...(body ? { body } : {}) });
      expect(r.status, `${m} ${p}`).toBe(403);
      expect(r.json.error.details.decision.decision).toBe('deny');
    }
  });

  it('token scopes narrow what a token may do, and a narrowed token issues no wider token', async () => {
    const readOnly = await member(srv, 'default', 'mara', 'maintainer', { scopes: ['read'] });
    expect((await srv.api('GET', `/api/v1/orgs/default/models/${FIXTURE_MODEL}`, { token: readOnly })).status).toBe(200);
    const w = await srv.api('PATCH', `/api/v1/orgs/default/models/${FIXTURE_MODEL}`, { body: { description: 'x' }, token: readOnly });
    expect(w.status).toBe(403);
    expect(w.json.error.details.decision).toMatchObject({ action: 'model.update', policies: ['token-scope-write'] });
    const wider = await srv.api('POST', '/api/v1/orgs/default/tokens', { body: { name: 'wider', scopes: ['read', 'write'] }, token: readOnly });
    expect(wider.status).toBe(403);
    const same = await srv.api('POST', '/api/v1/orgs/default/tokens', { body: { name: 'same' }, token: readOnly });
    expect(same.json).toMatchObject({ scopes: ['read'], models: null, ci: false });
    const listed = await srv.api('GET', '/api/v1/orgs/default/tokens', { token: readOnly });
    expect(listed.json.items.find((t: { name: string }) => t.name === 'same')).toMatchObject({ scopes: ['read'] });
  });

  it('a model-restricted token acts on its models only', async () => {
    const ci = await member(srv, 'default', 'carl', 'contributor', { models: [`default/${FIXTURE_MODEL}`] });
    expect((await srv.api('GET', `/api/v1/orgs/default/models/${FIXTURE_MODEL}`, { token: ci })).status).toBe(200);
    const other = await srv.api('GET', '/api/v1/orgs/default/models/m2', { token: ci });
    expect(other.status).toBe(403);
    expect(other.json.error.details.decision).toMatchObject({ policies: ['token-models'], target: { model: 'm2' } });
    expect((await srv.api('GET', '/api/v1/orgs/default/models', { token: ci })).status).toBe(403);
    expect((await srv.api('POST', '/api/v1/orgs/default/blobs/missing', { body: { digests: [] }, token: ci })).status).toBe(200);
    const mint = await srv.api('POST', '/api/v1/orgs/default/tokens', { body: { name: 'escape', models: ['default/m2'] }, token: ci });
    expect(mint.status).toBe(403);
  });

  it('CI tokens are issued by admins and marked on the actor', async () => {
    const c = await member(srv, 'default', 'cora', 'contributor');
    expect((await srv.api('POST', '/api/v1/orgs/default/tokens', { body: { name: 'ci', ci: true }, token: c })).status).toBe(403);
    const t = await srv.api('POST', '/api/v1/orgs/default/tokens', { body: { name: 'pipeline', user: 'cora', ci: true } });
    expect(t.json).toMatchObject({ ci: true, user: 'cora' });
    const actor = await (await import('../src/services/authenticate.js')).authenticate({ deps: srv.running.deps, input: { authorization: `Bearer ${t.json.token}` } });
    expect(actor.tokenCi).toBe(true);
    const plain = await (await import('../src/services/authenticate.js')).authenticate({ deps: srv.running.deps, input: { authorization: `Bearer ${c}` } });
    expect(plain.tokenCi).toBe(false);
  });
});

describe('denials', () => {
  it('carry the Cedar decision and are logged; non-members get not_found without details, also logged', () => {
    const logged: object[] = [];
    const ctx = {
      actor: { userId: 'u1', userName: 'vic', tokenId: 't1', memberships: new Map([['acme', { orgId: 'o1', role: 'viewer' }]]), modelRoles: new Map(), tokenCi: false, tokenScopes: ['read', 'write', 'review', 'admin'], tokenModels: null },
      log: { info: (obj: object) => logged.push(obj) },
    } as unknown as ServiceContext;
    expect(authorize(ctx, 'acme', 'model.read', { model: 'm' })).toEqual({ orgId: 'o1', orgName: 'acme', role: 'viewer' });
    expect(logged).toEqual([]);
    let err: any;
    try {
      authorize(ctx, 'acme', 'ring.move', { model: 'm', ring: 'production' });
    } catch (e) {
      err = e;
    }
    expect(err.code).toBe('forbidden');
    expect(err.message).toBe('role "viewer" in org "acme" may not ring move on ring "production" of model "m"');
    expect(err.details.decision).toEqual({ decision: 'deny', action: 'ring.move', resource: 'Ring::"o1/m/production"', target: { org: 'acme', model: 'm', ring: 'production' }, policies: [], reason: 'no permit policy matched' });
    expect(logged).toEqual([{ authz: expect.objectContaining({ decision: 'deny', action: 'ring.move', user: 'vic', role: 'viewer', token: 't1', reason: 'no permit policy matched' }) }]);
    expect(() => authorize(ctx, 'elsewhere', 'org.read')).toThrow(expect.objectContaining({ code: 'not_found', details: undefined }));
    expect(logged[1]).toEqual({ authz: expect.objectContaining({ decision: 'deny', org: 'elsewhere', reason: 'not a member of the org' }) });
  });
});
