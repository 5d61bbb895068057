/**
 * Manifest of a model directory, OpenSSF model-signing "files" serialization (model_signing 1.x),
 * and its in-toto Statement v1 payload.
 */
import { createHash } from 'node:crypto';
import { StewardError, compareManifestPaths, validateModelPath } from '@steward/domain/core';

export const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const MODEL_SIGNING_PREDICATE_TYPE = 'https://model_signing/signature/v1.0';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** Ignored at the model root by the reference implementation unless told otherwise. */
export const DEFAULT_IGNORE_PATHS: readonly string[] = ['.git', '.gitattributes', '.github', '.gitignore'];

export interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
}

export interface ManifestSerialization {
  method: 'files';
  hash_type: 'sha256';
  allow_symlinks: boolean;
  ignore_paths: string[];
}

export interface Manifest {
  serialization: ManifestSerialization;
  /** Sorted with compareManifestPaths. */
  files: ManifestFile[];
  /** SHA-256 (hex) over the concatenated raw file digests, in manifest order. */
  rootDigest: string;
}

export interface SerializationOptions {
  allowSymlinks?: boolean;
  ignorePaths?: readonly string[];
}

export interface ResourceDescriptor {
  name: string;
  algorithm: string;
  digest: string;
}

export interface ModelSigningSerialization {
  method: 'files' | 'shards';
  hash_type: string;
  allow_symlinks: boolean;
  shard_size?: number;
  ignore_paths?: string[];
}

export interface ModelSigningPredicate {
  serialization: ModelSigningSerialization;
  resources: ResourceDescriptor[];
}

export interface InTotoSubject {
  name: string;
  digest: Record<string, string>;
}

export interface ModelSigningStatement {
  _type: string;
  subject: InTotoSubject[];
  predicateType: string;
  predicate: ModelSigningPredicate;
}

const HEX_SHA256 = /^[0-9a-f]{64}$/;

export function isSha256Hex(s: unknown): s is string {
  return typeof s === 'string' && HEX_SHA256.test(s);
}

/** SHA-256 over the raw bytes of the given hex digests, in order (the model_signing root digest). */
export function rootDigestOf(hexDigests: Iterable<string>): string {
  const h = createHash('sha256');
  for (const d of hexDigests) h.update(Buffer.from(d, 'hex'));
  return h.digest('hex');
}

/**
 * Normalizes ignore paths: trailing slashes dropped (`.git/` → `.git`), each validated as a
 * model path, duplicates removed, sorted in manifest order.
 */
export function normalizeIgnorePaths(paths: readonly string[]): string[] {
  const out = new Set<string>();
  for (const raw of paths) {
    if (typeof raw !== 'string') throw new StewardError('bad_request', 'ignore path must be a string', { path: raw });
    const p = raw.length > 1 ? raw.replace(/\/+$/, '') : raw;
    out.add(validateModelPath(p));
  }
  return [...out].sort(compareManifestPaths);
}

/** Pure: validates and sorts the files, refuses duplicates and computes the root digest. */
export function buildManifest(files: readonly ManifestFile[], opts: SerializationOptions = {}): Manifest {
  const out: ManifestFile[] = files.map((f) => {
    if (f === null || typeof f !== 'object') throw new StewardError('bad_request', 'manifest file entry must be an object');
    validateModelPath(f.path);
    const sha256 = typeof f.sha256 === 'string' ? f.sha256.toLowerCase() : f.sha256;
    if (!isSha256Hex(sha256)) {
      throw new StewardError('bad_request', `file ${JSON.stringify(f.path)}: sha256 must be 64 hex digits`, { path: f.path });
    }
    if (!Number.isSafeInteger(f.size) || f.size < 0) {
      throw new StewardError('bad_request', `file ${JSON.stringify(f.path)}: size must be a non-negative integer`, {
        path: f.path,
      });
    }
    return { path: f.path, size: f.size, sha256 };
  });
  out.sort((a, b) => compareManifestPaths(a.path, b.path));
  for (let i = 1; i < out.length; i++) {
    if (out[i]!.path === out[i - 1]!.path) {
      throw new StewardError('bad_request', `duplicate manifest path ${JSON.stringify(out[i]!.path)}`, {
        path: out[i]!.path,
      });
    }
  }
  return {
    serialization: {
      method: 'files',
      hash_type: 'sha256',
      allow_symlinks: opts.allowSymlinks ?? false,
      ignore_paths: normalizeIgnorePaths(opts.ignorePaths ?? []),
    },
    files: out,
    rootDigest: rootDigestOf(out.map((f) => f.sha256)),
  };
}

export function manifestToResources(manifest: Manifest): ResourceDescriptor[] {
  return manifest.files.map((f) => ({ name: f.path, algorithm: 'sha256', digest: f.sha256 }));
}

/** The in-toto Statement v1 payload model_signing 1.x signs (key order as the reference emits it). */
export function toInTotoStatement(manifest: Manifest, modelName: string): ModelSigningStatement {
  if (typeof modelName !== 'string' || modelName.length === 0) {
    throw new StewardError('bad_request', 'model name must be a non-empty string');
  }
  const s = manifest.serialization;
  return {
    _type: IN_TOTO_STATEMENT_TYPE,
    subject: [{ name: modelName, digest: { sha256: manifest.rootDigest } }],
    predicateType: MODEL_SIGNING_PREDICATE_TYPE,
    predicate: {
      serialization: {
        method: s.method,
        hash_type: s.hash_type,
        allow_symlinks: s.allow_symlinks,
        ignore_paths: [...s.ignore_paths],
      },
      resources: manifestToResources(manifest),
    },
  };
}
