import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  MODEL_TRAINING_BUILD_TYPE,
  SLSA_PROVENANCE_PREDICATE_TYPE,
  buildSlsaProvenance,
  generateSigningKeyPair,
  hashModelDirectory,
  signStatement,
  verifyStatementBundle,
  type ProvenanceInput,
} from '../src/index.js';
import { fixture, refusal } from './helpers/vectors.js';

const h = (s: string) => createHash('sha256').update(s).digest('hex');
const COMMIT = '0123456789abcdef0123456789abcdef01234567';

const input: ProvenanceInput = {
  model: { org: 'acme', name: 'sentiment', version: '1.2.0', rootDigest: h('model') },
  source: { repository: 'https://github.com/acme/train', commit: COMMIT, path: 'configs/sentiment.yaml' },
  datasets: [
    { name: 'reviews', uri: 's3://acme-data/reviews/2024-06', sha256: h('reviews') },
    { name: 'wiki', uri: 'https://huggingface.co/datasets/wikipedia' },
  ],
  baseModels: [{ org: 'acme', name: 'bert-base', version: '3.0.1', rootDigest: h('base') }],
  training: { epochs: 3, learningRate: 0.0001 },
  builder: { id: 'https://steward.dev/builders/acme-ci', version: { steward: '0.1.0' } },
  run: { invocationId: 'run-42', startedOn: '2025-01-02T03:04:05Z', finishedOn: new Date('2025-01-02T05:00:00Z') },
  evaluations: [
    { name: 'eval-report', uri: 'https://ci.acme.dev/runs/42/eval.json', sha256: h('report'), mediaType: 'application/json' },
    { name: 'accuracy', metrics: { accuracy: 0.91, f1: 0.88 } },
  ],
};

describe('buildSlsaProvenance', () => {
  it('maps a training run onto SLSA provenance v1', () => {
    const st = buildSlsaProvenance(input);
    expect(Object.keys(st)).toEqual(['_type', 'subject', 'predicateType', 'predicate']);
    expect(st._type).toBe('https://in-toto.io/Statement/v1');
    expect(st.predicateType).toBe('https://slsa.dev/provenance/v1');
    expect(st.subject).toEqual([{ name: 'sentiment', digest: { sha256: h('model') } }]);
    const bd = st.predicate.buildDefinition;
    expect(bd.buildType).toBe('https://steward.dev/buildtypes/model-training/v1');
    expect(bd.externalParameters).toEqual({
      model: { org: 'acme', name: 'sentiment', version: '1.2.0' },
      source: { repository: 'https://github.com/acme/train', commit: COMMIT, path: 'configs/sentiment.yaml' },
      training: { epochs: 3, learningRate: 0.0001 },
    });
    expect(bd.resolvedDependencies).toEqual([
      { uri: `git+https://github.com/acme/train@${COMMIT}`, digest: { gitCommit: COMMIT } },
      { name: 'reviews', uri: 's3://acme-data/reviews/2024-06', digest: { sha256: h('reviews') } },
      { name: 'wiki', uri: 'https://huggingface.co/datasets/wikipedia' },
      { name: 'acme/bert-base', uri: 'steward://acme/bert-base@3.0.1', digest: { sha256: h('base') } },
    ]);
    const rd = st.predicate.runDetails;
    expect(rd.builder).toEqual({ id: 'https://steward.dev/builders/acme-ci', version: { steward: '0.1.0' } });
    expect(rd.metadata).toEqual({ invocationId: 'run-42', startedOn: '2025-01-02T03:04:05.000Z', finishedOn: '2025-01-02T05:00:00.000Z' });
    expect(rd.byproducts![0]).toEqual({ name: 'eval-report', uri: 'https://ci.acme.dev/runs/42/eval.json', digest: { sha256: h('report') }, mediaType: 'application/json' });
    // Metrics alone: inline JSON content (a descriptor needs uri, digest or content) and readable annotations.
    const metrics = rd.byproducts![1]!;
    expect(JSON.parse(Buffer.from(metrics.content!, 'base64').toString())).toEqual({ accuracy: 0.91, f1: 0.88 });
    expect(metrics.digest!.sha256).toBe(createHash('sha256').update(Buffer.from(metrics.content!, 'base64')).digest('hex'));
    expect(metrics).toMatchObject({ name: 'accuracy', mediaType: 'application/json', annotations: { metrics: { accuracy: 0.91, f1: 0.88 } } });
  });

  it('needs only the model and the builder', () => {
    const st = buildSlsaProvenance({ model: { name: 'm', version: '1', rootDigest: h('m') }, builder: { id: 'https://example.com/b' } });
    expect(st.predicate).toEqual({
      buildDefinition: { buildType: MODEL_TRAINING_BUILD_TYPE, externalParameters: { model: { name: 'm', version: '1' } }, resolvedDependencies: [] },
      runDetails: { builder: { id: 'https://example.com/b' }, byproducts: [] },
    });
  });

  it.each<[string, (i: ProvenanceInput) => void, string]>([
    ['a model digest that is not SHA-256', (i) => (i.model.rootDigest = 'abc'), 'model.rootDigest must be 64 hex digits'],
    ['no model name', (i) => (i.model.name = ''), 'model.name must be a non-empty string'],
    ['an abbreviated commit', (i) => (i.source!.commit = '0123abc'), 'source.commit must be a full hex commit id'],
    ['a dataset uri that is not a URI', (i) => (i.datasets![0]!.uri = 'reviews.csv'), 'datasets[0].uri must be a URI'],
    ['a base model digest that is not SHA-256', (i) => (i.baseModels![0]!.rootDigest = 'x'), 'baseModels[0].rootDigest must be 64 hex digits'],
    ['a builder id that is not a URI', (i) => (i.builder.id = 'ci'), 'builder.id must be a URI'],
    ['an evaluation with nothing to point at', (i) => (i.evaluations = [{ name: 'e' }]), 'evaluations[0] needs a uri, a sha256 or metrics'],
    ['a date that is not a date', (i) => (i.run = { startedOn: 'yesterday' }), 'run.startedOn is not a date'],
    ['a run that ends before it starts', (i) => (i.run = { startedOn: '2025-01-02T00:00:00Z', finishedOn: '2025-01-01T00:00:00Z' }), 'run.finishedOn is before run.startedOn'],
  ])('refuses %s', (_, patch, message) => {
    const i = structuredClone(input);
    patch(i);
    expect(() => buildSlsaProvenance(i)).toThrow(`provenance: ${message}`);
  });
});

describe('signed provenance', () => {
  const dir = mkdtempSync(join(tmpdir(), 'attest-provenance-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'sentiment'));
  writeFileSync(join(dir, 'sentiment', 'weights.bin'), 'w');

  it('signs with the model-signature bundle code and verifies against the model manifest', async () => {
    const manifest = await hashModelDirectory(join(dir, 'sentiment'));
    const keys = generateSigningKeyPair();
    const statement = buildSlsaProvenance({ ...input, model: { ...input.model, rootDigest: manifest.rootDigest } });
    const bundle = signStatement(statement, { privateKeyPem: keys.privateKeyPem });
    const r = verifyStatementBundle({ bundle, trust: { publicKeyPem: keys.publicKeyPem }, predicateType: SLSA_PROVENANCE_PREDICATE_TYPE, manifest });
    expect(r.statement).toEqual(JSON.parse(JSON.stringify(statement)));
    expect(r.signer.method).toBe('key');

    const other = await refusal(() => verifyStatementBundle({ bundle, trust: { publicKeyPem: keys.publicKeyPem }, manifest: { rootDigest: h('other') } }), 'subject_mismatch');
    expect(other.message).toContain('not about this model');
    await refusal(() => verifyStatementBundle({ bundle, trust: { publicKeyPem: keys.publicKeyPem }, predicateType: 'https://model_signing/signature/v1.0' }), 'malformed_bundle');
    await refusal(() => verifyStatementBundle({ bundle, trust: { publicKeyPem: generateSigningKeyPair().publicKeyPem } }), 'key_mismatch');

    // A changed statement under the old signature.
    const b = JSON.parse(bundle);
    const tampered = { ...statement, subject: [{ name: 'sentiment', digest: { sha256: h('evil') } }] };
    b.dsseEnvelope.payload = Buffer.from(JSON.stringify(tampered, null, 2)).toString('base64');
    await refusal(() => verifyStatementBundle({ bundle: JSON.stringify(b), trust: { publicKeyPem: keys.publicKeyPem } }), 'signature_invalid');
  });

  it('signs with a certificate too', () => {
    const statement = buildSlsaProvenance(input);
    const bundle = signStatement(statement, { privateKeyPem: fixture('leaf.key'), certificateChainPem: fixture('leaf.pem') });
    const r = verifyStatementBundle({ bundle, trust: { certificateChainPem: fixture('root-ca.pem') } });
    expect(r.signer).toMatchObject({ method: 'certificate', subject: 'CN=model signer' });
  });
});
