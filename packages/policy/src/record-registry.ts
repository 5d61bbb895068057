/**
 * Builds a governance record from the server's API objects (what the promotion gate sees).
 * What the API does not carry (signatures, approvals, PII counts, resolved base models) is
 * passed in by the caller; absent inputs give empty lists and nulls, never invented values.
 */
import type { Dataset, Model, ScanStatus, Version } from '@steward/domain';
import type { ScanReport } from '@steward/scanner';
import { parseGovernanceRecord } from './record-seal.js';
import {
  LICENSE_FILE,
  cardSections,
  emptyCard,
  emptyScan,
  eccnOf,
  evaluationsFromModelIndex,
  findingCounts,
  modelRef,
  parameterCountOf,
  piiCounts,
  scanInfoFromReport,
  scannedParameterCount,
  zeroFindings,
  type CardInfo,
} from './record-parts.js';
import {
  RECORD_SCHEMA_VERSION,
  type BaseModelInfo,
  type EvaluationInfo,
  type GovernanceRecord,
  type SignatureInfo,
  type Waiver,
} from './record.js';
import { spdxValid } from './spdx.js';

export interface RegistryRecordInput {
  version: Version;
  model: Model;
  /** The registered datasets the version links to (matched by name and version); unmatched links are unregistered. */
  datasets?: readonly Dataset[];
  /** The scan to judge by; default version.scan. With a `report` (GET .../scan), per-file verdicts and imports are filled in. */
  scan?: (ScanStatus & { report?: Record<string, unknown> | null }) | null;
  /** Base models resolved by the caller: version null when the reference is not registered. */
  baseModels?: readonly { ref: string; version: Version | null }[];
  /** Evaluations beyond the card's model-index. */
  evaluations?: readonly EvaluationInfo[];
  signatures?: readonly SignatureInfo[];
  /** The ring being entered (promotion); default null. */
  targetRing?: string | null;
  requestedBy?: string | null;
  approvals?: readonly { by: string; role?: string | null; at?: string | null }[];
  /** Firing alerts that block promotion of the model (the server's monitoring). */
  blockingAlerts?: readonly { rule: string; ring: string; environment: string; severity: string; firedAt: string | null }[];
  waivers?: readonly Waiver[];
  useCaseCategory?: string | null;
  /** PII counts by kind per dataset, keyed `NAME@VERSION` (from `steward pii` over samples). */
  pii?: Readonly<Record<string, Partial<Record<string, number>>>>;
}

function cardFromVersion(v: Version): CardInfo {
  const c = v.card;
  if (!c) return emptyCard();
  // The stored metadata is the parser's normalized metadata, plus whatever else the server kept.
  const m = c.metadata as Record<string, unknown>;
  const s = (k: string) => (typeof m[k] === 'string' ? (m[k] as string) : null);
  const list = (k: string) => (Array.isArray(m[k]) ? (m[k] as unknown[]).filter((x): x is string => typeof x === 'string') : []);
  return {
    present: true,
    path: c.path,
    sha256: c.sha256,
    ...cardSections(c.sections.map((x) => ({ kind: x.kind }))),
    recognizedSections: [...c.recognizedSections],
    missingRecommendedSections: [...c.missingRecommendedSections],
    license: s('license'),
    licenseName: s('licenseName'),
    licenseLink: s('licenseLink'),
    datasets: list('datasets'),
    baseModels: list('baseModels'),
    pipelineTag: s('pipelineTag'),
    libraryName: s('libraryName'),
    eccn: eccnOf(m),
    parameterCount: parameterCountOf(m),
    errors: c.problems.filter((p) => p.severity === 'error').length,
    warnings: c.problems.filter((p) => p.severity === 'warning').length,
  };
}

/** A scanner report as stored by the server, or null when the stored object is not one. */
function asScanReport(report: Record<string, unknown> | null | undefined): ScanReport | null {
  if (!report || !Array.isArray(report.files) || typeof report.verdict !== 'string' || typeof report.summary !== 'object') return null;
  return report as unknown as ScanReport;
}

export function recordFromRegistry(input: RegistryRecordInput): GovernanceRecord {
  const { version: v, model: m } = input;
  const scanStatus: RegistryRecordInput['scan'] = input.scan !== undefined ? input.scan : v.scan;
  const report = asScanReport(scanStatus?.report);
  const card = cardFromVersion(v);

  let scan = emptyScan();
  if (report && scanStatus?.status === 'done') scan = { ...scanInfoFromReport(report), allowlist: [...scanStatus.allowlist], scannerVersion: scanStatus.scannerVersion ?? report.tool.version };
  else if (scanStatus) {
    scan = {
      ...scan,
      status: scanStatus.status,
      verdict: scanStatus.verdict,
      scannerVersion: scanStatus.scannerVersion,
      summary: scanStatus.summary ? { ...scanStatus.summary } : scan.summary,
      allowlist: [...scanStatus.allowlist],
    };
  }
  const perFile = new Map((report?.files ?? []).map((f) => [f.path, f]));

  const registered = new Map((input.datasets ?? []).map((d) => [`${d.name}@${d.version}`, d]));
  const declared = card.license;

  const record = {
    schemaVersion: RECORD_SCHEMA_VERSION,
    origin: 'registry',
    model: {
      org: m.org,
      name: m.name,
      version: v.version,
      ref: modelRef(m.org, m.name, v.version),
      description: m.description || null,
      owners: [...m.owners],
      tags: [...m.tags],
      riskTier: m.riskTier,
      useCaseCategory: input.useCaseCategory ?? null,
      parameterCount: card.parameterCount ?? scannedParameterCount(report),
      sourceRepo: v.sourceRepo,
      sourceCommit: v.sourceCommit,
      createdBy: v.createdBy,
    },
    targetRing: input.targetRing ?? null,
    currentRings: [...v.rings],
    card,
    license: {
      declared,
      declaredValid: declared !== null && spdxValid(declared),
      cardLicense: card.license,
      files: v.manifest.files.filter((f) => LICENSE_FILE.test(f.path)).map((f) => ({ path: f.path, detected: null })),
    },
    files: v.manifest.files.map((f) => {
      const r = perFile.get(f.path);
      return { path: f.path, size: f.size, sha256: f.sha256, format: r?.format ?? null, verdict: r?.verdict ?? null, findings: r ? findingCounts(r) : zeroFindings() };
    }),
    // A registry version is content-addressed: the server recomputed the root digest at push.
    integrity: { manifestDigest: v.manifestDigest, lockPresent: true, verified: true, mismatches: [] },
    scan,
    datasets: v.datasets.map((link) => {
      const key = `${link.name}@${link.version}`;
      const d = registered.get(key);
      return {
        name: link.name,
        version: link.version,
        relation: link.relation,
        registered: d !== undefined,
        source: d?.sourceUri ?? null,
        license: d?.license ?? link.license ?? null,
        approvedBy: d?.approvedBy ?? null,
        sensitivity: d?.sensitivity ?? link.sensitivity ?? null,
        digest: d?.digest ?? null,
        pii: piiCounts(input.pii?.[key] ?? null),
      };
    }),
    baseModels: baseModelsOf(v, input.baseModels),
    evaluations: [...evaluationsFromModelIndex((v.card?.metadata as Record<string, unknown> | undefined)?.modelIndex), ...(input.evaluations ?? [])],
    signatures: [...(input.signatures ?? [])],
    promotion: {
      ring: input.targetRing ?? null,
      requestedBy: input.requestedBy ?? null,
      approvals: (input.approvals ?? []).map((a) => ({ by: a.by, role: a.role ?? null, at: a.at ?? null })),
      blockingAlerts: [...(input.blockingAlerts ?? [])],
    },
    waivers: [...(input.waivers ?? [])],
  };
  return parseGovernanceRecord(record);
}

function baseModelsOf(v: Version, resolved: RegistryRecordInput['baseModels']): BaseModelInfo[] {
  const refs = new Map<string, Version | null>();
  if (v.baseModel) refs.set(v.baseModel, null);
  for (const b of v.card ? ((v.card.metadata as Record<string, unknown>).baseModels as unknown[] | undefined) ?? [] : []) if (typeof b === 'string' && !refs.has(b)) refs.set(b, null);
  for (const r of resolved ?? []) refs.set(r.ref, r.version);
  return [...refs].map(([ref, bv]) => ({
    ref,
    registered: bv !== null,
    version: bv?.version ?? null,
    verdict: bv?.scan?.verdict ?? null,
    license: typeof (bv?.card?.metadata as Record<string, unknown> | undefined)?.license === 'string' ? ((bv!.card!.metadata as Record<string, unknown>).license as string) : null,
  }));
}
