/**
 * `steward evidence verify`: everything an evidence archive claims, checked offline.
 *
 * - every member against the index (size, SHA-256; missing and extra members fail);
 * - the manifest's root digest recomputed from its file list, and the version record agreeing;
 * - every signature bundle: its DSSE signature under a trusted key, and its statement about
 *   exactly this manifest (a bundle for another model fails);
 * - provenance about this manifest;
 * - every ledger entry proven into one checkpoint, the checkpoint signed by the ledger key, and
 *   the push of this manifest among the entries;
 * - the exports quoting the manifest digest (and file digests) that the manifest has.
 *
 * The index is not signed: it catches corruption and careless edits. Authenticity comes from the
 * signatures and the ledger proofs, which is why every other member is tied to the manifest digest
 * they vouch for (docs/evidence-format.md, "Trust").
 */
import {
  MODEL_SIGNING_PREDICATE_TYPE,
  SLSA_PROVENANCE_PREDICATE_TYPE,
  SignatureError,
  buildManifest,
  loadVerificationPublicKey,
  parseDsseBundle,
  parseInTotoStatement,
  parseModelSigningStatement,
  parsePemCertificates,
  publicKeyHint,
  verifyBundleSignature,
  type ParsedDsseBundle,
  type SignerIdentity,
} from '@steward/attest';
import {
  LedgerKeysSchema,
  ManifestSchema,
  PolicyEvaluationSchema,
  PromotionRequestSchema,
  ScanReportResponseSchema,
  SignatureSchema,
  SigningKeysSchema,
  StewardError,
  TrustedSignersSchema,
  VersionSchema,
} from '@steward/domain';
import { canonicalJson, checkInclusion, decodeEntry, leafHash, openCheckpoint, parseVerifierKey, type Checkpoint, type NoteVerifier } from '@steward/ledger';
import { z } from 'zod';
import { CliError } from '../errors.js';
import { followRotations } from '../ledger-witness.js';
import { type ArchiveMember, readEvidenceArchive } from './archive-reader.js';
import { type EvidenceIndex, MEMBER_PATHS, type MemberKind, kindOfPath } from './format.js';

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'absent';

export interface EvidenceCheck {
  status: CheckStatus;
  /** The member the check is about (or index.json). */
  member: string;
  /** A short name of what was checked: digest, manifest, signature, inclusion... */
  check: string;
  message: string;
}

export interface EvidenceVerification {
  ok: boolean;
  archive: string;
  compressed: boolean;
  model: string;
  version: string;
  manifestDigest: string;
  generatedAt: string;
  generator: string;
  checks: EvidenceCheck[];
}

/** Trust material given on the command line (`--trusted-key FILE`): public keys or CA certificates. */
export interface TrustedPem {
  source: string;
  pem: string;
}

export interface EvidenceVerifyOptions {
  /** Ledger verifier key (C2SP note key) obtained independently; else the archive's keys.json, with a warning. */
  ledgerKey?: string | undefined;
  trusted?: readonly TrustedPem[];
}

/** The proofs member: one checkpoint size, one proof per line of audit/events.jsonl, in order. */
export const AuditProofsSchema = z.object({
  size: z.number().int().min(1),
  proofs: z.array(
    z.object({
      seq: z.number().int(),
      index: z.number().int().min(0),
      leafHash: z.string().regex(/^[0-9a-f]{64}$/),
      proof: z.array(z.string().regex(/^[0-9a-f]{64}$/)),
    }),
  ),
});
export type AuditProofs = z.infer<typeof AuditProofsSchema>;

export const SignatureListFileSchema = z.object({ items: z.array(SignatureSchema) });
const PromotionRequestsFileSchema = z.object({ items: z.array(PromotionRequestSchema) });
const PolicyEvaluationsFileSchema = z.object({ items: z.array(PolicyEvaluationSchema) });

interface KeyAnchor {
  kind: 'key';
  hint: string;
  pem: string;
  source: string;
}
interface CaAnchor {
  kind: 'ca';
  pem: string;
  source: string;
}
type Anchor = KeyAnchor | CaAnchor;

/** Parses --trusted-key files up front: a bad one is a usage error (exit 2), not a failed check. */
export function parseTrustedPems(pems: readonly TrustedPem[]): Anchor[] {
  return pems.map(({ source, pem }): Anchor => {
    try {
      if (pem.includes('-----BEGIN CERTIFICATE-----')) {
        parsePemCertificates(pem, source);
        return { kind: 'ca', pem, source };
      }
      const key = loadVerificationPublicKey(pem);
      return { kind: 'key', hint: publicKeyHint(key.key), pem, source };
    } catch (err) {
      if (err instanceof StewardError) throw new CliError(`--trusted-key ${source}: ${err.message}`, 2);
      throw err;
    }
  });
}

class Checks {
  readonly list: EvidenceCheck[] = [];
  add(status: CheckStatus, member: string, check: string, message: string): void {
    this.list.push({ status, member, check, message });
  }
  pass(member: string, check: string, message: string): void {
    this.add('pass', member, check, message);
  }
  fail(member: string, check: string, message: string): void {
    this.add('fail', member, check, message);
  }
  warn(member: string, check: string, message: string): void {
    this.add('warn', member, check, message);
  }
}

const short = (hex: string): string => hex.slice(0, 12);

function utf8(b: Buffer): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    return null;
  }
}

function describeSigner(s: SignerIdentity): string {
  return s.method === 'key' ? `key ${short(s.publicKeyHint)}… (ECDSA ${s.curve})` : `certificate ${s.subject.replace(/\n/g, ', ')}`;
}

function firstIssue(err: z.ZodError): string {
  const i = err.issues[0];
  return i ? `${i.path.length ? i.path.join('.') + ': ' : ''}${i.message}` : 'invalid';
}

export async function verifyEvidence(file: string, opts: EvidenceVerifyOptions = {}): Promise<EvidenceVerification> {
  const cliAnchors = parseTrustedPems(opts.trusted ?? []);
  let pinnedLedgerKey: { key: string; verifier: NoteVerifier } | null = null;
  if (opts.ledgerKey) {
    try {
      pinnedLedgerKey = { key: opts.ledgerKey, verifier: parseVerifierKey(opts.ledgerKey) };
    } catch (err) {
      throw new CliError(`--public-key: not a ledger verifier key (NAME+KEYID+BASE64, from \`steward audit keys\`): ${(err as Error).message}`, 2);
    }
  }

  const archive = await readEvidenceArchive(file, (p) => kindOfPath(p) !== null);
  const { index } = archive;
  const c = new Checks();
  const byPath = new Map(archive.members.map((m) => [m.path, m]));

  // ---- 1. members against the index ----
  const listed = new Map(index.members.map((m) => [m.path, m]));
  for (const m of index.members) {
    const got = byPath.get(m.path);
    const kind = kindOfPath(m.path);
    if (kind === null) c.fail(m.path, 'index', `index.json lists ${m.path}, which is not a member the format defines`);
    else if (kind !== m.kind) c.fail(m.path, 'index', `index.json says this is a ${m.kind}, but its path makes it a ${kind}`);
    if (!got) {
      c.fail(m.path, 'digest', 'listed in index.json but missing from the archive (removed)');
      continue;
    }
    if (got.size !== m.size) c.fail(m.path, 'digest', `${got.size} bytes, index.json says ${m.size} (changed)`);
    else if (got.sha256 !== m.sha256) c.fail(m.path, 'digest', `sha256 ${short(got.sha256)}…, index.json says ${short(m.sha256)}… (changed)`);
    else c.pass(m.path, 'digest', `sha256 ${short(m.sha256)}…, ${m.size} bytes`);
  }
  for (const got of archive.members) {
    if (!listed.has(got.path)) c.fail(got.path, 'digest', 'in the archive but not listed in index.json (added)');
  }
  for (const a of index.absent) {
    if (kindOfPath(a.path) !== a.kind) c.fail(a.path, 'index', `index.json says the absent member is a ${a.kind}, but its path makes it a ${kindOfPath(a.path) ?? 'member the format does not define'}`);
    else c.add('absent', a.path, 'absent', a.reason);
  }

  /** A member's content, if the index lists it and the archive has it. */
  const content = (kind: MemberKind, path: string = (MEMBER_PATHS as Record<string, string>)[kind]!): ArchiveMember | null => {
    const m = byPath.get(path);
    if (!m || !listed.has(path)) return null;
    if (m.content === null) {
      c.fail(path, 'parse', m.tooLargeToParse ? 'too large to check' : 'not read');
      return null;
    }
    return m;
  };
  const json = (kind: MemberKind, path?: string): { member: ArchiveMember; value: unknown } | null => {
    const m = content(kind, path);
    if (!m) return null;
    const text = utf8(m.content!);
    try {
      if (text === null) throw new Error('not UTF-8');
      return { member: m, value: JSON.parse(text) as unknown };
    } catch (err) {
      c.fail(m.path, 'parse', `not JSON (${(err as Error).message})`);
      return null;
    }
  };
  const parsed = <T>(kind: MemberKind, schema: z.ZodType<T>, path?: string): T | null => {
    const j = json(kind, path);
    if (!j) return null;
    const r = schema.safeParse(j.value);
    if (!r.success) {
      c.fail(j.member.path, 'parse', `not the expected shape: ${firstIssue(r.error)}`);
      return null;
    }
    return r.data;
  };
  const isPresent = (kind: MemberKind): boolean => listed.has((MEMBER_PATHS as Record<string, string>)[kind]!);

  // ---- 2. the manifest and the version ----
  let digest = index.manifestDigest;
  const manifest = parsed('manifest', ManifestSchema);
  if (!isPresent('manifest')) c.fail(MEMBER_PATHS.manifest, 'manifest', 'the archive has no manifest: nothing else can be tied to the model');
  if (manifest) {
    let root: string | null = null;
    try {
      root = buildManifest(manifest.files, { allowSymlinks: manifest.serialization.allow_symlinks, ignorePaths: manifest.serialization.ignore_paths }).rootDigest;
    } catch (err) {
      c.fail(MEMBER_PATHS.manifest, 'manifest', `the file list is invalid: ${(err as Error).message}`);
    }
    if (root !== null) {
      if (root !== manifest.rootDigest) c.fail(MEMBER_PATHS.manifest, 'manifest', `the files hash to root ${root}, the manifest says ${manifest.rootDigest}`);
      else if (root !== index.manifestDigest) c.fail(MEMBER_PATHS.manifest, 'manifest', `root digest ${root} is not the index's manifestDigest ${index.manifestDigest}`);
      else c.pass(MEMBER_PATHS.manifest, 'manifest', `root digest recomputed from ${manifest.files.length} file(s): sha256:${root}`);
      digest = root;
    }
  }
  const files = new Map((manifest?.files ?? []).map((f) => [f.path, f.sha256]));

  const version = parsed('version', VersionSchema);
  if (!isPresent('version')) c.fail(MEMBER_PATHS.version, 'version', 'the archive has no version record');
  if (version) {
    const problems: string[] = [];
    if (`${version.org}/${version.model}` !== index.model) problems.push(`it is ${version.org}/${version.model}, not ${index.model}`);
    if (version.version !== index.version) problems.push(`it is version ${version.version}, not ${index.version}`);
    if (version.manifestDigest !== digest) problems.push(`its manifestDigest ${version.manifestDigest} is not the manifest's ${digest}`);
    if (manifest && canonicalJson(version.manifest) !== canonicalJson(manifest)) problems.push('its manifest differs from manifest.json');
    if (problems.length) c.fail(MEMBER_PATHS.version, 'version', problems.join('; '));
    else c.pass(MEMBER_PATHS.version, 'version', `${index.model}@${index.version}, same manifest`);
  }

  // ---- 3. signatures and provenance ----
  const archiveAnchors = cliAnchors.length > 0 ? [] : anchorsFromArchive(parsed('signing-keys', SigningKeysSchema), parsed('trusted-signers', TrustedSignersSchema));
  const anchors = cliAnchors.length > 0 ? cliAnchors : archiveAnchors;
  const signatureList = parsed('signature-list', SignatureListFileSchema);
  const listedSignatures = new Map((signatureList?.items ?? []).map((s) => [`signatures/${s.subject}-${s.id.replace(/[^A-Za-z0-9_-]/g, '_')}.sig`, s]));
  // By path, not by the index's label: a relabelled bundle is still checked.
  const bundles = index.members
    .map((m) => ({ path: m.path, kind: kindOfPath(m.path) }))
    .filter((m): m is { path: string; kind: 'model-signature' | 'provenance-signature' } => m.kind === 'model-signature' || m.kind === 'provenance-signature');
  if (bundles.length > 0 && cliAnchors.length === 0) {
    c.warn('signatures/', 'trust', archiveAnchors.length > 0 ? 'signatures checked against keys the archive itself lists (self-asserted): pass --trusted-key with keys obtained independently' : 'no trusted key given (--trusted-key) and the archive lists none');
  }
  if (signatureList) {
    const absentPaths = new Set(index.absent.map((a) => a.path));
    for (const [path, s] of listedSignatures) {
      if (absentPaths.has(path)) continue; // reported as absent, with the server's reason
      const m = byPath.get(path);
      if (!m || !listed.has(path)) c.fail(path, 'signature', `signatures.json lists ${s.subject} signature ${s.id}, but its bundle is not in the archive`);
      else if (m.sha256 !== s.bundleDigest) c.fail(path, 'signature', `the bundle's sha256 ${short(m.sha256)}… is not the ${short(s.bundleDigest)}… the server recorded`);
    }
    for (const b of bundles) if (!listedSignatures.has(b.path)) c.fail(b.path, 'signature', 'not among the signatures signatures.json lists');
  }
  /** Payloads of the provenance bundles whose signatures verified, by member. */
  const signedProvenance = new Map<string, Uint8Array>();
  for (const b of bundles) {
    const m = content(b.kind, b.path);
    if (!m) continue;
    const payload = verifySignatureMember(c, m, b.kind === 'model-signature' ? 'model' : 'provenance', anchors, digest, files, listedSignatures.get(b.path)?.trusted ?? null);
    if (payload && b.kind === 'provenance-signature') signedProvenance.set(b.path, payload);
  }
  const provenanceStatement = json('provenance');
  if (provenanceStatement) {
    try {
      const st = parseInTotoStatement(provenanceStatement.value);
      // The same statement as a bundle signs: equal as JSON (the server may serve it re-indented).
      const mine = canonicalJson(provenanceStatement.value);
      const signedBy = [...signedProvenance].find(([, p]) => canonicalJson(JSON.parse(Buffer.from(p).toString('utf8'))) === mine)?.[0];
      if (st.predicateType !== SLSA_PROVENANCE_PREDICATE_TYPE) c.fail(MEMBER_PATHS.provenance, 'provenance', `predicateType ${st.predicateType}, not SLSA provenance v1`);
      else if (!st.subject.some((s) => s.digest.sha256 === digest)) c.fail(MEMBER_PATHS.provenance, 'provenance', `no subject has the manifest digest ${short(digest)}… (subjects: ${st.subject.map((s) => short(s.digest.sha256 ?? '?')).join(', ')})`);
      else if (signedBy) c.pass(MEMBER_PATHS.provenance, 'provenance', `SLSA provenance v1 about this manifest, the statement ${signedBy} signs`);
      else if (bundles.some((b) => b.kind === 'provenance-signature')) c.fail(MEMBER_PATHS.provenance, 'provenance', 'SLSA provenance about this manifest, but no verified provenance signature in the archive signs this statement');
      else c.warn(MEMBER_PATHS.provenance, 'provenance', 'SLSA provenance v1 about this manifest, unsigned: no provenance signature in the archive');
    } catch (err) {
      c.fail(MEMBER_PATHS.provenance, 'provenance', `not an in-toto statement: ${(err as Error).message}`);
    }
  }

  // ---- 4. scan report, policy results, approvals ----
  const scan = parsed('scan-report', ScanReportResponseSchema);
  if (scan) checkScanReport(c, scan, files);
  const evaluations = parsed('policy-evaluations', PolicyEvaluationsFileSchema);
  if (evaluations) {
    const other = evaluations.items.filter((e) => `${e.org}/${e.model}` !== index.model || e.version !== index.version);
    if (other.length) c.fail(MEMBER_PATHS['policy-evaluations'], 'policy', `${other.length} evaluation(s) are about another version (${other[0]!.org}/${other[0]!.model}@${other[0]!.version})`);
    else c.pass(MEMBER_PATHS['policy-evaluations'], 'policy', `${evaluations.items.length} evaluation(s) of ${index.model}@${index.version}`);
  }
  if (isPresent('approvals')) {
    const approvals = parsed('approvals', PromotionRequestsFileSchema);
    if (approvals) {
      const other = approvals.items.filter((r) => `${r.org}/${r.model}` !== index.model || r.version !== index.version);
      if (other.length) c.fail(MEMBER_PATHS.approvals, 'approvals', `${other.length} promotion request(s) are about another version (${other[0]!.org}/${other[0]!.model}@${other[0]!.version})`);
      else c.pass(MEMBER_PATHS.approvals, 'approvals', `${approvals.items.length} promotion request(s), ${approvals.items.reduce((n, r) => n + r.reviews.length, 0)} review(s) of ${index.model}@${index.version}`);
    }
  }

  // ---- 5. the ledger ----
  checkLedger(c, index, digest, version?.id ?? index.versionId, pinnedLedgerKey, {
    events: content('audit-events'),
    proofs: parsed('audit-proofs', AuditProofsSchema),
    checkpoint: content('audit-checkpoint'),
    keys: parsed('audit-keys', LedgerKeysSchema),
    present: isPresent('audit-events') || isPresent('audit-proofs') || isPresent('audit-checkpoint'),
  });

  // ---- 6. exports ----
  checkExports(c, index, digest, files, { json, content });

  const ok = !c.list.some((x) => x.status === 'fail');
  return { ok, archive: file, compressed: archive.compressed, model: index.model, version: index.version, manifestDigest: index.manifestDigest, generatedAt: index.generatedAt, generator: index.generator, checks: c.list };
}

function anchorsFromArchive(keys: z.infer<typeof SigningKeysSchema> | null, signers: z.infer<typeof TrustedSignersSchema> | null): Anchor[] {
  const out: Anchor[] = [];
  for (const k of keys?.keys ?? []) {
    try {
      out.push({ kind: 'key', hint: publicKeyHint(loadVerificationPublicKey(k.publicKeyPem).key), pem: k.publicKeyPem, source: `org signing key ${short(k.fingerprint)}…` });
    } catch {
      // An unusable key verifies nothing; the signature it was meant for fails with its own message.
    }
  }
  for (const s of signers?.items ?? []) {
    try {
      if (s.kind === 'ca') {
        parsePemCertificates(s.pem, s.name);
        out.push({ kind: 'ca', pem: s.pem, source: `trusted CA "${s.name}"` });
      } else out.push({ kind: 'key', hint: publicKeyHint(loadVerificationPublicKey(s.pem).key), pem: s.pem, source: `trusted signer "${s.name}"` });
    } catch {
      // as above
    }
  }
  return out;
}

function bundleKeyHint(b: ParsedDsseBundle): string | null {
  const vm = b.verificationMaterial as { publicKey?: { hint?: unknown } } | null | undefined;
  const hint = vm?.publicKey?.hint;
  return typeof hint === 'string' && hint !== '' ? hint.toLowerCase() : null;
}

function hasCertificateChain(b: ParsedDsseBundle): boolean {
  const vm = b.verificationMaterial as { x509CertificateChain?: unknown } | null | undefined;
  return typeof vm?.x509CertificateChain === 'object' && vm.x509CertificateChain !== null;
}

/** Signature first (under a trusted key), then what the statement says (about exactly this manifest). */
function verifySignatureMember(
  c: Checks,
  m: ArchiveMember,
  subject: 'model' | 'provenance',
  anchors: readonly Anchor[],
  digest: string,
  files: ReadonlyMap<string, string>,
  serverTrusted: boolean | null,
): Uint8Array | null {
  let bundle: ParsedDsseBundle;
  try {
    bundle = parseDsseBundle(m.content!);
  } catch (err) {
    c.fail(m.path, 'signature', (err as Error).message);
    return null;
  }
  let signer: SignerIdentity | null = null;
  let lastError: string | null = null;
  if (hasCertificateChain(bundle)) {
    const cas = anchors.filter((a): a is CaAnchor => a.kind === 'ca');
    if (cas.length > 0) {
      try {
        signer = verifyBundleSignature(bundle, { trust: { certificateChainPem: cas.map((a) => a.pem) } });
      } catch (err) {
        lastError = err instanceof SignatureError ? `${err.reason}: ${err.message}` : (err as Error).message;
      }
    } else lastError = 'certificate-signed, and no trusted CA certificate was given (--trusted-key CA.pem)';
  } else {
    const hint = bundleKeyHint(bundle);
    const keys = anchors.filter((a): a is KeyAnchor => a.kind === 'key' && (hint === null || a.hint === hint));
    for (const k of keys) {
      try {
        signer = verifyBundleSignature(bundle, { trust: { publicKeyPem: k.pem } });
        break;
      } catch (err) {
        lastError = err instanceof SignatureError ? `${err.reason}: ${err.message}` : (err as Error).message;
      }
    }
    if (keys.length === 0) lastError = `signed by key ${hint ? short(hint) + '…' : '(no hint)'}, which is not a trusted key (--trusted-key PUBLIC.pem)`;
  }
  if (signer === null) {
    // A signature the server itself stored as untrusted vouches for nothing either way: reported, not failed.
    if (serverTrusted === false && lastError !== null && !/signature_invalid|key_mismatch/.test(lastError)) c.warn(m.path, 'signature', `not verified (${lastError}); the server lists this signer as untrusted too`);
    else c.fail(m.path, 'signature', lastError ?? 'does not verify');
    return null;
  }

  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bundle.payloadBytes));
  } catch (err) {
    c.fail(m.path, 'statement', `the signed payload is not JSON (${(err as Error).message})`);
    return null;
  }
  try {
    if (subject === 'model') {
      const st = parseModelSigningStatement(payload);
      const s = st.subject[0]!;
      const signed = new Map(st.predicate.resources.map((r) => [r.name, r.digest]));
      const changed = [...signed].filter(([p, d]) => files.has(p) && files.get(p) !== d).map(([p]) => p);
      const missing = [...files.keys()].filter((p) => !signed.has(p));
      const extra = [...signed.keys()].filter((p) => !files.has(p));
      if (s.digest.sha256 !== digest || changed.length + missing.length + extra.length > 0) {
        const parts = [
          s.digest.sha256 !== digest ? `it signs root ${short(s.digest.sha256!)}…, the manifest's is ${short(digest)}…` : null,
          changed.length ? `different digests for ${changed.slice(0, 5).join(', ')}` : null,
          missing.length ? `unsigned files ${missing.slice(0, 5).join(', ')}` : null,
          extra.length ? `signed files not in the manifest ${extra.slice(0, 5).join(', ')}` : null,
        ].filter((p) => p !== null);
        c.fail(m.path, 'signature', `valid signature by ${describeSigner(signer)}, but for another model "${s.name}": ${parts.join('; ')}`);
        return null;
      }
      c.pass(m.path, 'signature', `model signature by ${describeSigner(signer)} over this manifest (${st.predicate.resources.length} file(s))`);
    } else {
      const st = parseInTotoStatement(payload);
      if (st.predicateType === MODEL_SIGNING_PREDICATE_TYPE || st.predicateType !== SLSA_PROVENANCE_PREDICATE_TYPE) {
        c.fail(m.path, 'signature', `a provenance signature over a ${st.predicateType} statement`);
        return null;
      }
      if (!st.subject.some((s) => s.digest.sha256 === digest)) {
        c.fail(m.path, 'signature', `valid signature by ${describeSigner(signer)}, but the provenance is about another model (no subject has sha256 ${short(digest)}…)`);
        return null;
      }
      c.pass(m.path, 'signature', `signed provenance by ${describeSigner(signer)} about this manifest`);
    }
  } catch (err) {
    c.fail(m.path, 'statement', (err as Error).message);
    return null;
  }
  return bundle.payloadBytes;
}

function checkScanReport(c: Checks, scan: z.infer<typeof ScanReportResponseSchema>, files: ReadonlyMap<string, string>): void {
  const path = MEMBER_PATHS['scan-report'];
  if (scan.report === null) {
    c.warn(path, 'scan', `scan ${scan.status}${scan.error ? ` (${scan.error})` : ''}: no report to cross-check`);
    return;
  }
  const reported = z.object({ files: z.array(z.object({ path: z.string(), sha256: z.string().nullable() })) }).safeParse(scan.report);
  if (!reported.success) {
    c.fail(path, 'scan', `the report has no file list: ${firstIssue(reported.error)}`);
    return;
  }
  const wrong = reported.data.files.filter((f) => f.sha256 !== null && files.has(f.path) && files.get(f.path) !== f.sha256).map((f) => f.path);
  const unknown = reported.data.files.filter((f) => files.size > 0 && !files.has(f.path)).map((f) => f.path);
  if (wrong.length || unknown.length) {
    c.fail(path, 'scan', [wrong.length ? `scanned other content for ${wrong.slice(0, 5).join(', ')}` : '', unknown.length ? `scanned files not in the manifest: ${unknown.slice(0, 5).join(', ')}` : ''].filter(Boolean).join('; '));
    return;
  }
  c.pass(path, 'scan', `verdict ${scan.verdict ?? 'none'}; ${reported.data.files.length} file(s), digests agree with the manifest`);
}

interface LedgerMembers {
  events: ArchiveMember | null;
  proofs: AuditProofs | null;
  checkpoint: ArchiveMember | null;
  keys: z.infer<typeof LedgerKeysSchema> | null;
  present: boolean;
}

function checkLedger(c: Checks, index: EvidenceIndex, digest: string, versionId: string, pinned: { key: string; verifier: NoteVerifier } | null, l: LedgerMembers): void {
  const P = MEMBER_PATHS;
  if (!l.present) return; // all absent (recorded as such) or all missing (failed as missing above)
  if (!l.checkpoint) return;
  const note = utf8(l.checkpoint.content!);
  if (note === null) {
    c.fail(P['audit-checkpoint'], 'checkpoint', 'not UTF-8');
    return;
  }
  let verifiers: NoteVerifier[];
  if (pinned) {
    // The given key, and later keys it endorsed (a rotation), as `steward audit verify` follows them.
    verifiers = l.keys ? followRotations([pinned.key], l.keys).verifiers : [pinned.verifier];
  } else {
    const keys = l.keys?.keys ?? [];
    verifiers = [];
    for (const k of keys) {
      try {
        verifiers.push(parseVerifierKey(k.verifierKey));
      } catch {
        // an unusable key signs nothing
      }
    }
    c.warn(P['audit-keys'], 'trust', verifiers.length > 0 ? 'ledger key taken from the archive itself (self-asserted): pass --public-key with the key the operator publishes' : 'no ledger key: pass --public-key');
  }
  let cp: Checkpoint;
  try {
    const opened = openCheckpoint(note, verifiers);
    cp = opened.checkpoint;
    c.pass(P['audit-checkpoint'], 'checkpoint', `${cp.origin} at size ${cp.size}, signed by ${opened.verifiedBy.map((s) => s.name).join(', ')}${pinned ? ' (the given key)' : ''}`);
  } catch (err) {
    c.fail(P['audit-checkpoint'], 'checkpoint', `the signature does not verify with the ${pinned ? 'given' : "archive's"} ledger key: ${(err as Error).message}`);
    return;
  }
  if (!l.events || !l.proofs) return;
  const text = utf8(l.events.content!);
  if (text === null) {
    c.fail(P['audit-events'], 'ledger', 'not UTF-8');
    return;
  }
  if (text.length > 0 && !text.endsWith('\n')) c.fail(P['audit-events'], 'ledger', 'the last entry has no final newline (truncated?)');
  const lines = text.length === 0 ? [] : text.replace(/\n$/, '').split('\n');
  if (l.proofs.size !== cp.size) c.fail(P['audit-proofs'], 'ledger', `the proofs are against size ${l.proofs.size}, the checkpoint has size ${cp.size}`);
  if (l.proofs.proofs.length !== lines.length) {
    c.fail(P['audit-proofs'], 'ledger', `${l.proofs.proofs.length} proof(s) for ${lines.length} entr${lines.length === 1 ? 'y' : 'ies'}`);
    return;
  }
  let pushed = false;
  lines.forEach((line, i) => {
    const where = `${P['audit-events']} line ${i + 1}`;
    const proof = l.proofs!.proofs[i]!;
    const bytes = Buffer.from(line, 'utf8');
    let entry: { index?: unknown; log?: unknown; model?: unknown; action?: unknown; target?: { type?: unknown; id?: unknown }; details?: Record<string, unknown> };
    try {
      entry = decodeEntry(bytes) as typeof entry;
    } catch (err) {
      c.fail(where, 'inclusion', `not a ledger entry: ${(err as Error).message}`);
      return;
    }
    const action = typeof entry.action === 'string' ? entry.action : '?';
    const leaf = leafHash(bytes);
    const ok = checkInclusion(leaf, proof.index, cp.size, proof.proof.map((h) => Buffer.from(h, 'hex')), cp.rootHash);
    const problems: string[] = [];
    if (!ok.ok) problems.push(`not in the signed log: ${ok.reason} (edited?)`);
    if (leaf.toString('hex') !== proof.leafHash) problems.push('does not hash to the leaf hash in proofs.json');
    if (entry.index !== proof.index) problems.push(`says it is entry ${String(entry.index)}, proven as ${proof.index}`);
    if (entry.log !== cp.origin) problems.push(`belongs to log ${String(entry.log)}, the checkpoint is of ${cp.origin}`);
    if (entry.model !== index.model) problems.push(`is about ${String(entry.model)}, not ${index.model}`);
    if (problems.length) {
      c.fail(where, 'inclusion', `${action} (index ${proof.index}): ${problems.join('; ')}`);
      return;
    }
    c.pass(where, 'inclusion', `${action} (index ${proof.index}) is in the signed log`);
    const d = entry.details ?? {};
    if (action === 'version.pushed' && d.version === index.version && d.manifestDigest === digest && (entry.target?.id === versionId || !versionId)) pushed = true;
  });
  if (pushed) c.pass(P['audit-events'], 'ledger', `the ledger recorded the push of ${index.model}@${index.version} with this manifest digest`);
  else c.fail(P['audit-events'], 'ledger', `no proven version.pushed entry records ${index.model}@${index.version} with manifest ${short(digest)}…`);
}

interface ExportReaders {
  json: (kind: MemberKind, path?: string) => { member: ArchiveMember; value: unknown } | null;
  content: (kind: MemberKind, path?: string) => ArchiveMember | null;
}

/**
 * `Manifest root digest: sha256:<hex>` as the Markdown, HTML and form renderers write it about the
 * version: label and value in one line or cell. Column headers (base models, the version line)
 * are followed by a line break or a `</th>`, so other versions' digests are not taken as quotes.
 */
const QUOTED_ROOT = /manifest root digest(?:[ \t*:|`]|<\/?(?:strong|b|em|td|code)>)*sha256:([0-9a-f]{64})/gi;

function checkExports(c: Checks, index: EvidenceIndex, digest: string, files: ReadonlyMap<string, string>, r: ExportReaders): void {
  const P = MEMBER_PATHS;
  const cdx = r.json('export-cyclonedx');
  if (cdx) {
    const bom = z
      .object({
        metadata: z.object({
          component: z.object({
            name: z.string(),
            version: z.string().optional(),
            hashes: z.array(z.object({ alg: z.string(), content: z.string() })).default([]),
            components: z.array(z.object({ type: z.string(), name: z.string(), hashes: z.array(z.object({ alg: z.string(), content: z.string() })).default([]) })).default([]),
          }),
        }),
      })
      .safeParse(cdx.value);
    if (!bom.success) c.fail(P['export-cyclonedx'], 'export', `not a CycloneDX BOM with a model component: ${firstIssue(bom.error)}`);
    else {
      const comp = bom.data.metadata.component;
      const hash = comp.hashes.find((h) => h.alg === 'SHA-256')?.content;
      const fileMismatch = comp.components.filter((f) => f.type === 'file' && files.has(f.name) && f.hashes.some((h) => h.alg === 'SHA-256' && h.content !== files.get(f.name))).map((f) => f.name);
      if (hash !== digest) c.fail(P['export-cyclonedx'], 'export', `the model component's SHA-256 is ${hash ?? 'missing'}, not the manifest digest ${short(digest)}…`);
      else if (comp.version !== undefined && comp.version !== index.version) c.fail(P['export-cyclonedx'], 'export', `the model component is version ${comp.version}, not ${index.version}`);
      else if (fileMismatch.length) c.fail(P['export-cyclonedx'], 'export', `file components with other digests than the manifest: ${fileMismatch.slice(0, 5).join(', ')}`);
      else c.pass(P['export-cyclonedx'], 'export', 'model component hash is the manifest digest; file hashes agree');
    }
  }
  const spdx = r.json('export-spdx');
  if (spdx) {
    const doc = z.object({ '@graph': z.array(z.object({ type: z.string(), name: z.string().optional(), verifiedUsing: z.array(z.object({ algorithm: z.string().optional(), hashValue: z.string().optional() })).optional() }).loose()) }).safeParse(spdx.value);
    if (!doc.success) c.fail(P['export-spdx'], 'export', `not an SPDX 3 JSON-LD document: ${firstIssue(doc.error)}`);
    else {
      const pkg = doc.data['@graph'].find((n) => n.type === 'ai_AIPackage');
      const hash = pkg?.verifiedUsing?.find((h) => h.algorithm === 'sha256')?.hashValue;
      const fileMismatch = doc.data['@graph']
        .filter((n) => n.type === 'software_File' && n.name !== undefined && files.has(n.name) && (n.verifiedUsing ?? []).some((h) => h.algorithm === 'sha256' && h.hashValue !== files.get(n.name!)))
        .map((n) => n.name!);
      if (!pkg) c.fail(P['export-spdx'], 'export', 'no ai_AIPackage element');
      else if (hash !== digest) c.fail(P['export-spdx'], 'export', `the AI package's sha256 is ${hash ?? 'missing'}, not the manifest digest ${short(digest)}…`);
      else if (fileMismatch.length) c.fail(P['export-spdx'], 'export', `files with other digests than the manifest: ${fileMismatch.slice(0, 5).join(', ')}`);
      else c.pass(P['export-spdx'], 'export', 'AI package verifiedUsing is the manifest digest; file hashes agree');
    }
  }
  const quoted = (kind: MemberKind, text: string | null) => {
    const path = (P as Record<string, string>)[kind]!;
    if (text === null) return c.fail(path, 'export', 'not UTF-8 text');
    const quotes = [...text.matchAll(QUOTED_ROOT)].map((m) => m[1]!.toLowerCase());
    if (quotes.length === 0) return c.warn(path, 'export', 'quotes no manifest root digest to cross-check');
    const other = quotes.find((q) => q !== digest);
    if (other) return c.fail(path, 'export', `quotes manifest root digest ${short(other)}…, not this manifest's ${short(digest)}…`);
    c.pass(path, 'export', `quotes the manifest digest${quotes.length > 1 ? ` (${quotes.length} times)` : ''}`);
  };
  for (const kind of ['export-model-card', 'export-annex-iv', 'export-annex-iv-html', 'export-gpai-form', 'export-gpai-form-html'] as const) {
    const m = r.content(kind);
    if (m) quoted(kind, utf8(m.content!));
  }
  const changelog = r.content('export-changelog');
  if (changelog) {
    const text = utf8(changelog.content!);
    if (text === null) c.fail(P['export-changelog'], 'export', 'not UTF-8 text');
    else {
      // The changelog quotes 12-digit prefixes, under a heading per version.
      const section = text.split(/^## /m).find((s) => s.startsWith(`${index.version} `) || s.startsWith(`${index.version}\n`));
      const quote = section ? /Manifest `sha256:([0-9a-f]{12,64})`/.exec(section)?.[1] : undefined;
      if (!section) c.fail(P['export-changelog'], 'export', `has no entry for version ${index.version}`);
      else if (!quote) c.warn(P['export-changelog'], 'export', `the entry for ${index.version} quotes no manifest digest`);
      else if (!digest.startsWith(quote)) c.fail(P['export-changelog'], 'export', `the entry for ${index.version} quotes manifest ${quote}, not ${short(digest)}…`);
      else c.pass(P['export-changelog'], 'export', `the entry for ${index.version} quotes this manifest (sha256:${quote})`);
    }
  }
}
