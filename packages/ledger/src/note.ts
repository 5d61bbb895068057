import * as crypto from 'node:crypto';
import { LedgerFormatError, LedgerVerificationError } from './errors.js';

/**
 * C2SP signed-note with Ed25519 keys, and the key encodings of golang.org/x/mod/sumdb/note:
 *   verifier key  <name>+<hex8 key ID>+<base64(0x01 || 32-byte public key)>
 *   signer key    PRIVATE+KEY+<name>+<hex8 key ID>+<base64(0x01 || 32-byte seed)>
 *   key ID        first 4 bytes, big-endian, of SHA-256(name || 0x0A || 0x01 || public key)
 *   note          text (ending in \n), a blank line, then lines "— <name> <base64(key ID || signature)>"
 */

/** Signature type byte of Ed25519 in signed-note key IDs and key encodings. */
export const ED25519_SIGNATURE_TYPE = 0x01;

const EM_DASH_PREFIX = '\u2014 ';
/** Go's reader stops at 100; the spec requires accepting at least 16. */
const MAX_SIGNATURES = 100;
const ED25519_KEY_SIZE = 32;
const ED25519_SIGNATURE_SIZE = 64;
// DER headers that wrap a raw Ed25519 key as SPKI / PKCS#8, the forms node:crypto imports.
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKey: Buffer;
  readonly keyObject: crypto.KeyObject;
}

export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKey: Buffer;
  /** Private key. */
  readonly keyObject: crypto.KeyObject;
}

export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  /** Signature bytes, without the key ID. */
  readonly signature: Buffer;
  /** 1-based line of the signature in the note. */
  readonly line: number;
}

export interface ParsedNote {
  /** The signed text, including its final newline. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

export interface OpenedNote {
  readonly text: string;
  /** Signatures that verified against a known key, one per key. */
  readonly verifiedBy: readonly NoteSignature[];
  /** Signatures from keys the caller does not know (ignored, as the spec requires). */
  readonly unverified: readonly NoteSignature[];
}

/** Key names must be non-empty, with no Unicode white space and no '+'. */
export function isValidKeyName(name: string): boolean {
  return name !== '' && name.isWellFormed() && !/[\p{White_Space}+]/u.test(name);
}

/** Key ID of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || public key)[:4] as a big-endian uint32. */
export function noteKeyId(name: string, publicKey: Uint8Array): number {
  return crypto
    .createHash('sha256')
    .update(name, 'utf8')
    .update(Buffer.of(0x0a, ED25519_SIGNATURE_TYPE))
    .update(publicKey)
    .digest()
    .readUInt32BE(0);
}

/** Key ID as it appears in key strings: 8 lowercase hex digits. */
export function formatKeyId(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard base64 with padding, in its canonical spelling only (Buffer.from(…, 'base64') accepts almost anything). */
export function decodeBase64Strict(text: string): Buffer | undefined {
  if (!BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

function publicKeyObject(publicKey: Uint8Array): crypto.KeyObject {
  return crypto.createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
}

function rawPublicKey(key: crypto.KeyObject): Buffer {
  if (key.asymmetricKeyType !== 'ed25519') throw new LedgerFormatError(`expected an Ed25519 key, got ${key.asymmetricKeyType ?? key.type}`);
  const publicKey = key.type === 'private' ? crypto.createPublicKey(key) : key;
  return publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
}

function checkName(name: string, what: string): void {
  if (!isValidKeyName(name)) throw new LedgerFormatError(`${what}: invalid key name ${JSON.stringify(name)} (must be non-empty, without spaces or '+')`);
}

export function verifierFromPublicKey(name: string, publicKey: Uint8Array | crypto.KeyObject): NoteVerifier {
  checkName(name, 'verifier');
  const raw = publicKey instanceof crypto.KeyObject ? rawPublicKey(publicKey) : Buffer.from(publicKey);
  if (raw.length !== ED25519_KEY_SIZE) throw new LedgerFormatError(`verifier: Ed25519 public key must be 32 bytes, got ${raw.length}`);
  return { name, keyId: noteKeyId(name, raw), publicKey: raw, keyObject: publicKeyObject(raw) };
}

export function signerFromSeed(name: string, seed: Uint8Array): NoteSigner {
  checkName(name, 'signer');
  if (seed.length !== ED25519_KEY_SIZE) throw new LedgerFormatError(`signer: Ed25519 seed must be 32 bytes, got ${seed.length}`);
  const keyObject = crypto.createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const publicKey = rawPublicKey(keyObject);
  return { name, keyId: noteKeyId(name, publicKey), publicKey, keyObject };
}

export function signerFromPrivateKey(name: string, privateKey: crypto.KeyObject): NoteSigner {
  checkName(name, 'signer');
  if (privateKey.type !== 'private') throw new LedgerFormatError('signer: expected a private key');
  const publicKey = rawPublicKey(privateKey);
  return { name, keyId: noteKeyId(name, publicKey), publicKey, keyObject: privateKey };
}

export function verifierFromSigner(signer: NoteSigner): NoteVerifier {
  return verifierFromPublicKey(signer.name, signer.publicKey);
}

/** `<name>+<hex8>+<base64(0x01 || public key)>` */
export function encodeVerifierKey(verifier: Pick<NoteVerifier, 'name' | 'publicKey'>): string {
  const { name, keyId, publicKey } = verifierFromPublicKey(verifier.name, verifier.publicKey);
  return `${name}+${formatKeyId(keyId)}+${Buffer.concat([Buffer.of(ED25519_SIGNATURE_TYPE), publicKey]).toString('base64')}`;
}

/** `PRIVATE+KEY+<name>+<hex8>+<base64(0x01 || seed)>`; the seed is the 32-byte Ed25519 private key. */
export function encodeSignerKey(name: string, seed: Uint8Array): string {
  const { keyId } = signerFromSeed(name, seed);
  return `PRIVATE+KEY+${name}+${formatKeyId(keyId)}+${Buffer.concat([Buffer.of(ED25519_SIGNATURE_TYPE), seed]).toString('base64')}`;
}

/** A fresh Ed25519 key pair in signer-key and verifier-key encodings. */
export function generateNoteKey(name: string): { signerKey: string; verifierKey: string } {
  checkName(name, 'generateNoteKey');
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length);
  return { signerKey: encodeSignerKey(name, seed), verifierKey: encodeVerifierKey({ name, publicKey: rawPublicKey(publicKey) }) };
}

/** Splits at the first n '+' (the base64 key material may itself contain '+'). */
function splitPlus(text: string, n: number): string[] | undefined {
  const parts: string[] = [];
  let rest = text;
  for (let i = 0; i < n; i++) {
    const plus = rest.indexOf('+');
    if (plus < 0) return undefined;
    parts.push(rest.slice(0, plus));
    rest = rest.slice(plus + 1);
  }
  parts.push(rest);
  return parts;
}

function parseKeyId(hex: string, what: string): number {
  if (!/^[0-9a-fA-F]{8}$/.test(hex)) throw new LedgerFormatError(`${what}: key ID must be 8 hex digits, got ${JSON.stringify(hex)}`);
  return Number.parseInt(hex, 16);
}

function parseKeyMaterial(base64: string, what: string): Buffer {
  const bytes = decodeBase64Strict(base64);
  if (bytes === undefined || bytes.length === 0) throw new LedgerFormatError(`${what}: key is not canonical base64`);
  if (bytes[0] !== ED25519_SIGNATURE_TYPE) throw new LedgerFormatError(`${what}: unknown signature type 0x${bytes[0]?.toString(16).padStart(2, '0')} (only Ed25519, 0x01, is supported)`);
  if (bytes.length !== 1 + ED25519_KEY_SIZE) throw new LedgerFormatError(`${what}: Ed25519 key must be 32 bytes, got ${bytes.length - 1}`);
  return bytes.subarray(1);
}

export function parseVerifierKey(vkey: string): NoteVerifier {
  const what = 'verifier key';
  const parts = splitPlus(vkey, 2);
  if (parts === undefined) throw new LedgerFormatError(`${what}: expected <name>+<key ID>+<key>`);
  const [name = '', hex = '', base64 = ''] = parts;
  checkName(name, what);
  const keyId = parseKeyId(hex, what);
  const verifier = verifierFromPublicKey(name, parseKeyMaterial(base64, what));
  if (verifier.keyId !== keyId) throw new LedgerFormatError(`${what}: key ID ${hex} does not match the key (${formatKeyId(verifier.keyId)})`);
  return verifier;
}

export function parseSignerKey(skey: string): NoteSigner {
  const what = 'signer key';
  const parts = splitPlus(skey, 4);
  if (parts === undefined || parts[0] !== 'PRIVATE' || parts[1] !== 'KEY') {
    throw new LedgerFormatError(`${what}: expected PRIVATE+KEY+<name>+<key ID>+<key>`);
  }
  const [, , name = '', hex = '', base64 = ''] = parts;
  checkName(name, what);
  const keyId = parseKeyId(hex, what);
  const signer = signerFromSeed(name, parseKeyMaterial(base64, what));
  if (signer.keyId !== keyId) throw new LedgerFormatError(`${what}: key ID ${hex} does not match the key (${formatKeyId(signer.keyId)})`);
  return signer;
}

/** Where the text has a character notes forbid: control characters other than newline, or a lone surrogate. */
function checkNoteCharacters(text: string, what: string): void {
  if (!text.isWellFormed()) throw new LedgerFormatError(`${what} is not valid Unicode (lone surrogate)`);
  const bad = /[\x00-\x09\x0b-\x1f]/.exec(text);
  if (bad !== null) {
    const line = text.slice(0, bad.index).split('\n').length;
    const code = bad[0].charCodeAt(0).toString(16).padStart(2, '0');
    throw new LedgerFormatError(`${what} contains control character 0x${code}`, { line });
  }
}

/** Signs `text` (which must end in a newline) with each signer, in order. */
export function signNote(text: string, signers: NoteSigner | readonly NoteSigner[]): string {
  const list: readonly NoteSigner[] = Array.isArray(signers) ? signers : [signers as NoteSigner];
  if (list.length === 0) throw new LedgerFormatError('signNote needs at least one signer');
  if (!text.endsWith('\n')) throw new LedgerFormatError('note text must end with a newline');
  checkNoteCharacters(text, 'note text');
  const message = Buffer.from(text, 'utf8');
  const seen = new Set<string>();
  const lines = list.map((signer) => {
    checkName(signer.name, 'signer');
    const id = `${signer.name}+${formatKeyId(signer.keyId)}`;
    if (seen.has(id)) throw new LedgerFormatError(`signNote: signer ${id} given twice`);
    seen.add(id);
    const keyId = Buffer.alloc(4);
    keyId.writeUInt32BE(signer.keyId);
    const signature = crypto.sign(null, message, signer.keyObject);
    return `${EM_DASH_PREFIX}${signer.name} ${Buffer.concat([keyId, signature]).toString('base64')}\n`;
  });
  return `${text}\n${lines.join('')}`;
}

function decodeNote(note: string | Uint8Array): string {
  if (typeof note === 'string') return note;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(note);
  } catch (cause) {
    throw new LedgerFormatError('note is not valid UTF-8', { cause });
  }
}

/** Splits a note into text and signatures without verifying anything. */
export function parseNote(note: string | Uint8Array): ParsedNote {
  const message = decodeNote(note);
  checkNoteCharacters(message, 'note');
  // The text ends at the last blank line; signature lines can never contain one.
  const split = message.lastIndexOf('\n\n');
  if (split < 0) throw new LedgerFormatError('note has no blank line before its signatures');
  const text = message.slice(0, split + 1);
  const block = message.slice(split + 2);
  const firstSignatureLine = text.split('\n').length + 1;
  if (block === '') throw new LedgerFormatError('note has no signature lines', { line: firstSignatureLine });
  const lines = block.split('\n');
  if (lines.pop() !== '') {
    throw new LedgerFormatError('note must end with a newline', { line: firstSignatureLine + lines.length });
  }
  if (lines.length > MAX_SIGNATURES) throw new LedgerFormatError(`note has ${lines.length} signatures; at most ${MAX_SIGNATURES} are read`);
  const signatures = lines.map((line, i) => parseSignatureLine(line, firstSignatureLine + i));
  return { text, signatures };
}

function parseSignatureLine(line: string, lineNumber: number): NoteSignature {
  const fail = (message: string): never => {
    throw new LedgerFormatError(message, { line: lineNumber });
  };
  if (!line.startsWith(EM_DASH_PREFIX)) fail('signature line must start with "\u2014 " (U+2014 EM DASH, space)');
  const rest = line.slice(EM_DASH_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space < 0) fail('signature line must be "\u2014 <key name> <base64 signature>"');
  const name = rest.slice(0, space);
  if (!isValidKeyName(name)) fail(`invalid key name ${JSON.stringify(name)} in signature line`);
  const bytes = decodeBase64Strict(rest.slice(space + 1));
  if (bytes === undefined) return fail(`signature by ${name} is not canonical base64`);
  if (bytes.length < 5) fail(`signature by ${name} is too short to hold a key ID and a signature`);
  return { name, keyId: bytes.readUInt32BE(0), signature: bytes.subarray(4), line: lineNumber };
}

/**
 * Parses a note and verifies it against known keys. Signatures from unknown keys are ignored (and
 * reported); a signature from a known key that does not verify rejects the note, and so does a note
 * with no verified signature. Throws LedgerFormatError for malformed notes and LedgerVerificationError
 * for signature failures.
 */
export function openNote(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): OpenedNote {
  const { text, signatures } = parseNote(note);
  const known = new Map<string, NoteVerifier[]>();
  for (const verifier of verifiers) {
    const id = `${verifier.name}+${formatKeyId(verifier.keyId)}`;
    const same = known.get(id) ?? [];
    if (!same.some((v) => v.publicKey.equals(verifier.publicKey))) same.push(verifier);
    known.set(id, same);
  }
  const message = Buffer.from(text, 'utf8');
  const verifiedBy: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  const verifiedIds = new Set<string>();
  for (const signature of signatures) {
    const id = `${signature.name}+${formatKeyId(signature.keyId)}`;
    const candidates = known.get(id);
    if (candidates === undefined) {
      unverified.push(signature);
      continue;
    }
    if (candidates.length > 1) throw new LedgerVerificationError(`ambiguous key ${id}: several different known keys have this name and key ID`);
    const verifier = candidates[0] as NoteVerifier;
    const valid =
      signature.signature.length === ED25519_SIGNATURE_SIZE && crypto.verify(null, message, verifier.keyObject, signature.signature);
    if (!valid) throw new LedgerVerificationError(`line ${signature.line}: signature by ${id} does not verify`);
    if (!verifiedIds.has(id)) verifiedBy.push(signature);
    verifiedIds.add(id);
  }
  if (verifiedBy.length === 0) {
    const seen = [...new Set(signatures.map((s) => `${s.name}+${formatKeyId(s.keyId)}`))].join(', ');
    throw new LedgerVerificationError(`note has no signature from a known key (signed by: ${seen})`);
  }
  return { text, verifiedBy, unverified };
}
