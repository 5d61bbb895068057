import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES } from '../src/index.js';
import { DB_KINDS } from './helpers/db.js';
import { pushFiles, sha256, uploadAndManifest } from './helpers/push.js';
import { ADMIN_TOKEN, startTestServer, type TestServer } from './helpers/server.js';

const CARD = `---
license: apache-2.0
datasets: [wikitext]
base_model: org/base
tags: [text-generation]
model-index:
  - name: demo
    results:
      - task: { type: text-generation }
        dataset: { type: wikitext, name: WikiText }
        metrics:
          - { type: perplexity, value: 12.5 }
---
# Demo
## Intended Use
Chat.
## Limitations
Hallucinates.
`;

const BROKEN_CARD = `---
license: mit
tags: [a, b
---
# Broken
`;

describe.each(DB_KINDS)('HTTP API on %s', (kind) => {
  let srv: TestServer;
  let viewerToken: string;
  let contributorToken: string;
  let maintainerToken: string;

  async function tokenFor(name: string, role: string): Promise<string> {
    const u = await srv.api('POST', '/api/v1/orgs/default/users', { body: { name, role } });
    expect(u.status).toBe(201);
    const t = await srv.api('POST', '/api/v1/orgs/default/tokens', { body: { name: `${name}-token`, user: name } });
    expect(t.status).toBe(201);
    return t.json.token;
  }

  beforeAll(async () => {
    srv = await startTestServer(kind);
    viewerToken = await tokenFor('vera', 'viewer');
    contributorToken = await tokenFor('carl', 'contributor');
    maintainerToken = await tokenFor('maya', 'maintainer');
  });
  afterAll(async () => {
    await srv?.stop();
  });

  describe('authentication and errors', () => {
    it('health and readiness need no token; everything else does', async () => {
      expect((await srv.api('GET', '/healthz', { token: null })).json).toEqual({ status: 'ok' });
      expect((await srv.api('GET', '/readyz', { token: null })).json).toEqual({ status: 'ready' });
      const r = await srv.api('GET', '/api/v1/orgs', { token: null });
      expect(r.status).toBe(401);
      expect(r.json).toEqual({ error: { code: 'unauthenticated', message: expect.stringContaining('missing bearer token') } });
    });

    it('unknown, malformed, revoked and expired tokens are 401', async () => {
      expect((await srv.api('GET', '/api/v1/whoami', { token: 'stw_nope' })).json.error.message).toBe('unknown token');
      const bad = await srv.api('GET', '/api/v1/whoami', { token: null, headers: { authorization: 'Basic abc' } });
      expect(bad.status).toBe(401);
      // A token already resolved (and cached) is still refused without the "Bearer" scheme.
      expect((await srv.api('GET', '/api/v1/whoami')).status).toBe(200);
      const bare = await srv.api('GET', '/api/v1/whoami', { token: null, headers: { authorization: ADMIN_TOKEN } });
      expect(bare.status).toBe(401);
      expect(bare.json.error.message).toBe('malformed Authorization header; expected "Bearer <token>"');
      const t = await srv.api('POST', '/api/v1/orgs/default/tokens', { body: { name: 'short-lived' } });
      const revoke = await srv.api('DELETE', `/api/v1/orgs/default/tokens/${t.json.id}`);
      expect(revoke.status).toBe(200);
      const after = await srv.api('GET', '/api/v1/whoami', { token: t.json.token });
      expect(after.status).toBe(401);
      expect(after.json.error.message).toBe('token has been revoked');
      // Expired: issue with a near expiry, then wait it out.
      const soon = new Date(Date.now() + 1500).toISOString();
      const e = await srv.api('POST', '/api/v1/orgs/default/tokens', { body: { name: 'expiring', expiresAt: soon } });
      expect(e.status).toBe(201);
      expect((await srv.api('GET', '/api/v1/whoami', { token: e.json.token })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1700));
      const exp = await srv.api('GET', '/api/v1/whoami', { token: e.json.token });
      expect(exp.status).toBe(401);
      expect(exp.json.error.message).toBe('token has expired');
    });

    it('tokens are 256-bit, stored only as a hash, listed without the secret', async () => {
      const t = await srv.api('POST', '/api/v1/orgs/default/tokens', { body: { name: 'ci' } });
      expect(t.json.token).toMatch(/^stw_[A-Za-z0-9_-]{43}$/);
      const list = await srv.api('GET', '/api/v1/orgs/default/tokens');
      expect(list.text).not.toContain(t.json.token);
      expect(list.json.items.find((x: any) => x.id === t.json.id)).toMatchObject({ name: 'ci', user: 'admin', prefix: t.json.token.slice(0, 10) });
      const row = await srv.running.deps.db.selectFrom('api_tokens').selectAll().where('id', '=', t.json.id).executeTakeFirstOrThrow();
      expect(row.token_hash).toBe(sha256(t.json.token));
      expect(JSON.stringify(row)).not.toContain(t.json.token);
    });

    it('roles: viewers read but cannot push; non-admins cannot manage users; 403 names the role', async () => {
      const push = await srv.api('POST', '/api/v1/orgs/default/blobs/missing', { token: viewerToken, body: { digests: [] } });
      expect(push.status).toBe(403);
      expect(push.json.error).toMatchObject({ code: 'forbidden', message: 'role "viewer" in org "default" may not blob write' });
      const users = await srv.api('POST', '/api/v1/orgs/default/users', { token: maintainerToken, body: { name: 'x', role: 'admin' } });
      expect(users.status).toBe(403);
      expect((await srv.api('GET', '/api/v1/orgs/default/models', { token: viewerToken })).status).toBe(200);
      const others = await srv.api('POST', '/api/v1/orgs/default/tokens', { token: contributorToken, body: { name: 'steal', user: 'admin' } });
      expect(others.status).toBe(403);
    });

    it('an unknown org is 404, whether absent or not yours', async () => {
      const r = await srv.api('GET', '/api/v1/orgs/nope/models');
      expect(r.status).toBe(404);
      expect(r.json.error).toEqual({ code: 'not_found', message: 'org "nope" not found' });
    });

    it('validation errors name the field', async () => {
      const r = await srv.api('POST', '/api/v1/orgs/default/users', { body: { name: '../x', role: 'god' } });
      expect(r.status).toBe(400);
      expect(r.json.error.code).toBe('validation_failed');
      const fields = r.json.error.details.issues.map((i: any) => i.field);
      expect(fields).toEqual(expect.arrayContaining(['body.name', 'body.role']));
      const notJson = await srv.api('POST', '/api/v1/orgs/default/users', { raw: '{nope', headers: { 'content-type': 'application/json' } });
      expect(notJson.status).toBe(400);
      expect(notJson.json.error.code).toBe('bad_request');
    });

    it('path parameters are checked on every request, also after the same route served valid ones', async () => {
      const good = await srv.api('GET', '/api/v1/orgs/default/models/no-such-model/versions/1.0.0');
      expect(good.status).toBe(404);
      for (let i = 0; i < 2; i++) {
        const bad = await srv.api('GET', '/api/v1/orgs/default/models/Bad%20Name/versions/1.0.0');
        expect(bad.status).toBe(400);
        expect(bad.json.error.code).toBe('validation_failed');
        expect(bad.json.error.details.issues.map((x: any) => x.field)).toContain('params.model');
      }
      expect((await srv.api('GET', '/api/v1/orgs/default/models/no-such-model/versions/1.0.0')).status).toBe(404);
    });

    it('every response carries a request id, unique per request, or the client\'s own', async () => {
      const a = await srv.api('GET', '/api/v1/orgs/default/models');
      const b = await srv.api('GET', '/api/v1/orgs/default/models');
      const given = await srv.api('GET', '/api/v1/orgs/default/models', { headers: { 'x-request-id': 'ci-run-42.step-3' } });
      const failed = await srv.api('GET', '/api/v1/orgs/default/models', { token: 'stw_wrong' });
      const noRoute = await srv.api('GET', '/api/v1/nothing-here');
      expect(a.headers.get('x-request-id')).toMatch(/^[0-9a-f]{16}-[0-9a-z]+$/);
      expect(b.headers.get('x-request-id')).toMatch(/^[0-9a-f]{16}-[0-9a-z]+$/);
      expect(b.headers.get('x-request-id')).not.toBe(a.headers.get('x-request-id'));
      expect(given.headers.get('x-request-id')).toBe('ci-run-42.step-3');
      expect(failed.status).toBe(401);
      expect(failed.headers.get('x-request-id')).toMatch(/^[0-9a-f]{16}-[0-9a-z]+$/);
      expect(noRoute.headers.get('x-request-id')).toMatch(/^[0-9a-f]{16}-[0-9a-z]+$/);
    });

    it('unknown routes get the error envelope', async () => {
      const r = await srv.api('GET', '/api/v1/nothing-here');
      expect(r.status).toBe(404);
      expect(r.json.error.code).toBe('not_found');
    });

    it('sends security headers', async () => {
      const r = await srv.api('GET', '/api/v1/whoami');
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(r.headers.get('x-frame-options')).toBe('DENY');
      expect(r.headers.get('cache-control')).toBe('no-store');
      expect(r.headers.get('strict-transport-security')).toBeNull();
      expect(r.headers.get('x-ratelimit-limit')).toBe('6000');
      // Also on errors, on routes without a handler, on bodies that fail to parse, and outside the API.
      const failures = [
        await srv.api('GET', '/api/v1/whoami', { token: 'stw_unknown' }),
        await srv.api('GET', '/api/v1/nothing-here'),
        await srv.api('GET', '/healthz'),
        await srv.api('GET', '/api/v1/openapi.json'),
      ];
      const badJson = await fetch(`${srv.url}/api/v1/orgs/default/users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: '{not json',
      });
      for (const f of [...failures.map((x) => x.headers), badJson.headers]) {
        expect(f.get('x-content-type-options')).toBe('nosniff');
        expect(f.get('cache-control')).toBe('no-store');
      }
      expect(badJson.status).toBe(400);
      expect(failures[0]!.status).toBe(401);
    });
  });

  describe('OpenAPI', () => {
    it('documents every route from the validating schemas', async () => {
      const r = await srv.api('GET', '/api/v1/openapi.json');
      expect(r.status).toBe(200);
      expect(r.json.openapi).toBe('3.1.0');
      const ops = Object.values(r.json.paths as Record<string, Record<string, any>>).flatMap((p) => Object.values(p).map((o) => o.operationId));
      expect(ops.sort()).toEqual(API_ROUTES.map((x) => x.operationId).sort());
      const push = r.json.paths['/api/v1/orgs/{org}/models/{model}/versions'].post;
      const body = push.requestBody.content['application/json'].schema;
      expect(body.required).toEqual(expect.arrayContaining(['version', 'manifest']));
      expect(body.properties.manifest.properties.files.items.properties.sha256.pattern).toBe('^[0-9a-f]{64}$');
      expect(push.responses['409'].content['application/json'].schema.$ref).toBe('#/components/schemas/ErrorEnvelope');
      expect(r.json.components.schemas.ErrorEnvelope.properties.error.properties.code.enum).toContain('version_exists');
    });
  });

  describe('blobs', () => {
    it('stores only when the digest matches; a mismatch is 400 and stores nothing', async () => {
      const data = Buffer.from('hello blob');
      const wrong = sha256('something else');
      const r = await srv.api('PUT', `/api/v1/orgs/default/blobs/${wrong}`, { raw: data, headers: { 'content-type': 'application/octet-stream' } });
      expect(r.status).toBe(400);
      expect(r.json.error.code).toBe('digest_mismatch');
      expect(await srv.running.deps.blobs.stat(wrong)).toBeNull();
      expect(await srv.running.deps.blobs.stat(sha256(data))).toBeNull();
      const missing = await srv.api('POST', '/api/v1/orgs/default/blobs/missing', { body: { digests: [wrong] } });
      expect(missing.json.missing).toEqual([wrong]);
      const ok = await srv.api('PUT', `/api/v1/orgs/default/blobs/${sha256(data)}`, { raw: data, headers: { 'content-type': 'application/octet-stream' } });
      expect(ok.json).toEqual({ digest: sha256(data), size: data.length, created: true });
      const again = await srv.api('PUT', `/api/v1/orgs/default/blobs/${sha256(data)}`, { raw: data, headers: { 'content-type': 'application/octet-stream' } });
      expect(again.json.created).toBe(false);
      const tmp = path.join(srv.dataDir, 'blobs', 'tmp');
      expect(fs.existsSync(tmp) ? fs.readdirSync(tmp) : []).toEqual([]);
    });

    it('refuses digests that are not 64 lowercase hex (no path tricks)', async () => {
      const r = await srv.api('PUT', '/api/v1/orgs/default/blobs/..%2F..%2Fetc%2Fpasswd', { raw: 'x', headers: { 'content-type': 'application/octet-stream' } });
      expect(r.status).toBe(400);
      expect(r.json.error.details.issues[0].field).toBe('params.digest');
    });

    it('a blob over the configured limit is 413 and stores nothing', async () => {
      const small = await startTestServer(kind, { maxBlobBytes: 1000, bodyLimitBytes: 2048 });
      try {
        const big = Buffer.alloc(5000, 7);
        const r = await small.api('PUT', `/api/v1/orgs/default/blobs/${sha256(big)}`, { raw: big, headers: { 'content-type': 'application/octet-stream' } });
        expect(r.status).toBe(413);
        expect(r.json.error.code).toBe('payload_too_large');
        expect(await small.running.deps.blobs.stat(sha256(big))).toBeNull();
        const json = await small.api('POST', '/api/v1/orgs/default/blobs/missing', { body: { digests: Array.from({ length: 100 }, () => 'a'.repeat(64)) } });
        expect(json.status).toBe(413);
        expect(json.json.error.code).toBe('payload_too_large');
      } finally {
        await small.stop();
      }
    });

    it('one org cannot fetch or reference bytes another org uploaded', async () => {
      const db = srv.running.deps.db;
      const now = new Date().toISOString();
      await db.insertInto('orgs').values({ id: 'org-other', name: 'other', created_at: now }).execute();
      const admin = await db.selectFrom('users').select('id').where('name', '=', 'admin').executeTakeFirstOrThrow();
      await db.insertInto('org_members').values({ org_id: 'org-other', user_id: admin.id, role: 'admin', created_at: now }).execute();
      const secret = Buffer.from('weights of org default');
      await srv.api('PUT', `/api/v1/orgs/default/blobs/${sha256(secret)}`, { raw: secret, headers: { 'content-type': 'application/octet-stream' } });
      expect((await srv.api('GET', `/api/v1/orgs/other/blobs/${sha256(secret)}`)).status).toBe(404);
      const missing = await srv.api('POST', '/api/v1/orgs/other/blobs/missing', { body: { digests: [sha256(secret)] } });
      expect(missing.json.missing).toEqual([sha256(secret)]);
      const manifest = { serialization: { method: 'files', hash_type: 'sha256', allow_symlinks: false, ignore_paths: [] }, files: [{ path: 'w.bin', size: secret.length, sha256: sha256(secret) }], rootDigest: '' };
      manifest.rootDigest = (await import('@steward/attest')).rootDigestOf([sha256(secret)]);
      const r = await srv.api('POST', '/api/v1/orgs/other/models/thief/versions', { body: { version: '1.0.0', manifest } });
      expect(r.status).toBe(400);
      expect(r.json.error.message).toBe('1 file(s) were not uploaded before registering the version');
      expect(r.json.error.details.paths).toEqual(['w.bin']);
    });

    it('serves byte ranges', async () => {
      const data = Buffer.from('0123456789abcdef');
      await srv.api('PUT', `/api/v1/orgs/default/blobs/${sha256(data)}`, { raw: data, headers: { 'content-type': 'application/octet-stream' } });
      const r = await srv.api('GET', `/api/v1/orgs/default/blobs/${sha256(data)}`, { headers: { range: 'bytes=4-7' } });
      expect(r.status).toBe(206);
      expect(r.text).toBe('4567');
      expect(r.headers.get('content-range')).toBe('bytes 4-7/16');
    });
  });

  describe('versions', () => {
    const files = [
      { path: 'README.md', content: CARD },
      { path: 'model.safetensors', content: Buffer.alloc(4096, 1) },
      { path: 'tokenizer/vocab.json', content: '{"a":1}' },
    ];

    it('registers a version atomically with manifest, card and audit events', async () => {
      const r = await pushFiles(srv, 'demo', '1.0.0', files, { description: 'a demo', riskTier: 'limited', tags: ['nlp'] });
      expect(r.status).toBe(201);
      expect(r.json.created).toBe(true);
      expect(r.json.modelCreated).toBe(true);
      const v = r.json.version;
      expect(v.manifest.files.map((f: any) => f.path)).toEqual(['README.md', 'model.safetensors', 'tokenizer/vocab.json']);
      expect(v.totalSize).toBe(Buffer.byteLength(CARD) + 4096 + 7);
      expect(v.card.metadata).toMatchObject({ license: 'apache-2.0', datasets: ['wikitext'], baseModels: ['org/base'], tags: ['text-generation'] });
      expect(v.card.metadata.modelIndex[0].results[0].metrics[0]).toMatchObject({ type: 'perplexity', value: 12.5 });
      expect(v.card.recognizedSections).toEqual(expect.arrayContaining(['intended_use', 'limitations']));
      expect(v.card.problems).toEqual([]);
      const model = await srv.api('GET', '/api/v1/orgs/default/models/demo');
      expect(model.json).toMatchObject({ name: 'demo', description: 'a demo', riskTier: 'limited', owners: ['admin'], tags: ['nlp'], latestVersion: '1.0.0', rings: { sandbox: null, beta: null, production: null } });
      const audit = await srv.api('GET', '/api/v1/orgs/default/audit-events?limit=5');
      // The background scan may already have added its own event; look at the push's.
      const pushEvents = audit.json.items.filter((e: any) => e.action !== 'version.scanned');
      expect(pushEvents.map((e: any) => e.action).slice(0, 2)).toEqual(['version.pushed', 'model.created']);
      expect(pushEvents[0].details).toMatchObject({ version: '1.0.0', manifestDigest: v.manifestDigest, files: 3 });
    });

    it('re-pushing identical content is a no-op; other content is 409 and changes nothing', async () => {
      const same = await pushFiles(srv, 'demo', '1.0.0', files);
      expect(same.status).toBe(200);
      expect(same.json.created).toBe(false);
      const changed = await pushFiles(srv, 'demo', '1.0.0', [...files.slice(0, 2), { path: 'tokenizer/vocab.json', content: '{"a":2}' }]);
      expect(changed.status).toBe(409);
      expect(changed.json.error.code).toBe('version_exists');
      // Same bytes, one file renamed (same order, so the same OMS root digest): still another version.
      const renamed = await pushFiles(srv, 'demo', '1.0.0', [files[0]!, { path: 'model.safetensorz', content: files[1]!.content }, files[2]!]);
      expect(renamed.status).toBe(409);
      const v = await srv.api('GET', '/api/v1/orgs/default/models/demo/versions/1.0.0');
      expect(v.json.manifestDigest).toBe(same.json.version.manifestDigest);
    });

    it('a malformed model card does not stop the push; problems carry the line', async () => {
      const r = await pushFiles(srv, 'demo', '1.0.1', [{ path: 'README.md', content: BROKEN_CARD }, files[1]!]);
      expect(r.status).toBe(201);
      expect(r.json.version.card.problems[0]).toMatchObject({ severity: 'error', line: 3 });
    });

    it.each([
      ['../escape.bin', 'invalid_path'],
      ['/abs/path.bin', 'invalid_path'],
      ['a/./b', 'invalid_path'],
      ['a\\b', 'invalid_path'],
    ])('refuses the file path %s and stores nothing', async (bad, code) => {
      const content = Buffer.from(`x-${bad}`);
      const manifest = await uploadAndManifest(srv, [{ path: 'ok.bin', content }]);
      manifest.files[0]!.path = bad;
      const r = await srv.api('POST', '/api/v1/orgs/default/models/badpaths/versions', { body: { version: '1.0.0', manifest } });
      expect(r.status).toBe(400);
      expect(r.json.error.code).toBe(code);
      expect(r.json.error.message).toContain(JSON.stringify(bad).slice(1, -1).slice(0, 3));
      expect((await srv.api('GET', '/api/v1/orgs/default/models/badpaths')).status).toBe(404);
    });

    it('refuses invalid semver, root digest mismatch, unknown dataset and base model', async () => {
      const manifest = await uploadAndManifest(srv, [{ path: 'w.bin', content: 'w' }]);
      const semverBad = await srv.api('POST', '/api/v1/orgs/default/models/strict/versions', { body: { version: 'v1.0', manifest } });
      expect(semverBad.status).toBe(400);
      expect(semverBad.json.error.details.issues[0]).toMatchObject({ field: 'body.version' });
      const digestBad = await srv.api('POST', '/api/v1/orgs/default/models/strict/versions', { body: { version: '1.0.0', manifest: { ...manifest, rootDigest: 'f'.repeat(64) } } });
      expect(digestBad.status).toBe(400);
      expect(digestBad.json.error.code).toBe('digest_mismatch');
      const ds = await srv.api('POST', '/api/v1/orgs/default/models/strict/versions', { body: { version: '1.0.0', manifest, datasets: [{ name: 'ghost', version: '1', relation: 'trained_on' }] } });
      expect(ds.status).toBe(400);
      expect(ds.json.error.message).toBe('datasets[0]: dataset ghost@1 is not registered in org "default"');
      const base = await srv.api('POST', '/api/v1/orgs/default/models/strict/versions', { body: { version: '1.0.0', manifest, baseModel: 'default/ghost@1.0.0' } });
      expect(base.status).toBe(400);
      expect(base.json.error.message).toBe('baseModel: model "ghost" not found');
      const baseMalformed = await srv.api('POST', '/api/v1/orgs/default/models/strict/versions', { body: { version: '1.0.0', manifest, baseModel: 'nonsense' } });
      expect(baseMalformed.status).toBe(400);
      expect((await srv.api('GET', '/api/v1/orgs/default/models/strict')).status).toBe(404);
    });

    it('lists versions with cursor pagination, newest first', async () => {
      for (const v of ['2.0.0', '2.1.0', '2.2.0']) expect((await pushFiles(srv, 'paged', v, [{ path: 'f', content: v }])).status).toBe(201);
      const p1 = await srv.api('GET', '/api/v1/orgs/default/models/paged/versions?limit=2');
      expect(p1.json.items.map((v: any) => v.version)).toEqual(['2.2.0', '2.1.0']);
      expect(p1.json.nextCursor).toEqual(expect.any(String));
      const p2 = await srv.api('GET', `/api/v1/orgs/default/models/paged/versions?limit=2&cursor=${p1.json.nextCursor}`);
      expect(p2.json.items.map((v: any) => v.version)).toEqual(['2.0.0']);
      expect(p2.json.nextCursor).toBeNull();
      const bad = await srv.api('GET', '/api/v1/orgs/default/models/paged/versions?cursor=garbage');
      expect(bad.status).toBe(400);
    });

    it('contributors push, maintainers edit metadata, contributors may not', async () => {
      const manifestFiles = [{ path: 'c.bin', content: 'by carl' }];
      const manifest = await uploadAndManifest(srv, manifestFiles, 'default', contributorToken);
      const r = await srv.api('POST', '/api/v1/orgs/default/models/carls/versions', { token: contributorToken, body: { version: '0.1.0', manifest } });
      expect(r.status).toBe(201);
      expect(r.json.version.createdBy).toBe('carl');
      // Creating the model made carl its owner (docs/authorization.md); as a plain contributor he may not edit it.
      expect((await srv.api('DELETE', '/api/v1/orgs/default/models/carls/roles/carl')).json).toMatchObject({ role: 'owner' });
      const denied = await srv.api('PATCH', '/api/v1/orgs/default/models/carls', { token: contributorToken, body: { riskTier: 'high' } });
      expect(denied.status).toBe(403);
      const ok = await srv.api('PATCH', '/api/v1/orgs/default/models/carls', { token: maintainerToken, body: { riskTier: 'high', owners: ['carl', 'maya'] } });
      expect(ok.json).toMatchObject({ riskTier: 'high', owners: ['carl', 'maya'] });
      const ghost = await srv.api('PATCH', '/api/v1/orgs/default/models/carls', { token: maintainerToken, body: { owners: ['carl', 'ghost'] } });
      expect(ghost.status).toBe(400);
      expect(ghost.json.error.message).toBe('owners: "ghost" not a member of org "default"');
    });
  });

  describe('datasets and lineage', () => {
    it('registers datasets with license, approver, script digest; links versions; walks lineage both ways', async () => {
      const script = Buffer.from('print("clean")\n');
      await srv.api('PUT', `/api/v1/orgs/default/blobs/${sha256(script)}`, { raw: script, headers: { 'content-type': 'application/octet-stream' } });
      const body = { name: 'wiki', version: '2024-01', sourceUri: 'https://example.org/wiki.tar', license: 'CC-BY-SA-4.0', approvedBy: 'vera', sensitivity: 'public', transformScript: { name: 'clean.py', sha256: sha256(script), size: script.length } };
      const d = await srv.api('POST', '/api/v1/orgs/default/datasets', { body });
      expect(d.status).toBe(201);
      expect(d.json.dataset).toMatchObject({ name: 'wiki', license: 'CC-BY-SA-4.0', approvedBy: 'vera', sensitivity: 'public', transformScript: { sha256: sha256(script) } });
      expect((await srv.api('POST', '/api/v1/orgs/default/datasets', { body })).status).toBe(200);
      const conflict = await srv.api('POST', '/api/v1/orgs/default/datasets', { body: { ...body, license: 'MIT' } });
      expect(conflict.status).toBe(409);
      const lic = await srv.api('POST', '/api/v1/orgs/default/datasets', { body: { ...body, version: '2', license: 'NOT A LICENSE' } });
      expect(lic.status).toBe(400);
      expect(lic.json.error.details.issues[0].field).toBe('body.license');
      const lowercase = await srv.api('POST', '/api/v1/orgs/default/datasets', { body: { ...body, version: '3', license: 'gpl-2.0-or-later' } });
      expect(lowercase.status).toBe(201);
      const approver = await srv.api('POST', '/api/v1/orgs/default/datasets', { body: { ...body, version: '4', approvedBy: 'nobody' } });
      expect(approver.json.error.message).toBe('approvedBy: user "nobody" is not a member of org "default"');

      expect((await pushFiles(srv, 'base', '1.0.0', [{ path: 'b', content: 'base' }], { datasets: [{ name: 'wiki', version: '2024-01', relation: 'trained_on' }] })).status).toBe(201);
      const child = await pushFiles(srv, 'child', '1.0.0', [{ path: 'c', content: 'child' }], {
        baseModel: 'default/base@1.0.0',
        datasets: [{ name: 'wiki', version: '3', relation: 'evaluated_on' }],
        sourceRepo: 'https://git.example.org/train',
        sourceCommit: 'ABCDEF1234567',
      });
      expect(child.status).toBe(201);
      expect(child.json.version).toMatchObject({ baseModel: 'default/base@1.0.0', sourceCommit: 'abcdef1234567' });
      const up = await srv.api('GET', '/api/v1/orgs/default/models/child/versions/1.0.0/lineage');
      const labels = up.json.nodes.map((n: any) => n.label).sort();
      expect(labels).toEqual(['default/base@1.0.0', 'default/child@1.0.0', 'wiki@2024-01', 'wiki@3']);
      const rel = up.json.edges.map((e: any) => e.relation).sort();
      expect(rel).toEqual(['derived_from', 'evaluated_on', 'trained_on']);
      expect(up.json.sourceCommits).toEqual([{ version: 'default/child@1.0.0', repo: 'https://git.example.org/train', commit: 'abcdef1234567' }]);
      const down = await srv.api('GET', '/api/v1/orgs/default/models/base/versions/1.0.0/lineage');
      expect(down.json.nodes.map((n: any) => n.label)).toContain('default/child@1.0.0');
    });
  });

  describe('rings', () => {
    it('moves pointers with history, answers "what was in production at T", rolls back through history', async () => {
      for (const v of ['1.0.0', '1.1.0', '1.2.0']) await pushFiles(srv, 'ringed', v, [{ path: 'w', content: `w${v}` }]);
      const move = (version: string, token = maintainerToken) => srv.api('PUT', '/api/v1/orgs/default/models/ringed/rings/sandbox', { token, body: { version, reason: `ship ${version}` } });
      expect((await move('1.0.0', contributorToken)).status).toBe(403);
      // Production needs approvals: a maintainer's direct move is refused (promotion requests, issue 5).
      const prod = await srv.api('PUT', '/api/v1/orgs/default/models/ringed/rings/production', { token: maintainerToken, body: { version: '1.0.0' } });
      expect(prod.status).toBe(409);
      expect(prod.json.error.message).toMatch(/requires 2 approval\(s\): open a promotion request/);
      const m1 = await move('1.0.0');
      expect(m1.json).toMatchObject({ ring: 'sandbox', version: '1.0.0', previousVersion: null, kind: 'set', movedBy: 'maya', reason: 'ship 1.0.0' });
      await new Promise((r) => setTimeout(r, 20));
      const between = new Date().toISOString();
      await new Promise((r) => setTimeout(r, 20));
      await move('1.1.0');
      await move('1.2.0');
      expect((await move('1.2.0')).status).toBe(409);
      const at = await srv.api('GET', `/api/v1/orgs/default/models/ringed/rings/sandbox/history?at=${encodeURIComponent(between)}`);
      expect(at.json.version).toBe('1.0.0');
      const before = await srv.api('GET', '/api/v1/orgs/default/models/ringed/rings/sandbox/history?at=2000-01-01T00:00:00Z');
      expect(before.json.version).toBeNull();
      expect((await srv.api('GET', '/api/v1/orgs/default/models/ringed/versions/sandbox')).json.version).toBe('1.2.0');
      const rb = () => srv.api('POST', '/api/v1/orgs/default/models/ringed/rings/sandbox/rollback', { token: maintainerToken, body: { reason: 'bad' } });
      expect((await rb()).json).toMatchObject({ version: '1.1.0', previousVersion: '1.2.0', kind: 'rollback' });
      expect((await rb()).json).toMatchObject({ version: '1.0.0', previousVersion: '1.1.0' });
      const none = await rb();
      expect(none.status).toBe(409);
      const hist = await srv.api('GET', '/api/v1/orgs/default/models/ringed/rings/sandbox/history');
      expect(hist.json.items.map((e: any) => `${e.kind}:${e.version}`)).toEqual(['rollback:1.0.0', 'rollback:1.1.0', 'set:1.2.0', 'set:1.1.0', 'set:1.0.0']);
      const model = await srv.api('GET', '/api/v1/orgs/default/models/ringed');
      expect(model.json.rings.sandbox).toBe('1.0.0');
      expect((await srv.api('PUT', '/api/v1/orgs/default/models/ringed/rings/nope', { token: maintainerToken, body: { version: '1.0.0' } })).status).toBe(404);
      const bad = await srv.api('GET', '/api/v1/orgs/default/models/ringed/rings/sandbox/history?at=yesterday');
      expect(bad.status).toBe(400);
    });
  });

  describe('garbage collection', () => {
    it('collects orphaned uploads after the grace period and keeps referenced blobs', async () => {
      const gcSrv = await startTestServer(kind, { gcGraceSeconds: 0 });
      try {
        const kept = await pushFiles(gcSrv, 'keep', '1.0.0', [{ path: 'k', content: 'kept bytes' }]);
        expect(kept.status).toBe(201);
        const orphan = Buffer.from('orphaned upload, never registered');
        await gcSrv.api('PUT', `/api/v1/orgs/default/blobs/${sha256(orphan)}`, { raw: orphan, headers: { 'content-type': 'application/octet-stream' } });
        fs.mkdirSync(path.join(gcSrv.dataDir, 'blobs', 'tmp'), { recursive: true });
        fs.writeFileSync(path.join(gcSrv.dataDir, 'blobs', 'tmp', 'crashed-upload'), 'partial');
        const past = new Date(Date.now() - 10_000);
        fs.utimesSync(path.join(gcSrv.dataDir, 'blobs', 'tmp', 'crashed-upload'), past, past);
        await new Promise((r) => setTimeout(r, 20));
        const r = await gcSrv.api('POST', '/api/v1/orgs/default/gc');
        expect(r.json).toEqual({ blobsDeleted: 1, bytesFreed: orphan.length, possessionsDeleted: 1, temporariesDeleted: 1 });
        expect(await gcSrv.running.deps.blobs.stat(sha256(orphan))).toBeNull();
        expect(await gcSrv.running.deps.blobs.stat(sha256('kept bytes'))).not.toBeNull();
        expect((await gcSrv.api('GET', `/api/v1/orgs/default/blobs/${sha256('kept bytes')}`)).text).toBe('kept bytes');
        expect((await gcSrv.api('POST', '/api/v1/orgs/default/gc', { token: null })).status).toBe(401);
      } finally {
        await gcSrv.stop();
      }
    });
  });

  describe('rate limits', () => {
    it('limits per token with 429 and the envelope', async () => {
      const limited = await startTestServer(kind, { rateLimitMax: 3 });
      try {
        const codes: number[] = [];
        for (let i = 0; i < 4; i++) codes.push((await limited.api('GET', '/api/v1/whoami')).status);
        expect(codes).toEqual([200, 200, 200, 429]);
        const r = await limited.api('GET', '/api/v1/whoami');
        expect(r.json.error.code).toBe('rate_limited');
        // Another token has its own budget.
        expect((await limited.api('GET', '/api/v1/whoami', { token: 'stw_other' })).status).toBe(401);
      } finally {
        await limited.stop();
      }
    });
  });
});

void ADMIN_TOKEN;
