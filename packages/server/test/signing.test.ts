/**
 * Signing on the server, over HTTP on SQLite and Postgres: the org key (create, rotate, who may),
 * server signatures that verify offline, uploaded bundles verified before they are stored (every
 * refusal leaves nothing behind), trust decided on read, signed provenance, and exports assembled
 * from the registry's records and validated against the official schemas.
 */
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SLSA_PROVENANCE_PREDICATE_TYPE,
  buildManifest,
  buildSlsaProvenance,
  generateSigningKeyPair,
  parseDsseBundle,
  signStatement,
  toInTotoStatement,
  verifyModelSignature,
  verifyStatementBundle,
  type Manifest,
} from '@steward/attest';
import { ExportIncompleteError, ExportInputError } from '@steward/exports';
import { EXPORT_FORMATS } from '@steward/domain';
import { signatureInfosForVersion } from '../src/services/signature-infos.js';
import { exportRefusal } from '../src/services/export-version.js';
import { DB_KINDS } from './helpers/db.js';
import { pushFiles, sha256, uploadAndManifest, type MemFile } from './helpers/push.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { schemaErrors } from '../../exports/test/cyclonedx-schema.js';
import { checkSpdxDocument } from '../../exports/test/spdx-model.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CERTS = path.resolve(here, '../../attest/test/fixtures/certificates');
const cert = (f: string) => fs.readFileSync(path.join(CERTS, f), 'utf8');

const CARD = `---
license: apache-2.0
pipeline_tag: summarization
model-index:
  - name: summarizer
    results:
      - task: { type: summarization }
        dataset: { type: cnn_dailymail, name: CNN / DailyMail, split: test }
        metrics:
          - { type: rouge1, value: 41.2 }
---
# Summarizer
## Intended Use
Summaries of news articles.
## Limitations
Hallucinates names.
`;

const FILES: MemFile[] = [
  { path: 'README.md', content: CARD },
  { path: 'model.safetensors', content: 'weights-v1' },
  { path: 'config.json', content: '{"layers":2}' },
];
const FILES_V2: MemFile[] = [
  { path: 'README.md', content: CARD },
  { path: 'model.safetensors', content: 'weights-v2' },
  { path: 'config.json', content: '{"layers":2}' },
];

function signModelStatement(manifest: Manifest, privateKeyPem: string, certificateChainPem?: string[]): string {
  return signStatement(toInTotoStatement(manifest, 'summarizer'), { privateKeyPem, ...(certificateChainPem ? { certificateChainPem } : {}) });
}

describe.each(DB_KINDS)('signing on %s', (kind) => {
  let srv: TestServer;
  let tokens: Record<string, string>;
  let manifest: Manifest;
  const V = '/api/v1/orgs/default/models/summarizer/versions/1.0.0';
  const local = generateSigningKeyPair();

  async function tokenFor(name: string, role: string): Promise<string> {
    expect((await srv.api('POST', '/api/v1/orgs/default/users', { body: { name, role } })).status).toBe(201);
    const t = await srv.api('POST', '/api/v1/orgs/default/tokens', { body: { name: `${name}-token`, user: name } });
    expect(t.status).toBe(201);
    return t.json.token;
  }

  const db = () => srv.running.deps.db;
  const counts = async () => ({
    signatures: Number((await db().selectFrom('signatures').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
    events: Number((await db().selectFrom('audit_events').select((eb) => eb.fn.countAll().as('n')).where('action', 'in', ['signature.added', 'version.signed']).executeTakeFirstOrThrow()).n),
  });
  const orgId = async () => (await db().selectFrom('orgs').select('id').where('name', '=', 'default').executeTakeFirstOrThrow()).id;
  const versionId = async () => (await srv.api('GET', V)).json.id as string;

  /** An upload the server must refuse with `status` and `reason`, writing nothing. */
  async function refused(body: Record<string, unknown>, status: number, reason: string | null, message: RegExp) {
    const before = await counts();
    const r = await srv.api('POST', `${V}/signatures`, { body });
    expect(r.status, r.text).toBe(status);
    if (reason) expect(r.json.error.details?.reason, r.text).toBe(reason);
    expect(r.json.error.message).toMatch(message);
    expect(r.text).not.toMatch(/\n\s+at /);
    expect(await counts()).toEqual(before);
    return r;
  }

  beforeAll(async () => {
    srv = await startTestServer(kind);
    tokens = { viewer: await tokenFor('vera', 'viewer'), contributor: await tokenFor('carl', 'contributor'), maintainer: await tokenFor('maya', 'maintainer') };
    expect((await srv.api('POST', '/api/v1/orgs/default/datasets', { body: { name: 'cnn', version: '3.0.0', sourceUri: 'https://huggingface.co/datasets/cnn_dailymail', license: 'Apache-2.0', sensitivity: 'public', digest: `sha256:${'ab'.repeat(32)}` } })).status).toBe(201);
    expect((await pushFiles(srv, 'base', '1.0.0', [{ path: 'w.bin', content: 'base' }])).status).toBe(201);
    const pushed = await pushFiles(srv, 'summarizer', '1.0.0', FILES, {
      datasets: [{ name: 'cnn', version: '3.0.0', relation: 'trained_on' }],
      baseModel: 'default/base@1.0.0',
      sourceRepo: 'https://git.example.com/ml/summarizer',
      sourceCommit: 'a'.repeat(40),
    });
    expect(pushed.status, pushed.text).toBe(201);
    manifest = await uploadAndManifest(srv, FILES);
    expect((await pushFiles(srv, 'summarizer', '1.1.0', FILES_V2)).status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await srv?.stop();
  });

  describe('the org signing key', () => {
    it('is created by admins only, once; members read its public part; rotation keeps the old one listed', async () => {
      const none = await srv.api('GET', '/api/v1/orgs/default/signing-keys/current', { token: tokens.viewer });
      expect(none.status).toBe(404);
      expect(none.json.error.message).toMatch(/has no signing key: an org admin creates one with `steward signing-key create`/);
      const noSign = await srv.api('POST', `${V}/signatures/sign`, { body: {} });
      expect(noSign.status).toBe(422);
      expect(noSign.json.error.code).toBe('unprocessable');

      const forbidden = await srv.api('POST', '/api/v1/orgs/default/signing-keys', { body: {}, token: tokens.maintainer });
      expect(forbidden.status).toBe(403);
      expect(forbidden.json.error.message).toMatch(/may not signing manage/);
      expect((await srv.api('POST', '/api/v1/orgs/default/signing-keys', { body: { algorithm: 'ecdsa-p521' } })).status).toBe(400);

      const created = await srv.api('POST', '/api/v1/orgs/default/signing-keys', { body: {} });
      expect(created.status, created.text).toBe(201);
      expect(created.json).toMatchObject({ algorithm: 'ecdsa-p256', current: true, createdBy: 'admin', retiredAt: null });
      expect(created.json.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
      expect(created.json).not.toHaveProperty('privateKeyPem');
      const again = await srv.api('POST', '/api/v1/orgs/default/signing-keys', { body: {} });
      expect(again.status).toBe(409);
      expect(again.json.error.message).toMatch(/already has a signing key .* rotate it with `steward signing-key rotate`/);

      // At rest the private key is encrypted: nothing in the row is a PEM private key.
      const row = await db().selectFrom('signing_keys').selectAll().where('id', '=', created.json.id).executeTakeFirstOrThrow();
      expect(row.private_key_enc).not.toMatch(/PRIVATE KEY/);
      expect(Buffer.from(row.private_key_enc, 'base64').toString('latin1')).not.toMatch(/PRIVATE KEY/);

      const shown = await srv.api('GET', '/api/v1/orgs/default/signing-keys/current', { token: tokens.viewer });
      expect(shown.status).toBe(200);
      expect(shown.json.fingerprint).toBe(created.json.fingerprint);
      const events = await db().selectFrom('audit_events').select(['action', 'details_json']).where('action', '=', 'signing_key.created').execute();
      expect(events).toHaveLength(1);
      expect(JSON.parse(events[0]!.details_json)).toMatchObject({ algorithm: 'ecdsa-p256', fingerprint: created.json.fingerprint });
    });
  });

  describe('server signatures', () => {
    it('signs the stored manifest (maintainers); the bundle verifies offline over the same files', async () => {
      expect((await srv.api('POST', `${V}/signatures/sign`, { body: {}, token: tokens.contributor })).status).toBe(403);
      const r = await srv.api('POST', `${V}/signatures/sign`, { body: {}, token: tokens.maintainer });
      expect(r.status, r.text).toBe(201);
      expect(r.json.signature).toMatchObject({ subject: 'model', kind: 'key', source: 'server', trusted: true, status: 'valid', addedBy: 'maya' });
      expect(r.json.signature.bundleDigest).toBe(sha256(r.json.bundle));
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steward-sig-'));
      const model = path.join(dir, 'summarizer');
      fs.mkdirSync(model);
      for (const f of FILES) fs.writeFileSync(path.join(model, f.path), f.content);
      const key = (await srv.api('GET', '/api/v1/orgs/default/signing-keys/current')).json.publicKeyPem;
      const v = await verifyModelSignature({ modelPath: model, bundle: r.json.bundle, trust: { publicKeyPem: key } });
      expect(v.rootDigest).toBe(manifest.rootDigest);
      // A subject name for a directory named otherwise; a path is refused.
      const named = await srv.api('POST', `${V}/signatures/sign`, { body: { subjectName: 'deploy' } });
      expect(JSON.parse(Buffer.from(parseDsseBundle(named.json.bundle).payloadBytes).toString()).subject[0].name).toBe('deploy');
      expect((await srv.api('POST', `${V}/signatures/sign`, { body: { subjectName: '../x' } })).status).toBe(400);
      // Downloadable byte for byte.
      const dl = await srv.api('GET', `${V}/signatures/${r.json.signature.id}/bundle`, { token: tokens.viewer });
      expect(dl.status).toBe(200);
      expect(dl.text).toBe(r.json.bundle);
      expect(dl.headers.get('content-type')).toMatch(/application\/vnd\.dev\.sigstore\.bundle\.v0\.3\+json/);
      expect((await srv.api('GET', `${V}/signatures/nope/bundle`)).status).toBe(404);
      fs.rmSync(dir, { recursive: true, force: true });
    });
  });

  describe('uploaded signatures', () => {
    it('stores a bundle by a key given with it as untrusted, once; trusting the key makes it trusted, removing it untrusted', async () => {
      const bundle = signModelStatement(manifest, local.privateKeyPem);
      const r = await srv.api('POST', `${V}/signatures`, { body: { bundle, publicKeyPem: local.publicKeyPem }, token: tokens.contributor });
      expect(r.status, r.text).toBe(201);
      expect(r.json).toMatchObject({ created: true, signature: { source: 'uploaded', kind: 'key', trusted: false, status: 'valid', signedAt: null, addedBy: 'carl' } });
      const again = await srv.api('POST', `${V}/signatures`, { body: { bundle, publicKeyPem: local.publicKeyPem } });
      expect(again.status).toBe(200);
      expect(again.json.created).toBe(false);
      expect(again.json.signature.id).toBe(r.json.signature.id);
      expect((await srv.api('POST', `${V}/signatures`, { body: { bundle }, token: tokens.viewer })).status).toBe(403);

      const infos = async () => signatureInfosForVersion(db(), await orgId(), await versionId());
      expect((await infos()).filter((i) => i.keyId === r.json.signature.keyFingerprint)).toEqual([
        { status: 'valid', signer: r.json.signature.signer, keyId: r.json.signature.keyFingerprint, trusted: false, signedAt: null },
      ]);
      const trusted = await srv.api('POST', '/api/v1/orgs/default/trusted-signers', { body: { name: 'ml team', publicKeyPem: local.publicKeyPem } });
      expect(trusted.status, trusted.text).toBe(201);
      expect(trusted.json).toMatchObject({ kind: 'key', name: 'ml team', description: 'ECDSA P-256', fingerprint: r.json.signature.keyFingerprint });
      expect((await srv.api('POST', '/api/v1/orgs/default/trusted-signers', { body: { name: 'twice', publicKeyPem: local.publicKeyPem } })).status).toBe(409);
      expect((await infos()).find((i) => i.keyId === r.json.signature.keyFingerprint)?.trusted).toBe(true);
      // Now it needs no key with it: the org knows it.
      const other = signModelStatement(manifest, local.privateKeyPem);
      const known = await srv.api('POST', `${V}/signatures`, { body: { bundle: other } });
      expect(known.status, known.text).toBe(201);
      expect(known.json.signature.trusted).toBe(true);

      expect((await srv.api('DELETE', `/api/v1/orgs/default/trusted-signers/${trusted.json.id}`, { token: tokens.maintainer })).status).toBe(403);
      expect((await srv.api('DELETE', `/api/v1/orgs/default/trusted-signers/${trusted.json.id}`)).status).toBe(200);
      expect((await srv.api('DELETE', `/api/v1/orgs/default/trusted-signers/${trusted.json.id}`)).status).toBe(404);
      expect((await infos()).filter((i) => i.keyId === r.json.signature.keyFingerprint).map((i) => i.trusted)).toEqual([false, false]);
      const listed = await srv.api('GET', `${V}/signatures?subject=model`, { token: tokens.viewer });
      expect(listed.json.items.filter((s: { trusted: boolean }) => s.trusted).every((s: { source: string }) => s.source === 'server')).toBe(true);
      const actions = (await db().selectFrom('audit_events').select('action').where('action', 'like', 'signing_trust.%').orderBy('seq').execute()).map((e) => e.action);
      expect(actions).toEqual(['signing_trust.added', 'signing_trust.removed']);
    });

    it('refuses a bundle over other files, naming the first difference', async () => {
      const v2 = buildManifest(FILES_V2.map((f) => ({ path: f.path, size: Buffer.byteLength(f.content), sha256: sha256(f.content) })));
      await refused({ bundle: signModelStatement(v2, local.privateKeyPem), publicKeyPem: local.publicKeyPem }, 400, 'model_mismatch', /the bundle does not sign default\/summarizer@1\.0\.0: file "model\.safetensors" differs/);
      const fewer = buildManifest(manifest.files.filter((f) => f.path !== 'config.json'));
      await refused({ bundle: signModelStatement(fewer, local.privateKeyPem), publicKeyPem: local.publicKeyPem }, 400, 'model_mismatch', /file "config\.json" of the version is not in the signature/);
    });

    it('refuses malformed bundles, wrong key types, unsupported curves, unknown keys and bad signatures', async () => {
      await refused({ bundle: 'not json' }, 400, 'malformed_bundle', /bundle is not valid JSON/);
      await refused({ bundle: '{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}' }, 400, 'malformed_bundle', /no dsseEnvelope/);
      await refused({ bundle: '' }, 400, null, /bundle/);
      const good = signModelStatement(manifest, local.privateKeyPem);
      const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }) as string;
      await refused({ bundle: good, publicKeyPem: ed }, 400, 'wrong_key_type', /an Ed25519 key, not ECDSA/);
      const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
      await refused({ bundle: good, publicKeyPem: k1 }, 400, 'unsupported_curve', /curve secp256k1/);
      await refused({ bundle: good, publicKeyPem: 'not a key' }, 400, null, /not a PEM public key/);
      const stranger = generateSigningKeyPair();
      await refused({ bundle: signModelStatement(manifest, stranger.privateKeyPem) }, 400, 'key_mismatch', /a key the org does not know .* give its public key/);
      await refused({ bundle: good, publicKeyPem: stranger.publicKeyPem }, 400, 'key_mismatch', /signed with another key/);
      // The statement changed after signing.
      const tampered = JSON.parse(good);
      const payload = JSON.parse(Buffer.from(tampered.dsseEnvelope.payload, 'base64').toString());
      payload.predicate.serialization.allow_symlinks = true;
      tampered.dsseEnvelope.payload = Buffer.from(JSON.stringify(payload, null, 2)).toString('base64');
      await refused({ bundle: JSON.stringify(tampered), publicKeyPem: local.publicKeyPem }, 400, 'signature_invalid', /does not verify/);
      const shards = JSON.parse(good);
      const sp = JSON.parse(Buffer.from(shards.dsseEnvelope.payload, 'base64').toString());
      sp.predicate.serialization.hash_type = 'blake2b';
      shards.dsseEnvelope.payload = Buffer.from(JSON.stringify(sp)).toString('base64');
      await refused({ bundle: JSON.stringify(shards), publicKeyPem: local.publicKeyPem }, 400, 'unsupported_bundle', /hashed with blake2b/);
      // Validation of the body itself.
      expect((await srv.api('POST', `${V}/signatures`, { body: { bundle: good, subject: 'weights' } })).status).toBe(400);
      expect((await srv.api('POST', `/api/v1/orgs/default/models/summarizer/versions/9.9.9/signatures`, { body: { bundle: good } })).status).toBe(404);
    });

    it('verifies certificate chains against trusted CAs or given ones, and refuses untrusted, expired and unfit certificates', async () => {
      const leafKey = cert('leaf.key');
      const chainBundle = signModelStatement(manifest, leafKey, [cert('leaf.pem')]);
      await refused({ bundle: chainBundle }, 400, 'certificate_untrusted', /the org trusts no CA/);
      await refused({ bundle: chainBundle, caCertificatesPem: [cert('other-ca.pem')] }, 400, 'certificate_untrusted', /does not lead to a CA the org trusts or to a given CA/);
      await refused({ bundle: chainBundle, caCertificatesPem: ['junk'] }, 400, null, /no PEM certificate found/);
      const given = await srv.api('POST', `${V}/signatures`, { body: { bundle: chainBundle, caCertificatesPem: [cert('root-ca.pem')] } });
      expect(given.status, given.text).toBe(201);
      expect(given.json.signature).toMatchObject({ kind: 'certificate', signer: 'CN=model signer', trusted: false });

      const expired = signModelStatement(manifest, leafKey, [cert('leaf-under-expired-ca.pem'), cert('expired-int-ca.pem')]);
      await refused({ bundle: expired, caCertificatesPem: [cert('root-ca.pem')] }, 400, 'certificate_expired', /CA certificate CN=Expired Intermediate CA had expired/);
      const unfit = signModelStatement(manifest, leafKey, [cert('no-signing-leaf.pem')]);
      await refused({ bundle: unfit, caCertificatesPem: [cert('root-ca.pem')] }, 400, 'certificate_usage', /may not sign/);
      // A certificate with an Ed25519 key, swapped into an otherwise good bundle.
      const edBundle = JSON.parse(chainBundle);
      const edDer = Buffer.from(cert('ed25519-leaf.pem').replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
      edBundle.verificationMaterial.x509CertificateChain.certificates = [{ rawBytes: edDer.toString('base64') }];
      await refused({ bundle: JSON.stringify(edBundle), caCertificatesPem: [cert('root-ca.pem')] }, 400, 'wrong_key_type', /not ECDSA/);

      const leafCa = await srv.api('POST', '/api/v1/orgs/default/trusted-signers', { body: { name: 'leaf', caCertificatePem: cert('leaf.pem') } });
      expect(leafCa.status).toBe(400);
      expect(leafCa.json.error.message).toMatch(/is not a CA certificate/);
      expect((await srv.api('POST', '/api/v1/orgs/default/trusted-signers', { body: { name: 'both', caCertificatePem: cert('root-ca.pem'), publicKeyPem: local.publicKeyPem } })).status).toBe(400);
      const ca = await srv.api('POST', '/api/v1/orgs/default/trusted-signers', { body: { name: 'corp CA', caCertificatePem: cert('root-ca.pem') } });
      expect(ca.status, ca.text).toBe(201);
      expect(ca.json.description).toMatch(/^CN=Steward Test Root CA, valid 2020-01-01/);
      const list = await srv.api('GET', `${V}/signatures`);
      expect(list.json.items.find((s: { id: string }) => s.id === given.json.signature.id).trusted).toBe(true);
      const second = await srv.api('POST', `${V}/signatures`, { body: { bundle: signModelStatement(manifest, leafKey, [cert('leaf.pem')]) } });
      expect(second.status, second.text).toBe(201);
      expect(second.json.signature.trusted).toBe(true);
    });
  });

  describe('provenance', () => {
    it('is built from the records, signed with the org key, and its statement served byte for byte', async () => {
      expect((await srv.api('GET', `${V}/provenance`)).status).toBe(404);
      expect((await srv.api('POST', `${V}/provenance`, { body: {}, token: tokens.contributor })).status).toBe(403);
      expect((await srv.api('POST', `${V}/provenance`, { body: { builderId: 'not a uri' } })).status).toBe(400);
      const r = await srv.api('POST', `${V}/provenance`, { body: {}, token: tokens.maintainer });
      expect(r.status, r.text).toBe(201);
      expect(r.json.signature).toMatchObject({ subject: 'provenance', source: 'server', trusted: true });
      const key = (await srv.api('GET', '/api/v1/orgs/default/signing-keys/current')).json.publicKeyPem;
      const v = verifyStatementBundle({ bundle: r.json.bundle, trust: { publicKeyPem: key }, predicateType: SLSA_PROVENANCE_PREDICATE_TYPE, manifest });
      const p = v.statement.predicate as any;
      expect(p.buildDefinition.buildType).toBe('https://steward.dev/buildtypes/model-training/v1');
      const base = (await srv.api('GET', '/api/v1/orgs/default/models/base/versions/1.0.0')).json.manifestDigest;
      expect(p.buildDefinition.resolvedDependencies).toEqual([
        { uri: `git+https://git.example.com/ml/summarizer@${'a'.repeat(40)}`, digest: { gitCommit: 'a'.repeat(40) } },
        { name: 'cnn@3.0.0', uri: 'https://huggingface.co/datasets/cnn_dailymail', digest: { sha256: 'ab'.repeat(32) }, annotations: { relation: 'trained_on', license: 'Apache-2.0' } },
        { name: 'default/base', uri: 'steward://default/base@1.0.0', digest: { sha256: base } },
      ]);
      expect(p.runDetails.byproducts).toHaveLength(1);
      expect(p.runDetails.byproducts[0]).toMatchObject({ name: 'summarizer: summarization on CNN / DailyMail / test', annotations: { metrics: { rouge1: 41.2 } } });
      const statement = await srv.api('GET', `${V}/provenance`, { token: tokens.viewer });
      expect(statement.text).toBe(Buffer.from(parseDsseBundle(r.json.bundle).payloadBytes).toString('utf8'));
      expect((await srv.api('GET', `${V}/provenance/bundle`)).text).toBe(r.json.bundle);
      // Signed again: same statement (nothing in it depends on when).
      const again = await srv.api('POST', `${V}/provenance`, { body: {} });
      expect(Buffer.from(parseDsseBundle(again.json.bundle).payloadBytes).toString()).toBe(statement.text);
    });

    it('accepts uploaded provenance about the version, and refuses provenance about another model or under the wrong subject', async () => {
      const about = (rootDigest: string) =>
        signStatement(buildSlsaProvenance({ model: { name: 'summarizer', version: '1.0.0', rootDigest }, builder: { id: 'https://ci.example.com/train' } }), { privateKeyPem: local.privateKeyPem });
      const ok = await srv.api('POST', `${V}/signatures`, { body: { bundle: about(manifest.rootDigest), subject: 'provenance', publicKeyPem: local.publicKeyPem } });
      expect(ok.status, ok.text).toBe(201);
      expect(ok.json.signature).toMatchObject({ subject: 'provenance', trusted: false });
      await refused({ bundle: about('cd'.repeat(32)), subject: 'provenance', publicKeyPem: local.publicKeyPem }, 400, 'subject_mismatch', /not about default\/summarizer@1\.0\.0/);
      await refused({ bundle: about(manifest.rootDigest), publicKeyPem: local.publicKeyPem }, 400, 'malformed_bundle', /signs SLSA provenance, not the model files/);
      await refused({ bundle: signModelStatement(manifest, local.privateKeyPem), subject: 'provenance', publicKeyPem: local.publicKeyPem }, 400, 'malformed_bundle', /expected https:\/\/slsa\.dev\/provenance\/v1/);
      // The served provenance stays the trusted (server) one.
      const served = await srv.api('GET', `${V}/provenance`);
      expect(JSON.parse(served.text).predicate.runDetails.builder.id).toBe('https://steward.dev/builders/registry/v1');
    });
  });

  describe('rotation', () => {
    it('keeps signatures by the retired key trusted and verifiable', async () => {
      const before = (await srv.api('GET', '/api/v1/orgs/default/signing-keys/current')).json;
      expect((await srv.api('POST', '/api/v1/orgs/default/signing-keys/rotate', { body: {}, token: tokens.maintainer })).status).toBe(403);
      const r = await srv.api('POST', '/api/v1/orgs/default/signing-keys/rotate', { body: { algorithm: 'ecdsa-p384' } });
      expect(r.status, r.text).toBe(200);
      expect(r.json.previous).toMatchObject({ fingerprint: before.fingerprint, current: false });
      expect(r.json.current).toMatchObject({ algorithm: 'ecdsa-p384', current: true });
      const keys = (await srv.api('GET', '/api/v1/orgs/default/signing-keys', { token: tokens.viewer })).json.keys;
      expect(keys.map((k: { current: boolean }) => k.current)).toEqual([true, false]);
      const s = await srv.api('POST', `${V}/signatures/sign`, { body: {} });
      expect(s.json.signature.keyFingerprint).toBe(r.json.current.fingerprint);
      const old = (await srv.api('GET', `${V}/signatures?subject=model`)).json.items.filter((i: { keyFingerprint: string }) => i.keyFingerprint === before.fingerprint);
      expect(old.length).toBeGreaterThan(0);
      expect(old.every((i: { trusted: boolean }) => i.trusted)).toBe(true);
      // A server bundle uploaded back is recognised as the same signature.
      const back = await srv.api('POST', `${V}/signatures`, { body: { bundle: s.json.bundle } });
      expect(back.status).toBe(200);
      expect(back.json.signature.source).toBe('server');
    });
  });

  describe('exports', () => {
    beforeAll(async () => {
      // Two evaluations for production (only the newer counts) and one at push.
      const org = await orgId();
      const vid = await versionId();
      const result = (ruleId: string, status: string, message: string | null) => ({
        ruleId, policy: 'steward', severity: 'error', status, waivedStatus: null, message, error: null, reads: [], waiver: null, expiredWaiver: null, skipReason: null, location: null,
      });
      await db().insertInto('policy_sets').values({ id: 'ps1', org_id: org, digest: 'ee'.repeat(32), files_json: '[]', policy_count: 1, rule_count: 2, created_at: '2026-01-01T00:00:00.000Z', created_by: 'admin' }).execute();
      const evaluation = (id: string, ring: string | null, at: string, results: unknown[]) => ({
        id, org_id: org, version_id: vid, policy_set_id: 'ps1', policy_set_digest: 'ee'.repeat(32), trigger: ring ? 'ring' : 'push', ring, outcome: 'failed', counts_json: '{}', results_json: JSON.stringify(results), record_digest: 'ff'.repeat(32), evaluated_at: at, evaluated_by: 'admin',
      });
      await db().insertInto('policy_evaluations').values([
        evaluation('e1', 'production', '2026-01-01T00:00:00.000Z', [result('card.license', 'fail', 'old result')]),
        evaluation('e2', 'production', '2026-01-02T00:00:00.000Z', [result('card.license', 'pass', null), result('scan.safe', 'fail', 'scan is unknown')]),
        evaluation('e3', null, '2026-01-01T12:00:00.000Z', [result('card.present', 'pass', null)]),
      ]).execute();
    });

    it('renders CycloneDX and SPDX that validate against the official schemas, with signatures and the newest policy results', async () => {
      const cdx = await srv.api('GET', `${V}/exports/cyclonedx`, { token: tokens.viewer });
      expect(cdx.status, cdx.text).toBe(200);
      expect(cdx.headers.get('content-type')).toMatch(/application\/vnd\.cyclonedx\+json/);
      expect(cdx.headers.get('content-disposition')).toBe('attachment; filename="summarizer-1.0.0.cdx.json"');
      expect(schemaErrors(cdx.json)).toEqual([]);
      const props = cdx.json.metadata.component.properties as { name: string; value: string }[];
      const policies = props.filter((p) => p.name === 'steward:policy').map((p) => p.value);
      expect(policies).toEqual(['card.license (ring production): pass', 'card.present (push checks): pass', 'scan.safe (ring production): fail (scan is unknown)']);
      expect(props.filter((p) => p.name === 'steward:signature').some((p) => /org key, trusted, verified/.test(p.value))).toBe(true);
      expect(JSON.stringify(cdx.json)).toContain('41.2');
      const warnings = JSON.parse(Buffer.from(cdx.headers.get('x-steward-export-warnings')!, 'base64url').toString());
      expect(Array.isArray(warnings)).toBe(true);

      const spdx = await srv.api('GET', `${V}/exports/spdx`);
      expect(spdx.status, spdx.text).toBe(200);
      expect(checkSpdxDocument(spdx.json)).toEqual([]);
      // The download location is this server, as the client reached it.
      expect(spdx.text).toContain(srv.url);
      const events = await db().selectFrom('audit_events').select('details_json').where('action', '=', 'version.exported').execute();
      expect(events.map((e) => JSON.parse(e.details_json).format)).toEqual(expect.arrayContaining(['cyclonedx', 'spdx']));
    });

    it('renders every format, with the card text, the previous version and ring history', async () => {
      for (const f of EXPORT_FORMATS) {
        const r = await srv.api('GET', `/api/v1/orgs/default/models/summarizer/versions/1.1.0/exports/${f}`);
        expect(r.status, `${f}: ${r.text}`).toBe(200);
      }
      const annex = await srv.api('GET', `/api/v1/orgs/default/models/summarizer/versions/1.1.0/exports/annex-iv`);
      expect(annex.headers.get('content-type')).toMatch(/text\/markdown/);
      expect(annex.text).toContain('Summaries of news articles.');
      expect(annex.text).toMatch(/Changed file `model\.safetensors`/);
      expect((await srv.api('GET', `${V}/exports/annex-iv-html`)).text).toMatch(/^<!DOCTYPE html>/i);
      const card = await srv.api('GET', `${V}/exports/model-card`);
      expect(card.text).toMatch(/^---\n/);
      const bad = await srv.api('GET', `${V}/exports/pdf`);
      expect(bad.status).toBe(400);
      expect((await srv.api('GET', `/api/v1/orgs/default/models/summarizer/versions/7.0.0/exports/spdx`)).status).toBe(404);
      expect((await srv.api('GET', `${V}/exports/spdx`, { token: null })).status).toBe(401);
    });

    it('writes the changelog, newest version first', async () => {
      const r = await srv.api('GET', '/api/v1/orgs/default/models/summarizer/changelog', { token: tokens.viewer });
      expect(r.status).toBe(200);
      expect(r.text).toMatch(/^# Changelog: default\/summarizer\n\n## 1\.1\.0 .*\n[\s\S]*## 1\.0\.0 /);
      expect((await srv.api('GET', '/api/v1/orgs/default/models/nope/changelog')).status).toBe(404);
    });

    it('maps what the exports package refuses to 422, naming what is missing', () => {
      const e = exportRefusal(new ExportIncompleteError('spdx', ['registryUrl or version.sourceRepo (AIPackage software_downloadLocation)']), 'default/m@1.0.0') as { code: string; httpStatus: number; message: string; details: unknown };
      expect(e.httpStatus).toBe(422);
      expect(e.message).toBe('cannot export default/m@1.0.0 as spdx: missing registryUrl or version.sourceRepo (AIPackage software_downloadLocation)');
      expect(e.details).toEqual({ format: 'spdx', missing: ['registryUrl or version.sourceRepo (AIPackage software_downloadLocation)'] });
      const i = exportRefusal(new ExportInputError([{ path: 'version.org', message: 'is "x"' }]), 'default/m@1.0.0') as { code: string; message: string };
      expect(i.code).toBe('unprocessable');
      expect(i.message).toMatch(/version\.org: is "x"/);
      const other = new Error('boom');
      expect(exportRefusal(other, 'x')).toBe(other);
    });
  });
});

