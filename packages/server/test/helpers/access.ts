/**
 * Requests for every API route that pass input validation (so what answers is the authorization,
 * or what comes after it), and members with any org role (and optionally a model role).
 */
import { randomUUID } from 'node:crypto';
import type { RouteDef } from '../../src/http/route.js';
import { sha256, uploadAndManifest } from './push.js';
import type { TestServer } from './server.js';

export const FIXTURE_MODEL = 'm1';
export const FIXTURE_RING = 'beta';
export const BLOB = Buffer.from('matrix blob');
const PUB = '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n';

export interface Fixture {
  params: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  raw?: Buffer;
}

export interface World {
  manifest: unknown;
}

/** Seeds what the fixtures name: model m1@1.0.0, dataset ds@1 (as the admin). */
export async function seedWorld(srv: TestServer, org = 'default'): Promise<World> {
  const manifest = await uploadAndManifest(srv, [{ path: 'model.safetensors', content: BLOB }], org);
  const push = await srv.api('POST', `/api/v1/orgs/${org}/models/${FIXTURE_MODEL}/versions`, { body: { version: '1.0.0', manifest } });
  if (push.status !== 201) throw new Error(`seed push: ${push.status} ${push.text}`);
  const ds = await srv.api('POST', `/api/v1/orgs/${org}/datasets`, { body: { name: 'ds', version: '1', sourceUri: 'https://example.com/ds', license: 'MIT' } });
  if (ds.status !== 201) throw new Error(`seed dataset: ${ds.status} ${ds.text}`);
  return { manifest };
}

const bodies: Record<string, (w: World, org: string) => unknown> = {
  createUser: () => ({ name: `u-${randomUUID().slice(0, 8)}`, role: 'viewer' }),
  createToken: () => ({ name: 'matrix' }),
  findMissingBlobs: () => ({ digests: [sha256(BLOB)] }),
  updateModel: () => ({ description: 'matrix' }),
  pushVersion: (w) => ({ version: '1.0.0', manifest: w.manifest }),
  registerDataset: () => ({ name: 'ds', version: '1', sourceUri: 'https://example.com/ds', license: 'MIT' }),
  moveRing: () => ({ version: '1.0.0', reason: 'matrix' }),
  rollbackRing: () => ({}),
  addAllowlistEntry: () => ({ entry: 'acme.models.Net', reason: 'matrix' }),
  rotateLedgerKey: () => ({}),
  pushPolicySet: () => ({ files: [{ path: 'steward.yaml', text: 'version: 1\n' }] }),
  evaluateVersionPolicy: () => ({ record: true }),
  createWaiver: () => ({ ruleId: 'card.license', reason: 'matrix', expires: '2999-01-01' }),
  revokeWaiver: () => ({}),
  reportCheckRun: () => ({ model: FIXTURE_MODEL, outcome: 'passed', policySetDigest: `sha256:${'0'.repeat(64)}`, counts: { pass: 1, fail: 0, error: 0, waived: 0, skipped: 0 }, failures: [] }),
  attachPiiReport: () => ({ counts: {} }),
  createSigningKey: () => ({}),
  rotateSigningKey: () => ({}),
  addTrustedSigner: () => ({ name: 'matrix', publicKeyPem: PUB }),
  addSignature: () => ({ bundle: '{}' }),
  signVersion: () => ({}),
  signProvenance: () => ({}),
  createWebhook: () => ({ url: 'http://127.0.0.1:9/hook', events: ['version.*'] }),
  updateWebhook: () => ({ description: 'matrix' }),
  rotateWebhookSecret: () => ({}),
  grantModelRole: () => ({ role: 'contributor' }),
  updateRingCriteria: () => ({ reviewDeadlineHours: 48 }),
  freezeRing: () => ({ reason: 'matrix' }),
  unfreezeRing: () => ({}),
  freezeModel: () => ({ reason: 'matrix' }),
  unfreezeModel: () => ({}),
  createPromotionRequest: () => ({ version: '1.0.0', ring: FIXTURE_RING, reason: 'matrix' }),
  reviewPromotionRequest: () => ({ decision: 'request_changes', comment: 'matrix' }),
  withdrawPromotionRequest: () => ({}),
  ingestTelemetry: () => ({ ring: FIXTURE_RING, version: '1.0.0', records: [{ features: { x: 1 } }] }),
  registerDeployment: () => ({ version: '1.0.0', ring: FIXTURE_RING }),
  acknowledgeAlert: () => ({}),
  silenceAlert: () => ({ until: '2999-01-01T00:00:00Z', reason: 'matrix' }),
  attachDatasetProfile: () => ({ rows: 1, features: {} }),
  // OTLP/JSON naming the fixture model; no metrics, so only the authorization matters.
  ingestOtlpMetrics: (_w, org) => ({ resourceMetrics: [{ resource: { attributes: [{ key: 'steward.model', value: { stringValue: `${org}/${FIXTURE_MODEL}` } }, { key: 'steward.ring', value: { stringValue: FIXTURE_RING } }, { key: 'steward.version', value: { stringValue: '1.0.0' } }] }, scopeMetrics: [] }] }),
};

const queries: Record<string, Record<string, string>> = {
  listLedgerEntries: { start: '0', end: '1' },
  listLeafHashes: { start: '0', end: '1' },
  getConsistencyProof: { from: '1', to: '1' },
};

/** A request for `route` in `org` that passes validation; `ids` supplies existing object ids where a route needs one. */
export function fixtureFor(route: RouteDef, w: World, org: string, ids: Record<string, string> = {}): Fixture {
  const values: Record<string, string> = {
    org,
    model: FIXTURE_MODEL,
    ref: '1.0.0',
    ring: FIXTURE_RING,
    dataset: 'ds',
    version: '1',
    digest: sha256(BLOB),
    id: ids[route.operationId] ?? randomUUID(),
    seq: '1',
    format: 'cyclonedx',
    entry: 'acme.models.Net',
    token: 'no-such-token',
    user: 'bystander',
    alert: ids[route.operationId] ?? randomUUID(),
  };
  const params: Record<string, string> = {};
  for (const m of route.url.matchAll(/:(\w+)/g)) {
    const v = values[m[1]!];
    if (v === undefined) throw new Error(`${route.operationId}: no fixture value for :${m[1]}`);
    params[m[1]!] = v;
  }
  const f: Fixture = { params };
  if (queries[route.operationId]) f.query = queries[route.operationId];
  const b = bodies[route.operationId];
  if (b) f.body = b(w, org);
  else if (route.body === 'binary') f.raw = BLOB;
  else if (route.body) throw new Error(`${route.operationId}: no body fixture`);
  return f;
}

export function urlOf(route: RouteDef, f: Fixture): string {
  const p = route.url.replace(/:(\w+)/g, (_, k: string) => encodeURIComponent(f.params[k]!));
  const q = f.query ? `?${new URLSearchParams(f.query).toString()}` : '';
  return p + q;
}

export async function call(srv: TestServer, route: RouteDef, f: Fixture, token: string) {
  return srv.api(route.method, urlOf(route, f), {
    token,
    ...(f.raw ? { raw: f.raw, headers: { 'content-type': 'application/octet-stream' } } : {}),
    ...(f.body !== undefined ? { body: f.body } : {}),
  });
}

/** Adds a member with `role` and returns a token of theirs (issued by the admin). */
export async function member(srv: TestServer, org: string, name: string, role: string, tokenOpts: Record<string, unknown> = {}, adminToken?: string): Promise<string> {
  const admin = adminToken ? { token: adminToken } : {};
  const u = await srv.api('POST', `/api/v1/orgs/${org}/users`, { body: { name, role }, ...admin });
  if (u.status !== 201 && u.status !== 409) throw new Error(`user ${name}: ${u.status} ${u.text}`);
  const t = await srv.api('POST', `/api/v1/orgs/${org}/tokens`, { body: { name: 'test', user: name, ...tokenOpts }, ...admin });
  if (t.status !== 201) throw new Error(`token ${name}: ${t.status} ${t.text}`);
  return t.json.token as string;
}

/** Denied by authorization: 403 carrying the Cedar decision. */
export function isDenial(r: { status: number; json: any }): boolean {
  return r.status === 403 && r.json?.error?.details?.decision !== undefined;
}

/** Refused by input validation before the service ran (the fixture is wrong, nothing was authorized). */
export function isValidationFailure(r: { status: number; json: any }): boolean {
  return r.status === 400 && r.json?.error?.code === 'validation_failed' && Array.isArray(r.json?.error?.details?.issues);
}
