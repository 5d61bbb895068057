/**
 * Evidence archives: the offline verifier on archives built here (real signatures, a real ledger,
 * real exports), every tamper named; malformed archives refused plainly (exit 2); and the round
 * trip against a real server process on SQLite and Postgres.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { generateSigningKeyPair, signStatement, toInTotoStatement, type Manifest } from '@steward/attest';
import { generateNoteKey } from '@steward/ledger';
import { DB_KINDS, createTestDatabase, type TestDatabase } from '../../server/test/helpers/db.js';
import { main } from '../src/main.js';
import type { Io } from '../src/output.js';
import { type EvidenceVerification, verifyEvidence } from '../src/evidence/verify.js';
import { concernsVersion } from '../src/evidence/assemble.js';
import { EvidenceSpool } from '../src/evidence/archive-writer.js';
import { readEvidenceArchive } from '../src/evidence/archive-reader.js';
import { kindOfPath, memberPathProblem, signaturePath } from '../src/evidence/format.js';
import { buildEvidence, pemFile, readRaw, tamper, writeEvidence, writeRaw, type EvidenceFixture, type RawEntry } from './helpers/evidence-fixture.js';
import { writeTree } from './helpers/files.js';
import { ADMIN_TOKEN, type CliResult, type ServerProcess, json, ok, runCli, startServerProcess } from './helpers/processes.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'steward-evidence-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const file = (name = 'ev') => path.join(tmp, `${name}-${n++}.tar.gz`);

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: Io = { out: (l) => (stdout += l + '\n'), err: (l) => (stderr += l + '\n'), isTTY: false };
  const code = await main(['node', 'steward', ...argv], io);
  return { code, stdout, stderr };
}

const failures = (r: EvidenceVerification) => r.checks.filter((c) => c.status === 'fail');
function failedOn(r: EvidenceVerification, member: string, message: RegExp): void {
  expect(r.ok).toBe(false);
  const f = failures(r).filter((c) => c.member === member);
  expect(f.map((c) => c.message).join('\n'), JSON.stringify(failures(r), null, 2)).toMatch(message);
}

describe('evidence format pieces', () => {
  it('a member\'s kind follows from its path; signature ids are made safe for a file name', () => {
    expect(kindOfPath('manifest.json')).toBe('manifest');
    expect(kindOfPath('audit/events.jsonl')).toBe('audit-events');
    expect(kindOfPath('signatures/model-0a1b.sig')).toBe('model-signature');
    expect(kindOfPath('signatures/provenance-0a1b.sig')).toBe('provenance-signature');
    expect(kindOfPath('signatures/other-0a1b.sig')).toBeNull();
    expect(kindOfPath('exports/notes.txt')).toBeNull();
    expect(signaturePath('model', 'a/b..c')).toBe('signatures/model-a_b__c.sig');
    expect(kindOfPath(signaturePath('provenance', '01d5a512-d1d4'))).toBe('provenance-signature');
  });

  it('member names: the manifest path rules', () => {
    expect(memberPathProblem('exports/README.md')).toBeNull();
    expect(memberPathProblem('../x')).toBe('".." component');
    expect(memberPathProblem('/x')).toBe('absolute path');
    expect(memberPathProblem('a//b')).toMatch(/empty component/);
    expect(memberPathProblem('a\\b')).toBe('backslash');
    expect(memberPathProblem('a\u0000b')).toMatch(/control character/);
  });

  it('ledger events concerning a version: aimed at it, or naming it', () => {
    const e = (o: Partial<Parameters<typeof concernsVersion>[0]>) => ({ model: 'acme/m', targetType: 'model', targetId: 'mdl', details: {}, ...o });
    expect(concernsVersion(e({ targetType: 'model_version', targetId: 'v1' }), 'acme/m', 'v1', '1.0.0')).toBe(true);
    expect(concernsVersion(e({ details: { version: '1.0.0', ring: 'prod' } }), 'acme/m', 'v1', '1.0.0')).toBe(true);
    expect(concernsVersion(e({ details: { version: '2.0.0' } }), 'acme/m', 'v1', '1.0.0')).toBe(false);
    expect(concernsVersion(e({ model: 'acme/other', targetId: 'v1' }), 'acme/m', 'v1', '1.0.0')).toBe(false);
    expect(concernsVersion(e({ model: null, targetType: 'blob', targetId: 'ab' }), 'acme/m', 'v1', '1.0.0')).toBe(false);
  });

  it('streams members through the spool and back, in chunks, with the digests the index lists', async () => {
    const spool = await EvidenceSpool.create();
    const f = path.join(tmp, 'stream.tar.gz');
    const hash = createHash('sha256');
    async function* big() {
      for (let i = 0; i < 12; i++) {
        const chunk = Buffer.alloc(1024 * 1024, i);
        hash.update(chunk);
        yield chunk;
      }
    }
    try {
      await spool.addStream('exports/annex-iv.html', 'export-annex-iv-html', big());
      spool.markAbsent('approvals.json', 'approvals', 'none yet');
      const index = await spool.write(f, { model: 'acme/m', version: '1.0.0', versionId: 'v1', manifestDigest: 'ab'.repeat(32), generatedAt: '2025-01-01T00:00:00.000Z', generator: 'test', server: null });
      expect(index.members).toEqual([{ path: 'exports/annex-iv.html', kind: 'export-annex-iv-html', size: 12 * 1024 * 1024, sha256: hash.digest('hex'), mediaType: 'text/html; charset=utf-8' }]);
      const read = await readEvidenceArchive(f, () => false);
      expect(read.compressed).toBe(true);
      expect(read.members.map((m) => [m.path, m.size, m.sha256, m.content])).toEqual([['exports/annex-iv.html', index.members[0]!.size, index.members[0]!.sha256, null]]);
      expect(read.index.absent).toEqual([{ path: 'approvals.json', kind: 'approvals', reason: 'none yet' }]);
    } finally {
      await spool.dispose();
    }
  });
});

describe('evidence verify, offline', () => {
  let fx: EvidenceFixture;
  let good: string;
  let pub: string;
  const verify = (f: string, extra: { ledgerKey?: string; trusted?: { source: string; pem: string }[] } = {}) =>
    verifyEvidence(f, { ledgerKey: fx.ledger.verifierKey, trusted: [{ source: 'signer.pub', pem: fx.signer.publicKeyPem }], ...extra });

  beforeAll(async () => {
    fx = await buildEvidence();
    good = file('good');
    await writeEvidence(fx, good, { absent: { 'approvals.json': 'no approvals recorded' } });
    pub = pemFile(tmp, 'signer.pub', fx.signer.publicKeyPem);
  });

  it('passes an intact archive, one line per check, index first in the tar', async () => {
    const r = await verify(good);
    expect(failures(r)).toEqual([]);
    expect(r.ok).toBe(true);
    const by = (member: string, check: string) => r.checks.find((c) => c.member === member && c.check === check);
    expect(by('manifest.json', 'manifest')?.message).toMatch(/root digest recomputed from 3 file\(s\)/);
    expect(by('signatures/model-sig1.sig', 'signature')?.status).toBe('pass');
    expect(by('signatures/provenance-sig2.sig', 'signature')?.status).toBe('pass');
    expect(by('audit/checkpoint.txt', 'checkpoint')?.message).toMatch(/steward\.local\/acme at size 7, signed by steward\.local \(the given key\)/);
    expect(r.checks.filter((c) => c.check === 'inclusion' && c.status === 'pass')).toHaveLength(2);
    expect(by('audit/events.jsonl', 'ledger')?.message).toMatch(/recorded the push of acme\/sentiment-bert@1\.2\.0/);
    for (const m of ['exports/cyclonedx.json', 'exports/spdx.json', 'exports/README.md', 'exports/annex-iv.md', 'exports/annex-iv.html', 'exports/gpai-form.md', 'exports/gpai-form.html', 'exports/changelog.md']) {
      expect(by(m, 'export')?.status, m).toBe('pass');
    }
    expect(by('approvals.json', 'absent')).toMatchObject({ status: 'absent', message: 'no approvals recorded' });
    expect(by('policy/evaluations.json', 'policy')?.message).toBe('1 evaluation(s) of acme/sentiment-bert@1.2.0');
    expect(by('provenance.json', 'provenance')?.message).toMatch(/SLSA provenance v1 about this manifest, the statement signatures\/provenance-sig2\.sig signs/);
    expect(r.checks.some((c) => c.status === 'warn')).toBe(false);
    const raw = await readRaw(good);
    expect(raw[0]!.name).toBe('index.json');
    const index = JSON.parse(raw[0]!.data.toString()) as { members: { path: string; sha256: string }[] };
    for (const m of index.members) expect(createHash('sha256').update(raw.find((e) => e.name === m.path)!.data).digest('hex')).toBe(m.sha256);
  });

  it('the CLI prints one line per check and exits 0; --json has the same checks', async () => {
    const r = await run(['evidence', 'verify', good, '--public-key', fx.ledger.verifierKey, '--trusted-key', pub]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^evidence for acme\/sentiment-bert@1\.2\.0 \(manifest sha256:[0-9a-f]{64}\)/);
    expect(r.stdout).toMatch(/^ok\s+manifest\.json\s+digest\s+sha256 /m);
    expect(r.stdout).toMatch(/^absent\s+approvals\.json\s+absent\s+no approvals recorded$/m);
    expect(r.stdout).toMatch(/^ok: every check passed/m);
    const j = await run(['evidence', 'verify', good, '--public-key', fx.ledger.verifierKey, '--trusted-key', pub, '--json']);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: true, model: 'acme/sentiment-bert', version: '1.2.0' });
  });

  it('without --public-key or --trusted-key, uses the archive\'s own keys and says they are self-asserted', async () => {
    const noKeys = await verifyEvidence(good, {});
    // The fixture carries the ledger keys but no signing keys: signatures cannot be verified.
    expect(noKeys.checks.find((c) => c.member === 'audit/keys.json' && c.check === 'trust')).toMatchObject({ status: 'warn', message: expect.stringMatching(/self-asserted/) });
    failedOn(noKeys, 'signatures/model-sig1.sig', /not a trusted key/);
    const withKeys = file('signing-keys');
    await writeEvidence({ ...fx, members: new Map([...fx.members, ['signatures/signing-keys.json', Buffer.from(JSON.stringify({ keys: [{ id: 'k1', algorithm: 'ecdsa-p256', fingerprint: 'ab'.repeat(32), publicKeyHint: 'cd'.repeat(32), publicKeyPem: fx.signer.publicKeyPem, current: true, createdAt: '2025-01-01T00:00:00.000Z', createdBy: 'admin', retiredAt: null }] }))]]) }, withKeys);
    const r = await verifyEvidence(withKeys, {});
    expect(failures(r)).toEqual([]);
    expect(r.checks.filter((c) => c.status === 'warn').map((c) => c.member).sort()).toEqual(['audit/keys.json', 'signatures/']);
  });

  it('names an edited member (index left alone)', async () => {
    const f = file();
    await tamper(good, f, (es) => es.map((e) => (e.name === 'scan-report.json' ? { ...e, data: Buffer.from(e.data.toString().replace('"requestedBy": "alice"', '"requestedBy": "mallo"')) } : e)));
    const r = await verify(f);
    failedOn(r, 'scan-report.json', /sha256 [0-9a-f]{12}…, index\.json says [0-9a-f]{12}… \(changed\)/);
    expect(failures(r)).toHaveLength(1);
    const longer = file();
    await tamper(good, longer, (es) => es.map((e) => (e.name === 'exports/README.md' ? { ...e, data: Buffer.concat([e.data, Buffer.from('\nSafe to load.\n')]) } : e)));
    failedOn(await verify(longer), 'exports/README.md', /\d+ bytes, index\.json says \d+ \(changed\)/);
  });

  it('names a dropped member and an added one', async () => {
    const dropped = file();
    await tamper(good, dropped, (es) => es.filter((e) => e.name !== 'exports/spdx.json'));
    failedOn(await verify(dropped), 'exports/spdx.json', /missing from the archive \(removed\)/);
    const added = file();
    await tamper(good, added, (es) => [...es, { name: 'exports/extra.json', data: Buffer.from('{}') }]);
    const r = await verify(added);
    failedOn(r, 'exports/extra.json', /not listed in index\.json \(added\)/);
    expect(failures(r)).toHaveLength(1);
  });

  it('a signature of another model fails even when the index and the signature list are updated to match', async () => {
    const f = file();
    const digest = createHash('sha256').update(fx.otherModelBundle).digest('hex');
    await tamper(
      good,
      f,
      (es) =>
        es.map((e) => {
          if (e.name === 'signatures/model-sig1.sig') return { ...e, data: Buffer.from(fx.otherModelBundle) };
          if (e.name === 'signatures/signatures.json') {
            const list = JSON.parse(e.data.toString()) as { items: { id: string; bundleDigest: string }[] };
            list.items[0]!.bundleDigest = digest;
            return { ...e, data: Buffer.from(JSON.stringify(list)) };
          }
          return e;
        }),
      { reindex: true },
    );
    const r = await verify(f);
    failedOn(r, 'signatures/model-sig1.sig', /valid signature by key [0-9a-f]{12}… \(ECDSA P-256\), but for another model "bert-other": it signs root/);
    expect(failures(r)).toHaveLength(1);
    // Without updating the index, the digest fails too.
    const plain = file();
    await tamper(good, plain, (es) => es.map((e) => (e.name === 'signatures/model-sig1.sig' ? { ...e, data: Buffer.from(fx.otherModelBundle) } : e)));
    const r2 = await verify(plain);
    expect(failures(r2).map((c) => `${c.member} ${c.check}`).sort()).toEqual(['signatures/model-sig1.sig digest', 'signatures/model-sig1.sig signature', 'signatures/model-sig1.sig signature']);
  });

  it('provenance.json that no verified provenance bundle signs fails', async () => {
    const f = file();
    await tamper(good, f, (es) => es.map((e) => (e.name === 'provenance.json' ? { ...e, data: Buffer.from(e.data.toString().replace('"https://steward.example.com/builders/registry"', '"https://evil.example.com/builder"')) } : e)), { reindex: true });
    failedOn(await verify(f), 'provenance.json', /no verified provenance signature in the archive signs this statement/);
  });

  it('policy evaluations of another version fail', async () => {
    const f = file();
    await tamper(good, f, (es) => es.map((e) => (e.name === 'policy/evaluations.json' ? { ...e, data: Buffer.from(e.data.toString().replace('"version": "1.2.0"', '"version": "1.1.0"')) } : e)), { reindex: true });
    failedOn(await verify(f), 'policy/evaluations.json', /1 evaluation\(s\) are about another version \(acme\/sentiment-bert@1\.1\.0\)/);
  });

  it('certificate signatures verify against a trusted CA given with --trusted-key, and fail under another CA', async () => {
    const certs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../attest/test/fixtures/certificates');
    const pem = (f: string) => fs.readFileSync(path.join(certs, f), 'utf8');
    const bundle = signStatement(toInTotoStatement(fx.version.manifest as Manifest, fx.version.model), { privateKeyPem: pem('leaf.key'), certificateChainPem: pem('leaf.pem') });
    const f = file();
    await tamper(good, f, (es) => es.map((e) => (e.name === 'signatures/model-sig1.sig' ? { ...e, data: Buffer.from(bundle) } : e.name === 'signatures/signatures.json' ? { ...e, data: Buffer.from(e.data.toString().replace(createHash('sha256').update(fx.members.get('signatures/model-sig1.sig')!).digest('hex'), createHash('sha256').update(bundle).digest('hex'))) } : e)), { reindex: true });
    const r = await verify(f, { trusted: [{ source: 'signer.pub', pem: fx.signer.publicKeyPem }, { source: 'root-ca.pem', pem: pem('root-ca.pem') }] });
    expect(failures(r)).toEqual([]);
    expect(r.checks.find((c) => c.member === 'signatures/model-sig1.sig' && c.check === 'signature')?.message).toMatch(/model signature by certificate CN=model signer/);
    const other = await verify(f, { trusted: [{ source: 'signer.pub', pem: fx.signer.publicKeyPem }, { source: 'other-ca.pem', pem: pem('other-ca.pem') }] });
    failedOn(other, 'signatures/model-sig1.sig', /certificate_untrusted/);
    const noCa = await verify(f);
    failedOn(noCa, 'signatures/model-sig1.sig', /certificate-signed, and no trusted CA certificate was given/);
  });

  it('a listed signature whose bundle the server did not provide is reported absent, not failed', async () => {
    const f = file();
    const members = new Map(fx.members);
    members.delete('signatures/model-sig1.sig');
    await writeEvidence({ ...fx, members }, f, { absent: { 'signatures/model-sig1.sig': 'the server did not provide the bundle of signature sig1: gone (HTTP 404 not_found)' } });
    const r = await verify(f);
    expect(failures(r)).toEqual([]);
    expect(r.checks.find((c) => c.member === 'signatures/model-sig1.sig')).toMatchObject({ status: 'absent' });
  });

  it('a signature by a key that is not trusted fails', async () => {
    const stranger = generateSigningKeyPair({ curve: 'P-256' });
    const r = await verify(good, { trusted: [{ source: 'stranger.pub', pem: stranger.publicKeyPem }] });
    failedOn(r, 'signatures/model-sig1.sig', /signed by key [0-9a-f]{12}…, which is not a trusted key/);
  });

  it('an edited audit entry fails its inclusion proof, even with the index updated', async () => {
    const f = file();
    await tamper(good, f, (es) => es.map((e) => (e.name === 'audit/events.jsonl' ? { ...e, data: Buffer.from(e.data.toString().replace('"ring":"staging"', '"ring":"prod"')) } : e)), { reindex: true });
    const r = await verify(f);
    failedOn(r, 'audit/events.jsonl line 2', /ring\.moved \(index 5\): not in the signed log: .* \(edited\?\); does not hash to the leaf hash in proofs\.json/);
    expect(failures(r)).toHaveLength(1);
  });

  it('a corrupted checkpoint signature, or another ledger key, fails the checkpoint', async () => {
    const f = file();
    await tamper(good, f, (es) =>
      es.map((e) => {
        if (e.name !== 'audit/checkpoint.txt') return e;
        const text = e.data.toString();
        const sigStart = text.lastIndexOf(' ') + 10;
        const flipped = text.slice(0, sigStart) + (text[sigStart] === 'A' ? 'B' : 'A') + text.slice(sigStart + 1);
        return { ...e, data: Buffer.from(flipped) };
      }),
      { reindex: true },
    );
    failedOn(await verify(f), 'audit/checkpoint.txt', /the signature does not verify with the given ledger key/);
    const stranger = generateNoteKey('steward.local').verifierKey;
    failedOn(await verify(good, { ledgerKey: stranger }), 'audit/checkpoint.txt', /does not verify with the given ledger key/);
  });

  it('an export quoting another manifest digest fails', async () => {
    const f = file();
    const other = 'ee'.repeat(32);
    await tamper(good, f, (es) => es.map((e) => (e.name === 'exports/annex-iv.md' ? { ...e, data: Buffer.from(e.data.toString().replaceAll(fx.version.manifestDigest, other)) } : e)), { reindex: true });
    failedOn(await verify(f), 'exports/annex-iv.md', /quotes manifest root digest eeeeeeeeeeee…, not this manifest's/);
    const cdx = file();
    await tamper(good, cdx, (es) => es.map((e) => (e.name === 'exports/cyclonedx.json' ? { ...e, data: Buffer.from(e.data.toString().replaceAll(fx.version.manifestDigest, other)) } : e)), { reindex: true });
    failedOn(await verify(cdx), 'exports/cyclonedx.json', /the model component's SHA-256 is e{64}, not the manifest digest/);
  });

  it('a manifest whose files do not hash to its root fails, and so does everything tied to it', async () => {
    const f = file();
    await tamper(
      good,
      f,
      (es) =>
        es.map((e) => {
          if (e.name !== 'manifest.json') return e;
          const m = JSON.parse(e.data.toString()) as { files: { sha256: string }[] };
          m.files[0]!.sha256 = '00'.repeat(32);
          return { ...e, data: Buffer.from(JSON.stringify(m)) };
        }),
      { reindex: true },
    );
    const r = await verify(f);
    failedOn(r, 'manifest.json', /the files hash to root [0-9a-f]{64}, the manifest says/);
  });

  describe('malformed archives: exit 2, one clear sentence, no stack trace', () => {
    async function refused(f: string, message: RegExp): Promise<void> {
      const r = await run(['evidence', 'verify', f]);
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }

    it('not a tar, not gzip, empty, missing', async () => {
      const junk = file();
      fs.writeFileSync(junk, Buffer.from('this is not an archive\n'.repeat(100)));
      await refused(junk, /not a readable evidence archive: not a tar archive \(nor gzip-compressed tar\), or it is corrupted/);
      const gzJunk = file();
      fs.writeFileSync(gzJunk, zlib.gzipSync(Buffer.from('hello '.repeat(200))));
      await refused(gzJunk, /the decompressed data is not a tar archive/);
      const empty = file();
      fs.writeFileSync(empty, '');
      await refused(empty, /the file is empty/);
      await refused(path.join(tmp, 'nope.tar.gz'), /cannot read .*nope\.tar\.gz: no such file/);
    });

    it('truncated (gzip and plain tar)', async () => {
      const bytes = fs.readFileSync(good);
      const cut = file();
      fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
      await refused(cut, /the archive is truncated/);
      const plain = path.join(tmp, 'plain.tar');
      fs.writeFileSync(plain, zlib.gunzipSync(bytes));
      expect((await verify(plain)).ok).toBe(true); // plain tar is read too
      const cutPlain = path.join(tmp, 'cut.tar');
      fs.writeFileSync(cutPlain, zlib.gunzipSync(bytes).subarray(0, 3000));
      await refused(cutPlain, /the archive is truncated/);
    });

    it('path traversal, absolute names, links, duplicates', async () => {
      const entries = await readRaw(good);
      const with_ = async (extra: RawEntry[], at = entries.length) => {
        const f = file();
        await writeRaw(f, [...entries.slice(0, at), ...extra, ...entries.slice(at)]);
        return f;
      };
      await refused(await with_([{ name: '../../etc/evil', data: Buffer.from('x') }]), /member "\.\.\/\.\.\/etc\/evil" has an unsafe name \("\.\." component\)/);
      await refused(await with_([{ name: 'exports/../../x', data: Buffer.from('x') }]), /has an unsafe name/);
      await refused(await with_([{ name: '/etc/passwd', data: Buffer.from('x') }]), /member "\/etc\/passwd" has an unsafe name \(absolute path\)/);
      await refused(await with_([{ name: 'exports/link', data: Buffer.alloc(0), type: 'symlink', linkname: '/etc/passwd' }]), /is a symlink; an evidence archive holds regular files only/);
      await refused(await with_([{ name: 'manifest.json', data: Buffer.from('{}') }]), /member "manifest\.json" appears twice/);
    });

    it('index missing, not first, oversized, invalid', async () => {
      const entries = await readRaw(good);
      const index = entries[0]!;
      const rest = entries.slice(1);
      const f1 = file();
      await writeRaw(f1, rest);
      await refused(f1, /the first member is "version\.json", not index\.json/);
      const f2 = file();
      await writeRaw(f2, [rest[0]!, index, ...rest.slice(1)]);
      await refused(f2, /the first member is "version\.json", not index\.json/);
      const f3 = file();
      await writeRaw(f3, [{ name: 'index.json', data: Buffer.alloc(17 * 1024 * 1024, 0x20) }, ...rest]);
      await refused(f3, /index\.json is 17825792 bytes, more than the 16777216 an index may have/);
      const f4 = file();
      await writeRaw(f4, [{ name: 'index.json', data: Buffer.from('{"format":"steward-evidence","formatVersion":1}') }, ...rest]);
      await refused(f4, /index\.json is not a valid evidence index: model: /);
      const f5 = file();
      await writeRaw(f5, [{ name: 'index.json', data: Buffer.from('{not json') }, ...rest]);
      await refused(f5, /index\.json is not UTF-8 JSON/);
      const f6 = file();
      const idx = JSON.parse(index.data.toString()) as { members: { path: string }[] };
      idx.members.push({ ...idx.members[0]!, path: '../escape.json' });
      await writeRaw(f6, [{ name: 'index.json', data: Buffer.from(JSON.stringify(idx)) }, ...rest]);
      await refused(f6, /index\.json is not a valid evidence index: members\.\d+\.path: unsafe member path/);
      const f7 = file();
      await writeRaw(f7, []);
      await refused(f7, /has no members/);
    });

    it('bad --public-key and --trusted-key are usage errors', async () => {
      const r = await run(['evidence', 'verify', good, '--public-key', 'not-a-key']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--public-key: not a ledger verifier key/);
      const bad = pemFile(tmp, 'bad.pem', 'nonsense');
      const r2 = await run(['evidence', 'verify', good, '--trusted-key', bad]);
      expect(r2.code).toBe(2);
      expect(r2.stderr).toMatch(/--trusted-key bad\.pem: /);
      expect(r2.stderr).not.toMatch(/\n\s+at /);
    });
  });
});

describe.each(DB_KINDS)('evidence round trip against a server (%s)', (kind) => {
  let root: string;
  let db: TestDatabase;
  let server: ServerProcess;
  let home: Record<string, string>;
  let archive: string;
  let otherArchive: string;
  let ledgerKey: string;
  let orgKey: string;

  const cli = (args: string[]): Promise<CliResult> => runCli(args, { env: { ...home, STEWARD_SERVER: server.url, STEWARD_TOKEN: ADMIN_TOKEN }, cwd: root, timeoutMs: 120_000 });
  const offline = (args: string[]): Promise<CliResult> => runCli(args, { env: home, cwd: root });
  async function api(method: string, p: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${server.url}${p}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text };
  }
  /** Pushes a model, waits for its scan, and signs its files and provenance with the org key. */
  async function pushSigned(name: string, files: Record<string, string>): Promise<void> {
    ok(await cli(['push', writeTree(path.join(root, name), files), '--model', `default/${name}`, '--version', '1.0.0']));
    const v = `/api/v1/orgs/default/models/${name}/versions/1.0.0`;
    for (let i = 0; i < 200; i++) {
      const r = await api('GET', v);
      if (r.body.scan?.status === 'done') break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const signed = await api('POST', `${v}/signatures/sign`, {});
    expect(signed.status, JSON.stringify(signed.body)).toBe(201);
    const prov = await api('POST', `${v}/provenance`, {});
    expect(prov.status, JSON.stringify(prov.body)).toBe(201);
  }
  /** `evidence verify` with the independently obtained keys. */
  const verifyCli = (f: string, extra: string[] = []) => offline(['evidence', 'verify', f, '--public-key', ledgerKey, '--trusted-key', orgKey, ...extra]);
  function failsNaming(r: CliResult, member: string, message: RegExp): void {
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('FAIL '));
    expect(lines.join('\n')).toMatch(new RegExp(`^FAIL\\s+${member.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\s+\\S+\\s+.*${message.source}`, 'm'));
    expect(r.stdout).toMatch(/^FAILED: \d+ check\(s\) failed/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }

  beforeAll(async () => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `steward-evidence-${kind}-`)));
    home = { HOME: path.join(root, 'home'), XDG_CONFIG_HOME: path.join(root, 'xdg') };
    const dataDir = path.join(root, 'data');
    fs.mkdirSync(dataDir);
    db = await createTestDatabase(kind, dataDir);
    server = await startServerProcess({ dataDir, databaseUrl: db.url, env: { STEWARD_CHECKPOINT_INTERVAL_MS: '50' } });
    expect((await api('POST', '/api/v1/orgs/default/signing-keys', {})).status).toBe(201);
    const key = await api('GET', '/api/v1/orgs/default/signing-keys/current');
    orgKey = pemFile(root, 'org.pub', key.body.publicKeyPem);
    await pushSigned('summarizer', { 'config.json': '{"model_type":"t5"}\n', 'model.safetensors': 'weights v1\n', 'README.md': '---\nlicense: mit\n---\n# Summarizer\n\n## Uses\n\nSummaries.\n' });
    await pushSigned('other', { 'weights.bin': 'other weights\n' });
    ledgerKey = json<{ keys: { verifierKey: string; retiredAt: string | null }[] }>(await cli(['audit', 'keys', '--json'])).keys.find((k) => k.retiredAt === null)!.verifierKey;
    archive = path.join(root, 'summarizer.evidence.tar.gz');
    otherArchive = path.join(root, 'other.evidence.tar.gz');
    ok(await cli(['evidence', 'create', 'default/summarizer@1.0.0', '-o', archive]));
    ok(await cli(['evidence', 'create', 'default/other@1.0.0', '-o', otherArchive, '--quiet']));
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('creates an archive of everything the server has, and it verifies offline', async () => {
    const r = await verifyCli(archive);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/^(FAIL|warn) /m);
    for (const [member, check] of [
      ['manifest.json', 'manifest'],
      ['version.json', 'version'],
      ['provenance.json', 'provenance'],
      ['scan-report.json', 'scan'],
      ['policy/evaluations.json', 'policy'],
      ['audit/checkpoint.txt', 'checkpoint'],
      ['audit/events.jsonl', 'ledger'],
      ['exports/cyclonedx.json', 'export'],
      ['exports/spdx.json', 'export'],
      ['exports/README.md', 'export'],
      ['exports/annex-iv.md', 'export'],
      ['exports/annex-iv.html', 'export'],
      ['exports/gpai-form.md', 'export'],
      ['exports/gpai-form.html', 'export'],
      ['exports/changelog.md', 'export'],
    ]) {
      expect(r.stdout, `${member} ${check}`).toMatch(new RegExp(`^ok\\s+${member.replace(/[./]/g, '\\$&')}\\s+${check}\\s`, 'm'));
    }
    expect(r.stdout).toMatch(/^ok\s+signatures\/model-\S+\.sig\s+signature\s+model signature by key/m);
    expect(r.stdout).toMatch(/^ok\s+signatures\/provenance-\S+\.sig\s+signature\s+signed provenance by key/m);
    expect(r.stdout).toMatch(/^ok\s+audit\/events\.jsonl line 1\s+inclusion\s+version\.pushed/m);
    // No promotion requests yet: the member is there, listing none.
    expect(r.stdout).toMatch(/^ok\s+approvals\.json\s+approvals\s+0 promotion request\(s\), 0 review\(s\) of default\/summarizer@1\.0\.0/m);
    const index = JSON.parse((await readRaw(archive))[0]!.data.toString()) as { model: string; version: string; members: { path: string }[]; absent: { path: string }[] };
    expect(index).toMatchObject({ model: 'default/summarizer', version: '1.0.0' });
    expect(index.absent).toEqual([]);
    // The archive of another model verifies too, and is not confused with this one.
    expect((await verifyCli(otherArchive)).code).toBe(0);
    // Without independently obtained keys: still verifies, with warnings that say why.
    const selfAsserted = await offline(['evidence', 'verify', archive]);
    expect(selfAsserted.code, selfAsserted.stdout).toBe(0);
    expect(selfAsserted.stdout).toMatch(/^warn\s+audit\/keys\.json\s+trust\s+ledger key taken from the archive itself \(self-asserted\)/m);
    expect(selfAsserted.stdout).toMatch(/^warn\s+signatures\/\s+trust\s+signatures checked against keys the archive itself lists \(self-asserted\)/m);
  });

  it('steward export --format evidence writes the same kind of archive', async () => {
    const f = path.join(root, 'export.evidence.tar.gz');
    const r = ok(await cli(['export', 'default/summarizer@1.0.0', '--format', 'evidence', '-o', f, '--quiet']));
    expect(r.stdout).toMatch(/^wrote .*export\.evidence\.tar\.gz: evidence for default\/summarizer@1\.0\.0, \d+ member\(s\), 0 absent$/m);
    expect((await verifyCli(f)).code).toBe(0);
    const toStdout = await cli(['export', 'default/summarizer@1.0.0', '--format', 'evidence']);
    expect(toStdout.code).toBe(2);
    expect(toStdout.stderr).toMatch(/--format evidence writes an archive: give -o FILE/);
  });

  it('an edited member fails, naming it', async () => {
    const f = path.join(root, 't-edit.tar.gz');
    await tamper(archive, f, (es) => es.map((e) => (e.name === 'exports/README.md' ? { ...e, data: Buffer.from(e.data.toString().replace('summarizer', 'summarlzer')) } : e)));
    failsNaming(await verifyCli(f), 'exports/README.md', /sha256 [0-9a-f]{12}…, index\.json says [0-9a-f]{12}… \(changed\)/);
  });

  it('a dropped member fails, naming it', async () => {
    const f = path.join(root, 't-drop.tar.gz');
    await tamper(archive, f, (es) => es.filter((e) => e.name !== 'scan-report.json'));
    failsNaming(await verifyCli(f), 'scan-report.json', /missing from the archive \(removed\)/);
  });

  it('an added member fails, naming it', async () => {
    const f = path.join(root, 't-add.tar.gz');
    await tamper(archive, f, (es) => [...es, { name: 'exports/waiver.md', data: Buffer.from('approved by nobody\n') }]);
    failsNaming(await verifyCli(f), 'exports/waiver.md', /not listed in index\.json \(added\)/);
  });

  it('a signature swapped for one of another model fails, naming it', async () => {
    const otherSig = (await readRaw(otherArchive)).find((e) => /^signatures\/model-.*\.sig$/.test(e.name))!;
    const f = path.join(root, 't-swap.tar.gz');
    let swapped = '';
    await tamper(archive, f, (es) => es.map((e) => (/^signatures\/model-.*\.sig$/.test(e.name) ? ((swapped = e.name), { ...e, data: otherSig.data }) : e)), { reindex: true });
    failsNaming(await verifyCli(f), swapped, /valid signature by key [0-9a-f]{12}… \(ECDSA P-256\), but for another model "other"/);
  });

  it('an edited audit entry fails its inclusion proof, naming the line', async () => {
    const f = path.join(root, 't-audit.tar.gz');
    await tamper(archive, f, (es) => es.map((e) => (e.name === 'audit/events.jsonl' ? { ...e, data: Buffer.from(e.data.toString().replace('"actor":{"token', '"actor":{"token').replace('"user":"admin"', '"user":"alice"')) } : e)), { reindex: true });
    failsNaming(await verifyCli(f), 'audit/events.jsonl line 1', /not in the signed log/);
  });

  it('a corrupted checkpoint signature fails, naming the checkpoint', async () => {
    const f = path.join(root, 't-checkpoint.tar.gz');
    await tamper(
      archive,
      f,
      (es) =>
        es.map((e) => {
          if (e.name !== 'audit/checkpoint.txt') return e;
          const text = e.data.toString();
          const at = text.lastIndexOf(' ') + 12;
          return { ...e, data: Buffer.from(text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1)) };
        }),
      { reindex: true },
    );
    failsNaming(await verifyCli(f), 'audit/checkpoint.txt', /the signature does not verify with the given ledger key/);
  });

  it('refuses a ref that does not exist, and an archive that is not one', async () => {
    const missing = await cli(['evidence', 'create', 'default/summarizer@9.9.9', '-o', path.join(root, 'nope.tar.gz')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/steward: error: .*9\.9\.9/);
    expect(fs.existsSync(path.join(root, 'nope.tar.gz'))).toBe(false);
    const notArchive = await offline(['evidence', 'verify', orgKey]);
    expect(notArchive.code).toBe(2);
    expect(notArchive.stderr).toMatch(/not a readable evidence archive/);
  });
});
