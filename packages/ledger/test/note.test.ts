/**
 * Signed notes and keys against golang.org/x/mod/sumdb/note's tests (note_test.go: TestNewVerifier,
 * TestNewSigner, TestSign, TestOpen), the C2SP signed-note example key and note, and two real
 * checkpoints signed by sum.golang.org.
 */
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  LedgerFormatError,
  LedgerVerificationError,
  encodeSignerKey,
  encodeVerifierKey,
  generateNoteKey,
  noteKeyId,
  openNote,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  signerFromPrivateKey,
  verifierFromPublicKey,
  verifierFromSigner,
} from '../src/index.js';

const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const PETER_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG = '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG = '\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

// c2sp.org/signed-note example.
const FOO_VKEY = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
const FOO_NOTE =
  'This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';

const peter = () => parseVerifierKey(PETER_VKEY);
const enoch = () => parseVerifierKey(ENOCH_VKEY);

/** Every proper substring and every single-character increment of a key string. */
function manglings(key: string): string[] {
  const out: string[] = [];
  for (let i = 0; i <= key.length; i++) for (let j = i + 1; j <= key.length; j++) if (i !== 0 || j !== key.length) out.push(key.slice(i, j));
  for (let i = 0; i < key.length; i++) out.push(key.slice(0, i) + String.fromCharCode(key.charCodeAt(i) + 1) + key.slice(i + 1));
  return out;
}

describe('note keys', () => {
  it('parses the Go test keys, with the key IDs and key bytes they encode', () => {
    const v = peter();
    expect(v.name).toBe('PeterNeumann');
    expect(v.keyId).toBe(0xc74f20a3);
    expect(encodeVerifierKey(v)).toBe(PETER_VKEY);
    const s = parseSignerKey(PETER_SKEY);
    expect(s.keyId).toBe(0xc74f20a3);
    expect(encodeVerifierKey(s)).toBe(PETER_VKEY);
    expect(s.publicKey.equals(v.publicKey)).toBe(true);
    expect(encodeSignerKey('PeterNeumann', Buffer.from('AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz', 'base64').subarray(1))).toBe(PETER_SKEY);
    expect(noteKeyId('PeterNeumann', v.publicKey)).toBe(0xc74f20a3);
    expect(enoch().keyId).toBe(0xaf0cfe78);
    const foo = parseVerifierKey(FOO_VKEY);
    expect(foo.keyId).toBe(0x530d903a);
    expect(encodeVerifierKey(foo)).toBe(FOO_VKEY);
  });

  it('rejects every mangling of the verifier key (TestNewVerifier)', () => {
    for (const key of manglings(PETER_VKEY)) expect(() => parseVerifierKey(key), key).toThrow(LedgerFormatError);
    // Wrong key length and unknown algorithm, each with a key ID adjusted to match.
    // (Go rejects the first for its length; its base64 is also non-canonical, which is rejected first here.)
    expect(() => parseVerifierKey('PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==')).toThrow(LedgerFormatError);
    expect(() => parseVerifierKey(`PeterNeumann+c74f20a3+${Buffer.alloc(34, 1).toString('base64')}`)).toThrow('Ed25519 key must be 32 bytes, got 33');
    expect(() => parseVerifierKey('PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')).toThrow(/signature type 0x65/);
  });

  it('rejects every mangling of the signer key (TestNewSigner)', () => {
    for (const key of manglings(PETER_SKEY)) expect(() => parseSignerKey(key), key).toThrow(LedgerFormatError);
  });

  it('explains what is wrong with a key', () => {
    expect(() => parseVerifierKey('PeterNeumann')).toThrow('verifier key: expected <name>+<key ID>+<key>');
    expect(() => parseVerifierKey('Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')).toThrow(/invalid key name/);
    expect(() => parseVerifierKey('PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')).toThrow(
      'verifier key: key ID c74f20a4 does not match the key (c74f20a3)',
    );
    expect(() => parseSignerKey(PETER_VKEY)).toThrow(/PRIVATE\+KEY/);
    expect(() => parseVerifierKey('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T')).toThrow(/canonical base64/);
  });

  it('generates key pairs that round-trip and sign', () => {
    const { signerKey, verifierKey } = generateNoteKey('steward.example/log');
    const signer = parseSignerKey(signerKey);
    const verifier = parseVerifierKey(verifierKey);
    expect(encodeVerifierKey(signer)).toBe(verifierKey);
    expect(openNote(signNote('hello\n', signer), [verifier]).verifiedBy.map((s) => s.name)).toEqual(['steward.example/log']);
    expect(() => generateNoteKey('bad name')).toThrow(LedgerFormatError);
    expect(() => generateNoteKey('a+b')).toThrow(LedgerFormatError);
  });

  it('converts to and from node KeyObjects', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const signer = signerFromPrivateKey('kms.example/key', privateKey);
    const verifier = verifierFromPublicKey('kms.example/key', publicKey);
    expect(verifier.keyId).toBe(signer.keyId);
    expect(verifierFromSigner(signer).publicKey.equals(verifier.publicKey)).toBe(true);
    expect(openNote(signNote('x\n', signer), [verifier]).verifiedBy).toHaveLength(1);
    const s = parseSignerKey(PETER_SKEY);
    expect(s.keyObject.asymmetricKeyType).toBe('ed25519');
    expect(parseVerifierKey(PETER_VKEY).keyObject.type).toBe('public');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    expect(() => signerFromPrivateKey('x', rsa)).toThrow(/Ed25519/);
    expect(() => signerFromPrivateKey('x', createPrivateKey(s.keyObject.export({ format: 'pem', type: 'pkcs8' })))).not.toThrow();
  });
});

describe('signing notes (TestSign)', () => {
  it('reproduces the Go signed note byte for byte', () => {
    expect(signNote(TEXT, parseSignerKey(PETER_SKEY))).toBe(`${TEXT}\n${PETER_SIG}`);
  });

  it('signs with several keys in order', () => {
    const other = parseSignerKey(generateNoteKey('other').signerKey);
    const note = signNote(TEXT, [parseSignerKey(PETER_SKEY), other]);
    expect(note.startsWith(`${TEXT}\n${PETER_SIG}\u2014 other `)).toBe(true);
    expect(() => signNote(TEXT, [other, other])).toThrow(/given twice/);
    expect(() => signNote(TEXT, [])).toThrow(/at least one signer/);
  });

  it('refuses text a note cannot carry', () => {
    const signer = parseSignerKey(PETER_SKEY);
    expect(() => signNote('abc', signer)).toThrow('note text must end with a newline');
    expect(() => signNote('a\tb\n', signer)).toThrow('line 1: note text contains control character 0x09');
    expect(() => signNote('ok\n\ud800\n', signer)).toThrow(/lone surrogate/);
  });
});

describe('opening notes (TestOpen)', () => {
  it('verifies the C2SP example', () => {
    const opened = openNote(FOO_NOTE, [parseVerifierKey(FOO_VKEY)]);
    expect(opened.text).toBe('This is an example message.\n');
    expect(opened.verifiedBy.map((s) => [s.name, s.keyId, s.line])).toEqual([['example.com/foo', 0x530d903a, 3]]);
  });

  it('verifies known keys and reports unknown ones', () => {
    const one = openNote(TEXT + '\n' + PETER_SIG + ENOCH_SIG, [peter()]);
    expect(one.text).toBe(TEXT);
    expect(one.verifiedBy.map((s) => s.name)).toEqual(['PeterNeumann']);
    expect(one.unverified.map((s) => [s.name, s.keyId])).toEqual([['EnochRoot', 0xaf0cfe78]]);
    const both = openNote(TEXT + '\n' + PETER_SIG + ENOCH_SIG, [peter(), enoch()]);
    expect(both.verifiedBy.map((s) => s.name)).toEqual(['PeterNeumann', 'EnochRoot']);
    expect(both.unverified).toEqual([]);
    // Bytes work as well as strings.
    expect(openNote(Buffer.from(TEXT + '\n' + PETER_SIG), [peter()]).text).toBe(TEXT);
  });

  it('rejects a note with no signature from a known key, naming who did sign', () => {
    expect(() => openNote(TEXT + '\n' + PETER_SIG + ENOCH_SIG, [])).toThrow(
      new LedgerVerificationError('note has no signature from a known key (signed by: PeterNeumann+c74f20a3, EnochRoot+af0cfe78)'),
    );
  });

  it('ignores keys that share only the name or only the key ID with a signature', () => {
    const impostor = verifierFromPublicKey('PeterNeumann', generateKeyPairSync('ed25519').publicKey);
    expect(() => openNote(TEXT + '\n' + PETER_SIG, [impostor])).toThrow(LedgerVerificationError);
  });

  it('rejects ambiguous known keys only when a signature needs them', () => {
    // Same name and key ID, different key: a forged verifier list. The key ID is only 32 bits, so fake the collision.
    const collider = { ...enoch(), publicKey: peter().publicKey, keyObject: peter().keyObject };
    expect(() => openNote(TEXT + '\n' + ENOCH_SIG, [enoch(), peter(), collider])).toThrow('ambiguous key EnochRoot+af0cfe78');
    expect(openNote(TEXT + '\n' + PETER_SIG, [enoch(), peter(), collider]).verifiedBy).toHaveLength(1);
    expect(openNote(TEXT + '\n' + ENOCH_SIG, [enoch(), enoch()]).verifiedBy).toHaveLength(1);
  });

  it('rejects an invalid signature from a known key', () => {
    const corrupted = PETER_SIG.slice(0, 60) + 'ABCD' + PETER_SIG.slice(60);
    expect(() => openNote(TEXT + '\n' + corrupted, [peter()])).toThrow('line 4: signature by PeterNeumann+c74f20a3 does not verify');
    const flipped = PETER_SIG.slice(0, 40) + (PETER_SIG[40] === 'A' ? 'B' : 'A') + PETER_SIG.slice(41);
    expect(() => openNote(TEXT + '\n' + flipped + ENOCH_SIG, [peter(), enoch()])).toThrow(LedgerVerificationError);
    expect(() => openNote(TEXT.replace('problem', 'Problem') + '\n' + PETER_SIG, [peter()])).toThrow(/does not verify/);
  });

  it('keeps one entry per verified key and per unknown signature', () => {
    const enochABCD = ENOCH_SIG.slice(0, 60) + 'ABCD' + ENOCH_SIG.slice(60);
    const opened = openNote(TEXT + '\n' + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG + enochABCD, [peter()]);
    expect(opened.verifiedBy).toHaveLength(1);
    expect(opened.unverified.map((s) => s.line)).toEqual([6, 7, 8]);
  });

  it('reads at most 100 signatures', () => {
    expect(() => openNote(TEXT + '\n' + PETER_SIG.repeat(101), [peter()])).toThrow(/at most 100/);
    expect(openNote(TEXT + '\n' + PETER_SIG.repeat(100), [peter()]).verifiedBy).toHaveLength(1);
  });

  it.each([
    ['text only', TEXT, /no blank line/],
    ['text and blank line', TEXT + '\n', /line 4: note has no signature lines/],
    ['missing final newline', TEXT + '\n' + PETER_SIG.slice(0, -1), /line 4: note must end with a newline/],
    ['control character', '\x01' + TEXT + '\n' + PETER_SIG, /line 1: note contains control character 0x01/],
    ['bad name', TEXT + '\n' + '\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n', /line 4: signature by Bad is not canonical base64/],
    ['unexpected line', TEXT + '\n' + PETER_SIG + 'Unexpected line.\n', /line 5: signature line must start with/],
    ['hyphen instead of em dash', TEXT + '\n' + PETER_SIG.replace('\u2014', '-'), /line 4: signature line must start with/],
    ['trailing space', TEXT + '\n' + PETER_SIG.replace('=\n', '= \n'), /line 4: signature by PeterNeumann is not canonical base64/],
    ['carriage return', TEXT + '\n' + PETER_SIG.replace('\n', '\r\n'), /line 4: note contains control character 0x0d/],
    ['short signature', TEXT + '\n' + '\u2014 PeterNeumann AAAA\n', /too short/],
    ['no signature', TEXT + '\n' + '\u2014 PeterNeumann\n', /line 4: signature line must be/],
  ])('rejects a malformed note: %s', (_what, note, message) => {
    expect(() => openNote(note, [peter()])).toThrow(LedgerFormatError);
    expect(() => openNote(note, [peter()])).toThrow(message);
  });

  it('rejects bytes that are not UTF-8', () => {
    const bytes = Buffer.concat([Buffer.of(0xff), Buffer.from(TEXT + '\n' + PETER_SIG)]);
    expect(() => openNote(bytes, [peter()])).toThrow('note is not valid UTF-8');
  });

  it('parses a note whose text has blank lines: the last blank line separates', () => {
    const signer = parseSignerKey(PETER_SKEY);
    for (const text of ['a\n\nb\n', 'a\n\n', '\n', '\u2014 not a signature\n\n']) {
      const note = signNote(text, signer);
      expect(parseNote(note).text).toBe(text);
      expect(openNote(note, [peter()]).text).toBe(text);
    }
  });
});
