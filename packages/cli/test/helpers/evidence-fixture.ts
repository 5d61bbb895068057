/**
 * Evidence archives built in-process for the offline verifier tests: a real version (the exports
 * fixture, acme/sentiment-bert 1.2.0), real signatures (@steward/attest keys), a real ledger
 * (entries, RFC 9162 proofs, a signed checkpoint from @steward/ledger) and real exports. Plus tar
 * surgery for the tamper tests, done with tar-stream directly so nothing validates on the way.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import { buildSlsaProvenance, generateSigningKeyPair, parseDsseBundle, signStatement, toInTotoStatement, type Manifest } from '@steward/attest';
import type { Version } from '@steward/domain';
import { changelog, renderGpaiForm, toAnnexIv, toCycloneDx, toGpaiForm, toModelCard, toSpdx } from '@steward/exports';
import { canonicalJson, generateNoteKey, inclusionProof, leafHash, nodeHash, nodeKey, parseSignerKey, signCheckpoint, TreeBuilder, type NodeId } from '@steward/ledger';
import { buildExportInput, versionLine } from '../../../exports/test/fixtures.js';
import { EvidenceSpool } from '../../src/evidence/archive-writer.js';
import { MEMBER_PATHS, kindOfPath, signaturePath } from '../../src/evidence/format.js';

export const ORIGIN = 'steward.local/acme';

export interface LedgerFixture {
  lines: string[];
  proofs: { size: number; proofs: { seq: number; index: number; leafHash: string; proof: string[] }[] };
  checkpoint: string;
  keys: { ledgerName: string; keys: { keyId: string; verifierKey: string; createdAt: string; retiredAt: null; endorsement: null }[] };
  verifierKey: string;
}

function entry(index: number, action: string, model: string | null, target: { type: string; id: string | null }, details: Record<string, unknown>): string {
  return canonicalJson({ v: 1, log: ORIGIN, index, at: new Date(Date.UTC(2025, 1, 20, 8, 45, index)).toISOString(), org: 'acme', actor: { user: 'alice', userId: 'u1', tokenId: 't1' }, action, target, model, details, requestId: null, client: '127.0.0.1' });
}

/** A log whose entries `concerning` (by position) are proven; the rest are other events of the org. */
export async function buildLedger(version: Version, opts: { extraEntries?: number } = {}): Promise<LedgerFixture> {
  const model = `${version.org}/${version.model}`;
  const all: string[] = [];
  const concerning: number[] = [];
  const push = (e: (i: number) => string, mine: boolean) => {
    if (mine) concerning.push(all.length);
    all.push(e(all.length));
  };
  push((i) => entry(i, 'user.added', null, { type: 'user', id: 'u2' }, { name: 'bob', role: 'viewer' }), false);
  push((i) => entry(i, 'version.pushed', model, { type: 'model_version', id: version.id }, { model, version: version.version, manifestDigest: version.manifestDigest, files: version.fileCount }), true);
  for (let k = 0; k < (opts.extraEntries ?? 3); k++) push((i) => entry(i, 'blob.downloaded', null, { type: 'blob', id: 'ab'.repeat(32) }, { size: k }), false);
  push((i) => entry(i, 'ring.moved', model, { type: 'model', id: 'mdl_1' }, { model, ring: 'staging', version: version.version, manifestDigest: version.manifestDigest }), true);
  push((i) => entry(i, 'version.pushed', model, { type: 'model_version', id: 'other' }, { model, version: '9.9.9', manifestDigest: 'cd'.repeat(32) }), false);

  const leaves = all.map((l) => leafHash(Buffer.from(l, 'utf8')));
  const tree = new TreeBuilder();
  for (const h of leaves) tree.push(h);
  // Every complete node, for the proof builder.
  const nodes = new Map<string, Buffer>();
  leaves.forEach((h, i) => nodes.set(nodeKey(0, i), h));
  for (let level = 0; ; level++) {
    let made = 0;
    for (let j = 0; nodes.has(nodeKey(level, 2 * j + 1)); j++) {
      nodes.set(nodeKey(level + 1, j), nodeHash(nodes.get(nodeKey(level, 2 * j))!, nodes.get(nodeKey(level, 2 * j + 1))!));
      made++;
    }
    if (made === 0) break;
  }
  const fetch = async (ids: NodeId[]) => new Map(ids.map((id) => [nodeKey(id.level, id.index), nodes.get(nodeKey(id.level, id.index))!]));
  const { signerKey, verifierKey } = generateNoteKey('steward.local');
  const checkpoint = signCheckpoint({ origin: ORIGIN, size: all.length, rootHash: tree.root() }, parseSignerKey(signerKey));
  const proofs = [];
  for (const index of concerning) {
    proofs.push({ seq: index + 100, index, leafHash: leaves[index]!.toString('hex'), proof: (await inclusionProof(index, all.length, fetch)).map((h) => h.toString('hex')) });
  }
  return {
    lines: concerning.map((i) => all[i]!),
    proofs: { size: all.length, proofs },
    checkpoint,
    keys: { ledgerName: 'steward.local', keys: [{ keyId: verifierKey.split('+')[1]!, verifierKey, createdAt: '2025-01-01T00:00:00.000Z', retiredAt: null, endorsement: null }] },
    verifierKey,
  };
}

export interface EvidenceFixture {
  version: Version;
  signer: { privateKeyPem: string; publicKeyPem: string };
  ledger: LedgerFixture;
  /** Members by path, as written. */
  members: Map<string, Buffer>;
  /** Another model's signature bundle by the same key, for the swap test. */
  otherModelBundle: string;
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v, null, 2) + '\n');

export async function buildEvidence(): Promise<EvidenceFixture> {
  const input = buildExportInput();
  const version = input.version as Version;
  const manifest = version.manifest as Manifest;
  const signer = generateSigningKeyPair({ curve: 'P-256' });
  const bundle = signStatement(toInTotoStatement(manifest, version.model), signer);
  const provenance = buildSlsaProvenance({ model: { org: version.org, name: version.model, version: version.version, rootDigest: version.manifestDigest }, builder: { id: 'https://steward.example.com/builders/registry' } });
  const provenanceBundle = signStatement(provenance, signer);
  const other = versionLine()[0]!;
  const otherModelBundle = signStatement(toInTotoStatement(other.manifest as Manifest, 'bert-other'), signer);
  const sigs = [
    { id: 'sig1', subject: 'model', bundle },
    { id: 'sig2', subject: 'provenance', bundle: provenanceBundle },
  ] as const;
  const { createHash } = await import('node:crypto');
  const ledger = await buildLedger(version);
  const members = new Map<string, Buffer>([
    [MEMBER_PATHS.version, json(version)],
    [MEMBER_PATHS.manifest, json(version.manifest)],
    [
      MEMBER_PATHS['signature-list'],
      json({
        items: sigs.map((s) => ({
          id: s.id,
          subject: s.subject,
          kind: 'key',
          source: 'uploaded',
          signer: 'sha256:' + 'ef'.repeat(32),
          keyFingerprint: null,
          trusted: true,
          status: 'valid',
          bundleDigest: createHash('sha256').update(s.bundle).digest('hex'),
          signedAt: null,
          addedAt: '2025-02-20T08:50:00.000Z',
          addedBy: 'alice',
        })),
      }),
    ],
    ...sigs.map((s) => [signaturePath(s.subject, s.id), Buffer.from(s.bundle)] as [string, Buffer]),
    [MEMBER_PATHS.provenance, Buffer.from(parseDsseBundle(provenanceBundle).payloadBytes)],
    [
      MEMBER_PATHS['scan-report'],
      json({
        id: 'scan1', status: 'done', trigger: 'push', verdict: 'safe', summary: { files: 2, members: 0, safe: 2, unknown: 0, inconclusive: 0, unsafe: 0 }, allowlist: [], scannerVersion: '0.1.0', error: null,
        requestedAt: '2025-02-20T08:45:00.000Z', requestedBy: 'alice', startedAt: '2025-02-20T08:45:01.000Z', finishedAt: '2025-02-20T08:45:02.000Z',
        report: { tool: { name: 'steward-scanner', version: '0.1.0' }, scannedAt: '2025-02-20T08:45:02.000Z', verdict: 'safe', summary: {}, extraAllowed: [], files: manifest.files.map((f) => ({ path: f.path, format: 'json', size: f.size, sha256: f.sha256, verdict: 'safe', findings: [] })) },
      }),
    ],
    [
      MEMBER_PATHS['policy-evaluations'],
      json({
        items: [
          {
            id: 'ev1', org: version.org, model: version.model, version: version.version, trigger: 'push', ring: 'staging', outcome: 'passed', blocking: [],
            policySetDigest: 'sha256:' + '12'.repeat(32), recordDigest: 'sha256:' + '34'.repeat(32), counts: { pass: 1, fail: 0, error: 0, waived: 0, skipped: 0 },
            results: [{ ruleId: 'scan.safe', policy: 'default', severity: 'error', status: 'pass', waivedStatus: null, message: null, error: null, reads: [], waiver: null, expiredWaiver: null, skipReason: null, location: null }],
            evaluatedAt: '2025-02-20T08:46:00.000Z', evaluatedBy: 'system',
          },
        ],
      }),
    ],
    [MEMBER_PATHS['audit-events'], Buffer.from(ledger.lines.map((l) => l + '\n').join(''))],
    [MEMBER_PATHS['audit-proofs'], json(ledger.proofs)],
    [MEMBER_PATHS['audit-checkpoint'], Buffer.from(ledger.checkpoint)],
    [MEMBER_PATHS['audit-keys'], json(ledger.keys)],
    [MEMBER_PATHS['export-cyclonedx'], json(toCycloneDx(input).document)],
    [MEMBER_PATHS['export-spdx'], json(toSpdx(input).document)],
    [MEMBER_PATHS['export-model-card'], Buffer.from(toModelCard(input).document)],
    [MEMBER_PATHS['export-annex-iv'], Buffer.from(toAnnexIv(input, { format: 'markdown' }).document)],
    [MEMBER_PATHS['export-annex-iv-html'], Buffer.from(toAnnexIv(input, { format: 'html' }).document)],
    [MEMBER_PATHS['export-gpai-form'], Buffer.from(renderGpaiForm(toGpaiForm(input).document, { format: 'markdown' }))],
    [MEMBER_PATHS['export-gpai-form-html'], Buffer.from(renderGpaiForm(toGpaiForm(input).document, { format: 'html' }))],
    [MEMBER_PATHS['export-changelog'], Buffer.from(changelog(versionLine()))],
  ]);
  return { version, signer, ledger, members, otherModelBundle };
}

const KINDS: Record<string, Parameters<EvidenceSpool['addBytes']>[1]> = {
  ...Object.fromEntries(Object.entries(MEMBER_PATHS).map(([k, p]) => [p, k as Parameters<EvidenceSpool['addBytes']>[1]])),
};

/** Writes the fixture with the real writer (so the writer is under test too). */
export async function writeEvidence(fx: EvidenceFixture, file: string, opts: { absent?: Record<string, string> } = {}): Promise<void> {
  const spool = await EvidenceSpool.create();
  try {
    for (const [p, bytes] of fx.members) await spool.addBytes(p, KINDS[p] ?? (p.startsWith('signatures/model-') ? 'model-signature' : 'provenance-signature'), bytes);
    for (const [p, reason] of Object.entries(opts.absent ?? {})) spool.markAbsent(p, KINDS[p] ?? kindOfPath(p)!, reason);
    await spool.write(file, {
      model: `${fx.version.org}/${fx.version.model}`,
      version: fx.version.version,
      versionId: fx.version.id,
      manifestDigest: fx.version.manifestDigest,
      generatedAt: '2025-03-01T12:00:00.000Z',
      generator: 'steward-cli/test',
      server: null,
    });
  } finally {
    await spool.dispose();
  }
}

export interface RawEntry {
  name: string;
  data: Buffer;
  type?: 'file' | 'directory' | 'symlink';
  linkname?: string;
}

/** Every entry of a (possibly gzipped) tar, as is. */
export async function readRaw(file: string): Promise<RawEntry[]> {
  const buf = fs.readFileSync(file);
  const plain = buf[0] === 0x1f && buf[1] === 0x8b ? zlib.gunzipSync(buf) : buf;
  const extract = tar.extract();
  const out: RawEntry[] = [];
  const done = pipeline(Readable.from([plain]), extract);
  for await (const e of extract) {
    const chunks: Buffer[] = [];
    for await (const c of e) chunks.push(c as Buffer);
    out.push({ name: e.header.name, data: Buffer.concat(chunks), type: e.header.type as RawEntry['type'] });
  }
  await done;
  return out;
}

/** Writes entries as a tar (gzipped unless told otherwise), in the given order, nothing checked. */
export async function writeRaw(file: string, entries: RawEntry[], opts: { gzip?: boolean } = {}): Promise<void> {
  const pack = tar.pack();
  const sink = opts.gzip === false ? [fs.createWriteStream(file)] : [zlib.createGzip(), fs.createWriteStream(file)];
  const done = pipeline(pack, ...(sink as [NodeJS.WritableStream]));
  for (const e of entries) {
    if (e.type === 'directory' || e.type === 'symlink') pack.entry({ name: e.name, type: e.type, linkname: e.linkname });
    else pack.entry({ name: e.name, size: e.data.length }, e.data);
  }
  pack.finalize();
  await done;
}

/** Rewrites an archive through `edit`; `reindex` recomputes index.json's digests for members still listed (a careful tamperer). */
export async function tamper(src: string, dst: string, edit: (entries: RawEntry[]) => RawEntry[], opts: { reindex?: boolean } = {}): Promise<void> {
  let entries = edit(await readRaw(src));
  if (opts.reindex) {
    const { createHash } = await import('node:crypto');
    const idx = entries.find((e) => e.name === 'index.json')!;
    const index = JSON.parse(idx.data.toString('utf8')) as { members: { path: string; size: number; sha256: string }[] };
    for (const m of index.members) {
      const e = entries.find((x) => x.name === m.path);
      if (e) {
        m.size = e.data.length;
        m.sha256 = createHash('sha256').update(e.data).digest('hex');
      }
    }
    entries = entries.map((e) => (e === idx ? { ...e, data: Buffer.from(JSON.stringify(index, null, 2)) } : e));
  }
  await writeRaw(dst, entries);
}

export function pemFile(dir: string, name: string, pem: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, pem);
  return p;
}
