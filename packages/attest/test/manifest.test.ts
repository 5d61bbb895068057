import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StewardError } from '@steward/domain';
import {
  buildManifest,
  manifestToResources,
  parseModelSigningBundle,
  toInTotoStatement,
  type ManifestFile,
} from '../src/index.js';

const h = (s: string) => createHash('sha256').update(s).digest('hex');
const EMPTY_SHA256 = h('');

function refusal(fn: () => unknown): StewardError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(StewardError);
    return e as StewardError;
  }
  throw new Error('expected a refusal');
}

const files: ManifestFile[] = [
  { path: 'a-b/x', size: 1, sha256: h('1') },
  { path: 'a/b', size: 2, sha256: h('2') },
  { path: 'c', size: 3, sha256: h('3').toUpperCase() },
];

describe('buildManifest', () => {
  it('sorts, lower-cases digests and computes the root digest over raw digest bytes', () => {
    const m = buildManifest(files, { ignorePaths: ['model.sig', '.git/'] });
    expect(m.files.map((f) => f.path)).toEqual(['a/b', 'a-b/x', 'c']);
    expect(m.files[2]!.sha256).toBe(h('3'));
    const raw = Buffer.concat([h('2'), h('1'), h('3')].map((d) => Buffer.from(d, 'hex')));
    expect(m.rootDigest).toBe(createHash('sha256').update(raw).digest('hex'));
    expect(m.serialization).toEqual({ method: 'files', hash_type: 'sha256', allow_symlinks: false, ignore_paths: ['.git', 'model.sig'] });
    expect(files[0]!.path).toBe('a-b/x'); // input untouched
  });

  it('root digest of no files is SHA-256 of empty input', () => {
    expect(buildManifest([]).rootDigest).toBe(EMPTY_SHA256);
  });

  it('refuses duplicates, bad paths, bad digests and bad sizes', () => {
    const dup = refusal(() => buildManifest([...files, { path: 'c', size: 0, sha256: EMPTY_SHA256 }]));
    expect(dup.code).toBe('bad_request');
    expect(dup.message).toContain('duplicate');
    expect(refusal(() => buildManifest([{ path: '../c', size: 0, sha256: EMPTY_SHA256 }])).code).toBe('invalid_path');
    expect(refusal(() => buildManifest([{ path: 'c', size: 0, sha256: 'abc' }])).code).toBe('bad_request');
    expect(refusal(() => buildManifest([{ path: 'c', size: -1, sha256: EMPTY_SHA256 }])).code).toBe('bad_request');
    expect(refusal(() => buildManifest([{ path: 'c', size: 1.5, sha256: EMPTY_SHA256 }])).code).toBe('bad_request');
  });
});

describe('in-toto statement', () => {
  const m = buildManifest(files, { allowSymlinks: true, ignorePaths: ['model.sig'] });

  it('lists resources in manifest order', () => {
    expect(manifestToResources(m)).toEqual([
      { name: 'a/b', algorithm: 'sha256', digest: h('2') },
      { name: 'a-b/x', algorithm: 'sha256', digest: h('1') },
      { name: 'c', algorithm: 'sha256', digest: h('3') },
    ]);
  });

  it('has the model_signing v1.0 shape', () => {
    const st = toInTotoStatement(m, 'my-model');
    expect(JSON.parse(JSON.stringify(st))).toEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'my-model', digest: { sha256: m.rootDigest } }],
      predicateType: 'https://model_signing/signature/v1.0',
      predicate: {
        serialization: { method: 'files', hash_type: 'sha256', allow_symlinks: true, ignore_paths: ['model.sig'] },
        resources: manifestToResources(m),
      },
    });
    expect(Object.keys(st)).toEqual(['_type', 'subject', 'predicateType', 'predicate']);
    expect(refusal(() => toInTotoStatement(m, '')).code).toBe('bad_request');
  });
});

describe('parseModelSigningBundle', () => {
  function bundle(payload: string | object, patch: (b: any) => void = () => {}): string {
    const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
    const b = {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: { publicKey: { hint: 'abc' }, tlogEntries: [] },
      dsseEnvelope: {
        payload: Buffer.from(text).toString('base64'),
        payloadType: 'application/vnd.in-toto+json',
        signatures: [{ sig: Buffer.from('sig').toString('base64'), keyid: null }],
      },
    };
    patch(b);
    return JSON.stringify(b);
  }
  const statement = toInTotoStatement(buildManifest(files), 'model');

  it('round-trips our statement and keeps the exact payload bytes', () => {
    const text = JSON.stringify(statement, null, 2);
    const p = parseModelSigningBundle(bundle(text));
    expect(p.statement).toEqual(statement);
    expect(Buffer.from(p.payloadBytes).toString()).toBe(text);
    expect(p.payloadType).toBe('application/vnd.in-toto+json');
    expect(p.signatures).toEqual([{ sig: Buffer.from('sig').toString('base64'), keyid: '' }]);
    expect(p.verificationMaterial).toEqual({ publicKey: { hint: 'abc' }, tlogEntries: [] });
  });

  it('parses numbers leniently (8.0, "8") and string booleans', () => {
    const st = {
      ...statement,
      predicate: { ...statement.predicate, serialization: { method: 'shards', hash_type: 'sha256', allow_symlinks: 'false', shard_size: 0 } },
    };
    const text = JSON.stringify(st).replace('"shard_size":0', '"shard_size":1000000000.0');
    expect(text).toContain('1000000000.0');
    expect(parseModelSigningBundle(bundle(text)).statement.predicate.serialization).toEqual({
      method: 'shards',
      hash_type: 'sha256',
      allow_symlinks: false,
      shard_size: 1_000_000_000,
    });
    const text2 = JSON.stringify(st).replace('"shard_size":0', '"shard_size":"8"');
    expect(parseModelSigningBundle(bundle(text2)).statement.predicate.serialization.shard_size).toBe(8);
  });

  it.each<[string, () => string, string]>([
    ['not JSON', () => '{', 'not valid JSON'],
    ['no mediaType', () => bundle(statement, (b) => delete b.mediaType), 'mediaType'],
    ['wrong mediaType', () => bundle(statement, (b) => (b.mediaType = 'text/plain')), 'not a Sigstore bundle'],
    ['no envelope', () => bundle(statement, (b) => delete b.dsseEnvelope), 'dsseEnvelope'],
    ['wrong payloadType', () => bundle(statement, (b) => (b.dsseEnvelope.payloadType = 'text/plain')), 'payloadType'],
    ['bad base64', () => bundle(statement, (b) => (b.dsseEnvelope.payload = 'not base64!')), 'base64'],
    ['no signatures', () => bundle(statement, (b) => (b.dsseEnvelope.signatures = [])), 'signatures'],
    ['payload not JSON', () => bundle('nope'), 'not UTF-8 JSON'],
    ['wrong _type', () => bundle({ ...statement, _type: 'x' }), '_type'],
    ['wrong predicateType', () => bundle({ ...statement, predicateType: 'https://model_signing/Digests/v0.1' }), 'predicateType'],
    ['two subjects', () => bundle({ ...statement, subject: [...statement.subject, ...statement.subject] }), 'exactly one subject'],
    ['no resources', () => bundle({ ...statement, predicate: { serialization: statement.predicate.serialization } }), 'resources'],
    [
      'inconsistent root digest',
      () => bundle({ ...statement, subject: [{ name: 'model', digest: { sha256: EMPTY_SHA256 } }] }),
      'inconsistent',
    ],
    [
      'unknown method',
      () => bundle({ ...statement, predicate: { ...statement.predicate, serialization: { method: 'tensors', hash_type: 'sha256' } } }),
      'method',
    ],
  ])('refuses %s', (_, make, needle) => {
    const e = refusal(() => parseModelSigningBundle(make()));
    expect(e.code).toBe('bad_request');
    expect(e.message).toContain(needle);
  });
});
