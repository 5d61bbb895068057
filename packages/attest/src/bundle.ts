/**
 * Reader for model_signing signatures and other signed in-toto statements: a Sigstore bundle
 * (v0.3) whose DSSE envelope carries the statement. No signature verification here (verify.ts).
 */
import {
  IN_TOTO_PAYLOAD_TYPE,
  IN_TOTO_STATEMENT_TYPE,
  MODEL_SIGNING_PREDICATE_TYPE,
  rootDigestOf,
  type InTotoSubject,
  type ModelSigningSerialization,
  type ModelSigningStatement,
  type ResourceDescriptor,
} from './manifest.js';
import { refuseSignature } from './signature-error.js';

/** The only bundle media type model_signing 1.x writes and accepts. */
export const SIGSTORE_BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

export interface DsseSignature {
  /** Base64, as in the bundle. */
  sig: string;
  /** '' when absent or null (the reference writes null or ''). */
  keyid: string;
}

export interface ParsedDsseBundle {
  mediaType: string;
  /** Left as found: verification is another module's job. */
  verificationMaterial: unknown;
  /** The exact decoded payload bytes: signatures are over these, not over a re-serialization. */
  payloadBytes: Uint8Array;
  /** The payload, JSON-decoded. */
  payload: unknown;
  payloadType: string;
  signatures: DsseSignature[];
}

/** An in-toto Statement v1 of any predicate type; unknown fields are kept. */
export interface InTotoStatement<P = Record<string, unknown>> {
  _type: string;
  subject: InTotoSubject[];
  predicateType: string;
  predicate: P;
  [field: string]: unknown;
}

export interface ParsedModelSigningBundle extends Omit<ParsedDsseBundle, 'payload'> {
  statement: ModelSigningStatement;
}

const BASE64 = /^(?:[A-Za-z0-9+/]*={0,2}|[A-Za-z0-9_-]*={0,2})$/;

function bad(message: string): never {
  refuseSignature('malformed_bundle', `model signature: ${message}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function decodeBase64(s: unknown, what: string): Buffer {
  if (typeof s !== 'string') bad(`${what} must be a base64 string`);
  const t = s.replace(/\s+/g, '');
  if (!BASE64.test(t) || (t.includes('=') && t.length % 4 !== 0) || t.length % 4 === 1) bad(`${what} is not valid base64`);
  return Buffer.from(t, 'base64');
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') bad(`${what} must be a string`);
  return v;
}

/** Protobuf Struct numbers arrive as doubles (`8.0`) and int64 sometimes as strings. */
function integer(v: unknown, what: string): number {
  const n = typeof v === 'string' && /^\s*-?\d+(\.0*)?\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) bad(`${what} must be an integer`);
  return n;
}

function bool(v: unknown, what: string): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  bad(`${what} must be a boolean`);
}

function parseSerialization(v: unknown): ModelSigningSerialization {
  if (!isObject(v)) bad('predicate.serialization must be an object');
  const method = v.method;
  if (method !== 'files' && method !== 'shards') bad(`unknown serialization method ${JSON.stringify(method)}`);
  const out: ModelSigningSerialization = {
    method,
    hash_type: str(v.hash_type, 'serialization.hash_type'),
    // Older signers (v0.2 compat) wrote "false"; absent means false in the reference.
    allow_symlinks: v.allow_symlinks === undefined ? false : bool(v.allow_symlinks, 'serialization.allow_symlinks'),
  };
  if (method === 'shards') {
    const size = integer(v.shard_size, 'serialization.shard_size');
    if (size <= 0) bad('serialization.shard_size must be positive');
    out.shard_size = size;
  }
  if (v.ignore_paths !== undefined && v.ignore_paths !== null) {
    if (!Array.isArray(v.ignore_paths)) bad('serialization.ignore_paths must be an array');
    out.ignore_paths = v.ignore_paths.map((p, i) => str(p, `serialization.ignore_paths[${i}]`));
  }
  return out;
}

function parseResources(v: unknown): ResourceDescriptor[] {
  if (!Array.isArray(v)) bad('predicate.resources must be an array');
  return v.map((r, i) => {
    if (!isObject(r)) bad(`resources[${i}] must be an object`);
    const digest = str(r.digest, `resources[${i}].digest`).toLowerCase();
    if (!/^(?:[0-9a-f]{2})+$/.test(digest)) bad(`resources[${i}].digest must be hex`);
    return { name: str(r.name, `resources[${i}].name`), algorithm: str(r.algorithm, `resources[${i}].algorithm`), digest };
  });
}

/** Parses a model_signing statement (already JSON-decoded) and checks its root digest. */
export function parseModelSigningStatement(v: unknown): ModelSigningStatement {
  if (!isObject(v)) bad('payload is not a JSON object');
  if (v._type !== IN_TOTO_STATEMENT_TYPE) bad(`payload _type must be ${IN_TOTO_STATEMENT_TYPE}, got ${JSON.stringify(v._type)}`);
  if (v.predicateType !== MODEL_SIGNING_PREDICATE_TYPE) {
    bad(`unsupported predicateType ${JSON.stringify(v.predicateType)} (expected ${MODEL_SIGNING_PREDICATE_TYPE})`);
  }
  if (!Array.isArray(v.subject) || v.subject.length !== 1) bad('statement must have exactly one subject');
  const s0 = v.subject[0];
  if (!isObject(s0) || !isObject(s0.digest)) bad('subject must have a name and a digest');
  const digest: Record<string, string> = {};
  for (const [k, d] of Object.entries(s0.digest)) digest[k] = str(d, `subject.digest.${k}`).toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(digest.sha256 ?? '')) bad('subject.digest.sha256 must be 64 hex digits');
  const subject: InTotoSubject = { name: str(s0.name, 'subject.name'), digest };
  if (!isObject(v.predicate)) bad('predicate must be an object');
  const predicate = { serialization: parseSerialization(v.predicate.serialization), resources: parseResources(v.predicate.resources) };
  const root = rootDigestOf(predicate.resources.map((r) => r.digest));
  if (root !== digest.sha256) {
    bad(`inconsistent statement: resources hash to ${root}, subject digest is ${digest.sha256}`);
  }
  return { _type: v._type, subject: [subject], predicateType: v.predicateType, predicate };
}

/** Decodes a Sigstore bundle (JSON text or its UTF-8 bytes) holding a DSSE envelope over an in-toto statement. */
export function parseDsseBundle(json: string | Uint8Array): ParsedDsseBundle {
  let doc: unknown;
  try {
    doc = JSON.parse(typeof json === 'string' ? json : new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (e) {
    bad(`bundle is not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(doc)) bad('bundle must be a JSON object');
  const mediaType = str(doc.mediaType, 'bundle mediaType');
  if (!mediaType.startsWith('application/vnd.dev.sigstore.bundle')) bad(`not a Sigstore bundle (mediaType ${JSON.stringify(mediaType)})`);
  const env = doc.dsseEnvelope;
  if (!isObject(env)) bad('bundle has no dsseEnvelope (message-signature bundles are not model signatures)');
  const payloadType = str(env.payloadType, 'dsseEnvelope.payloadType');
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE) bad(`payloadType must be ${IN_TOTO_PAYLOAD_TYPE}, got ${JSON.stringify(payloadType)}`);
  const payloadBytes = decodeBase64(env.payload, 'dsseEnvelope.payload');
  if (!Array.isArray(env.signatures) || env.signatures.length === 0) bad('dsseEnvelope.signatures must be a non-empty array');
  const signatures = env.signatures.map((s, i): DsseSignature => {
    if (!isObject(s)) bad(`signatures[${i}] must be an object`);
    if (decodeBase64(s.sig, `signatures[${i}].sig`).length === 0) bad(`signatures[${i}].sig is empty`);
    const keyid = s.keyid === undefined || s.keyid === null ? '' : str(s.keyid, `signatures[${i}].keyid`);
    return { sig: s.sig as string, keyid };
  });
  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payloadBytes));
  } catch (e) {
    bad(`DSSE payload is not UTF-8 JSON (${(e as Error).message})`);
  }
  return { mediaType, verificationMaterial: doc.verificationMaterial, payloadBytes: new Uint8Array(payloadBytes), payload, payloadType, signatures };
}

/** Decodes a model_signing Sigstore bundle (JSON text or bytes) down to its in-toto statement. */
export function parseModelSigningBundle(json: string | Uint8Array): ParsedModelSigningBundle {
  const { payload, ...rest } = parseDsseBundle(json);
  return { ...rest, statement: parseModelSigningStatement(payload) };
}

/** Decodes base64 as the bundle writes it (standard or URL-safe alphabet); refuses anything else. */
export function decodeBundleBase64(s: unknown, what: string): Buffer {
  return decodeBase64(s, what);
}

/** Any in-toto Statement v1 (already JSON-decoded): type, subjects with digests, predicate type. */
export function parseInTotoStatement(v: unknown): InTotoStatement {
  if (!isObject(v)) bad('payload is not a JSON object');
  if (v._type !== IN_TOTO_STATEMENT_TYPE) bad(`payload _type must be ${IN_TOTO_STATEMENT_TYPE}, got ${JSON.stringify(v._type)}`);
  if (!Array.isArray(v.subject) || v.subject.length === 0) bad('statement must have at least one subject');
  const subject = v.subject.map((s, i): InTotoSubject => {
    if (!isObject(s) || !isObject(s.digest) || Object.keys(s.digest).length === 0) bad(`subject[${i}] must have a digest`);
    const digest: Record<string, string> = {};
    for (const [k, d] of Object.entries(s.digest)) digest[k] = str(d, `subject[${i}].digest.${k}`).toLowerCase();
    return { ...s, name: s.name === undefined ? '' : str(s.name, `subject[${i}].name`), digest };
  });
  const predicateType = str(v.predicateType, 'predicateType');
  if (v.predicate !== undefined && !isObject(v.predicate)) bad('predicate must be an object');
  return { ...v, _type: v._type, subject, predicateType, predicate: v.predicate ?? {} };
}
