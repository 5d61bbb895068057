/**
 * Gathers a version's evidence over the HTTP API into an archive. Every member is what a server
 * endpoint returned, byte for byte where the bytes matter (bundles, ledger entries, checkpoint,
 * exports) and streamed into the spool. An endpoint this server does not have (404 "no route")
 * or that refuses this version (an export that cannot be completed, nothing recorded yet) makes
 * its member absent, with the server's reason in the index; nothing is invented.
 */
import {
  InclusionProofSchema,
  LedgerKeysSchema,
  VersionSchema,
  pageOf,
  AuditEventSchema,
  type AuditEvent,
} from '@steward/domain';
import { z } from 'zod';
import { parseDsseBundle } from '@steward/attest';
import { ApiError, type StewardClient, enc } from '../client.js';
import { CLI_VERSION } from '../program.js';
import { CliError } from '../errors.js';
import { EvidenceSpool } from './archive-writer.js';
import { type EvidenceIndex, MEMBER_PATHS, type MemberKind, signaturePath } from './format.js';
import { type AuditProofs, SignatureListFileSchema } from './verify.js';

export interface AssembleOptions {
  client: StewardClient;
  org: string;
  model: string;
  /** A version or a ring name, as `steward show` takes it; the archive records the version it resolved to. */
  ref: string;
  output: string;
  now?: () => Date;
  log?: (line: string) => void;
}

/** Exports as the server renders them: `GET .../versions/:ref/exports/:format`. */
const EXPORTS: readonly { format: string; kind: MemberKind }[] = [
  { format: 'cyclonedx', kind: 'export-cyclonedx' },
  { format: 'spdx', kind: 'export-spdx' },
  { format: 'model-card', kind: 'export-model-card' },
  { format: 'annex-iv', kind: 'export-annex-iv' },
  { format: 'annex-iv-html', kind: 'export-annex-iv-html' },
  { format: 'gpai-form', kind: 'export-gpai-form' },
  { format: 'gpai-form-html', kind: 'export-gpai-form-html' },
];

const PAGE = 500;
const MAX_EVENTS = 100_000;

/** A 404 from Fastify's not-found handler: the server has no such endpoint (an older server). */
function isMissingRoute(err: unknown): boolean {
  return err instanceof ApiError && err.status === 404 && /^no route /.test(err.message);
}

/** Client errors on optional evidence (no route, nothing recorded, an export refused) become absent members; anything else stops the run. */
function absentReason(err: unknown, what: string): string | null {
  if (!(err instanceof ApiError)) return null;
  if (isMissingRoute(err)) return `this server has no endpoint for ${what} (${err.message})`;
  if (err.status >= 400 && err.status < 500 && err.status !== 401) return `the server did not provide ${what}: ${err.message} (HTTP ${err.status} ${err.code})`;
  return null;
}

export async function assembleEvidence(opts: AssembleOptions): Promise<EvidenceIndex> {
  const { client, org, model } = opts;
  const say = opts.log ?? (() => {});
  const base = `/api/v1/orgs/${enc(org)}/models/${enc(model)}`;
  const spool = await EvidenceSpool.create();
  try {
    // The version, exactly as the API returns it; every later request names the version it resolved to.
    const versionMember = await spool.addStream(MEMBER_PATHS.version, 'version', (await client.download(`${base}/versions/${enc(opts.ref)}`)).stream);
    const rawVersion = JSON.parse((await spool.read(MEMBER_PATHS.version)).toString('utf8')) as { manifest?: unknown };
    const parsedVersion = VersionSchema.safeParse(rawVersion);
    if (!parsedVersion.success) throw new CliError(`unexpected response from server for the version: ${parsedVersion.error.issues[0]?.path.join('.')}: ${parsedVersion.error.issues[0]?.message}`, 1);
    const version = parsedVersion.data;
    const vbase = `${base}/versions/${enc(version.version)}`;
    say(`evidence for ${org}/${model}@${version.version} (manifest sha256:${version.manifestDigest}), ${versionMember.size} bytes of version record`);
    await spool.addBytes(MEMBER_PATHS.manifest, 'manifest', JSON.stringify(rawVersion.manifest, null, 2) + '\n');

    /** Streams an optional endpoint into a member, or records it absent with the server's reason. */
    const optional = async (path: string, kind: MemberKind, url: string, what: string): Promise<boolean> => {
      try {
        const { stream } = await client.download(url);
        await spool.addStream(path, kind, stream);
        return true;
      } catch (err) {
        const reason = absentReason(err, what);
        if (reason === null) throw err;
        spool.markAbsent(path, kind, reason);
        say(`absent: ${path}: ${reason}`);
        return false;
      }
    };

    // ---- signatures, signing keys, provenance ----
    if (await optional(MEMBER_PATHS['signature-list'], 'signature-list', `${vbase}/signatures`, 'the version\'s signatures')) {
      const list = SignatureListFileSchema.safeParse(JSON.parse((await spool.read(MEMBER_PATHS['signature-list'])).toString('utf8')));
      if (!list.success) throw new CliError(`unexpected response from server for the signatures: ${list.error.issues[0]?.path.join('.')}: ${list.error.issues[0]?.message}`, 1);
      for (const s of list.data.items) {
        const path = signaturePath(s.subject, s.id);
        await optional(path, s.subject === 'model' ? 'model-signature' : 'provenance-signature', `${vbase}/signatures/${enc(s.id)}/bundle`, `the bundle of signature ${s.id}`);
      }
    }
    await optional(MEMBER_PATHS['signing-keys'], 'signing-keys', `/api/v1/orgs/${enc(org)}/signing-keys`, 'the org\'s signing keys');
    await optional(MEMBER_PATHS['trusted-signers'], 'trusted-signers', `/api/v1/orgs/${enc(org)}/trusted-signers`, 'the org\'s trusted signers');
    await gatherProvenance(client, `${vbase}/provenance`, spool, say);

    // ---- scan, policy, approvals ----
    await optional(MEMBER_PATHS['scan-report'], 'scan-report', `${vbase}/scan`, 'the scan report');
    await optional(MEMBER_PATHS['policy-evaluations'], 'policy-evaluations', `${vbase}/policy/evaluations?latest=false`, 'policy evaluations');
    // Promotion requests of this version with every review: who approved or rejected which ring, why.
    await optional(MEMBER_PATHS.approvals, 'approvals', `/api/v1/orgs/${enc(org)}/promotion-requests?model=${enc(model)}&version=${enc(version.version)}`, 'promotion requests and their reviews');

    // ---- the ledger ----
    await gatherLedger(client, org, `${org}/${model}`, version.id, version.version, spool, say);

    // ---- exports ----
    for (const e of EXPORTS) await optional((MEMBER_PATHS as Record<string, string>)[e.kind]!, e.kind, `${vbase}/exports/${e.format}`, `the ${e.format} export`);
    await optional(MEMBER_PATHS['export-changelog'], 'export-changelog', `${base}/changelog`, 'the changelog');

    const generatedAt = (opts.now?.() ?? new Date()).toISOString();
    return await spool.write(opts.output, {
      model: `${org}/${model}`,
      version: version.version,
      versionId: version.id,
      manifestDigest: version.manifestDigest,
      generatedAt,
      generator: `steward-cli/${CLI_VERSION}`,
      server: client.opts.server,
    });
  } finally {
    await spool.dispose();
  }
}

/**
 * provenance.json is the SLSA statement the server serves for the version (its newest signed
 * provenance, trusted first). Served as a bundle, its DSSE payload is taken byte for byte; served
 * as the statement itself, it is kept as sent. The verifier matches it to a verified bundle.
 */
async function gatherProvenance(client: StewardClient, url: string, spool: EvidenceSpool, say: (l: string) => void): Promise<void> {
  let text: string;
  try {
    text = await client.text('GET', url);
  } catch (err) {
    const reason = absentReason(err, 'provenance');
    if (reason === null) throw err;
    spool.markAbsent(MEMBER_PATHS.provenance, 'provenance', reason);
    say(`absent: ${MEMBER_PATHS.provenance}: ${reason}`);
    return;
  }
  let doc: { dsseEnvelope?: unknown; _type?: unknown };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch {
    throw new CliError('the server\'s provenance is not JSON', 1);
  }
  if (doc?.dsseEnvelope === undefined) {
    await spool.addBytes(MEMBER_PATHS.provenance, 'provenance', text);
    return;
  }
  try {
    await spool.addBytes(MEMBER_PATHS.provenance, 'provenance', Buffer.from(parseDsseBundle(text).payloadBytes));
  } catch (err) {
    throw new CliError(`the server's provenance bundle is malformed: ${(err as Error).message}`, 1);
  }
}

/** Is this event about the version: aimed at it, or naming it in its details (ring moves, rescans, signatures...)? */
export function concernsVersion(e: Pick<AuditEvent, 'model' | 'targetType' | 'targetId' | 'details'>, model: string, versionId: string, version: string): boolean {
  if (e.model !== model) return false;
  if (e.targetId === versionId) return true;
  return e.details.version === version;
}

async function gatherLedger(client: StewardClient, org: string, model: string, versionId: string, version: string, spool: EvidenceSpool, say: (l: string) => void): Promise<void> {
  const obase = `/api/v1/orgs/${enc(org)}`;
  const P = MEMBER_PATHS;
  const events: AuditEvent[] = [];
  try {
    let cursor: string | null = null;
    do {
      const q = new URLSearchParams({ model, limit: String(PAGE) });
      if (cursor) q.set('cursor', cursor);
      const page: { items: AuditEvent[]; nextCursor: string | null } = await client.json('GET', `${obase}/audit-events?${q}`, pageOf(AuditEventSchema));
      events.push(...page.items.filter((e) => concernsVersion(e, model, versionId, version)));
      cursor = page.nextCursor;
      if (events.length > MAX_EVENTS) throw new CliError(`more than ${MAX_EVENTS} ledger events concern this version`, 1);
    } while (cursor);
  } catch (err) {
    const reason = absentReason(err, 'the audit ledger');
    if (reason === null) throw err;
    // Reading the ledger needs the auditor or admin role: without it, the audit members are absent (and say why).
    for (const k of ['audit-events', 'audit-proofs', 'audit-checkpoint', 'audit-keys'] as const) spool.markAbsent(P[k], k, reason);
    say(`absent: audit/: ${reason}`);
    return;
  }
  // The checkpoint after the search covers every event found (entries are appended in the event's transaction).
  const checkpoint = await client.text('GET', `${obase}/ledger/checkpoint`);
  const size = Number(checkpoint.split('\n')[1]);
  if (!Number.isSafeInteger(size) || size < 1) throw new CliError(`the server's checkpoint has no tree size: ${JSON.stringify(checkpoint.slice(0, 200))}`, 1);
  const proven: { entry: string; seq: number; index: number; leafHash: string; proof: string[] }[] = [];
  for (const e of events) {
    const p = await client.json('GET', `${obase}/audit-events/${e.seq}/proof?size=${size}`, InclusionProofSchema);
    if (p.checkpoint !== checkpoint) throw new CliError(`the server proved event ${e.seq} against another checkpoint of size ${size}; try again`, 1);
    proven.push({ entry: p.entry, seq: p.seq, index: p.index, leafHash: p.leafHash, proof: p.proof });
  }
  proven.sort((a, b) => a.index - b.index);
  await spool.addStream(P['audit-events'], 'audit-events', (function* () {
    for (const p of proven) yield Buffer.from(p.entry + '\n', 'utf8');
  })());
  const proofs: AuditProofs = { size, proofs: proven.map(({ seq, index, leafHash, proof }) => ({ seq, index, leafHash, proof })) };
  await spool.addBytes(P['audit-proofs'], 'audit-proofs', JSON.stringify(proofs, null, 2) + '\n');
  await spool.addBytes(P['audit-checkpoint'], 'audit-checkpoint', checkpoint);
  const keys = await client.json('GET', `${obase}/ledger/keys`, z.unknown());
  LedgerKeysSchema.parse(keys);
  await spool.addBytes(P['audit-keys'], 'audit-keys', JSON.stringify(keys, null, 2) + '\n');
  say(`ledger: ${proven.length} entr${proven.length === 1 ? 'y' : 'ies'} proven against the checkpoint of size ${size}`);
}
