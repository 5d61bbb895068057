/**
 * Builds a governance record from a checkout (the offline CI gate): the model directory's
 * manifest, its parsed card, the scanner's report, and what the repository declares.
 */
import type { RiskTier, Sensitivity } from '@steward/domain';
import type { ParsedModelCard } from '@steward/modelcard';
import type { ScanReport } from '@steward/scanner';
import { z } from 'zod';
import { parseGovernanceRecord } from './record-seal.js';
import {
  LICENSE_FILE,
  cardFromParsed,
  detectLicense,
  emptyCard,
  emptyScan,
  evaluationsFromModelIndex,
  findingCounts,
  modelRef,
  piiCounts,
  scanInfoFromReport,
  scannedParameterCount,
  zeroFindings,
} from './record-parts.js';
import { RECORD_SCHEMA_VERSION, type BaseModelInfo, type EvaluationInfo, type GovernanceRecord, type SignatureInfo, type Waiver } from './record.js';
import { spdxValid } from './spdx.js';

/**
 * A results file next to the model (`evaluation:` in steward.yaml):
 *   { "results": [ { "benchmark": "glue-sst2", "datasetRevision": "a1b2c3", "metrics": { "accuracy": 0.91 } } ] }
 */
export const EvaluationResultsFileSchema = z
  .object({
    results: z.array(
      z
        .object({
          benchmark: z.string().min(1),
          dataset: z.string().optional(),
          datasetRevision: z.string().optional(),
          split: z.string().optional(),
          task: z.string().optional(),
          source: z.string().optional(),
          verified: z.boolean().optional(),
          metrics: z.union([z.record(z.string(), z.number()), z.array(z.object({ name: z.string().min(1), value: z.number() }).strict())]),
        })
        .strict(),
    ),
  })
  .strict();
export type EvaluationResultsFile = z.infer<typeof EvaluationResultsFileSchema>;

export function evaluationsFromResultsFile(file: EvaluationResultsFile): EvaluationInfo[] {
  return file.results.map((r) => ({
    benchmark: r.benchmark,
    dataset: r.dataset ?? null,
    datasetRevision: r.datasetRevision ?? null,
    split: r.split ?? null,
    task: r.task ?? null,
    source: r.source ?? null,
    verified: r.verified ?? false,
    metrics: Array.isArray(r.metrics) ? r.metrics.map((m) => ({ ...m })) : Object.entries(r.metrics).map(([name, value]) => ({ name, value })),
  }));
}

export interface LocalDatasetInput {
  name: string;
  version?: string | null;
  relation?: string | null;
  source?: string | null;
  license?: string | null;
  approvedBy?: string | null;
  sensitivity?: Sensitivity | null;
  digest?: string | null;
  /** PII counts by kind over the dataset's samples; null or absent when not scanned. */
  pii?: Partial<Record<string, number>> | null;
}

export interface LocalRecordInput {
  model: {
    org?: string | null;
    name: string;
    version?: string | null;
    description?: string | null;
    owners?: readonly string[];
    tags?: readonly string[];
    riskTier?: RiskTier | null;
    useCaseCategory?: string | null;
    sourceRepo?: string | null;
    sourceCommit?: string | null;
  };
  /** The directory's manifest (hashModelDirectory), paths relative to the model directory. */
  manifest: { files: readonly { path: string; size: number; sha256: string }[]; rootDigest: string | null };
  card: { path: string; sha256: string | null; parsed: ParsedModelCard } | null;
  /** The scanner's report; file paths must be relative to the model directory (see scanPathOf). */
  scan: ScanReport | null;
  /** Maps a report path onto the model-relative path (default: as is). */
  scanPathOf?: (reportPath: string) => string;
  /** The declared license; default the card's. */
  license?: string | null;
  /** Texts of license files (path relative to the model directory) for recognition. */
  licenseTexts?: readonly { path: string; text: string }[];
  datasets?: readonly LocalDatasetInput[];
  baseModels?: readonly BaseModelInfo[];
  evaluations?: readonly EvaluationInfo[];
  signatures?: readonly SignatureInfo[];
  /** The lock comparison; absent means there is no lock. */
  integrity?: { lockPresent: boolean; mismatches: readonly { path: string; expected: string | null; actual: string | null }[] };
  targetRing?: string | null;
  waivers?: readonly Waiver[];
}

export function recordFromLocal(input: LocalRecordInput): GovernanceRecord {
  const { model: m, scan: report } = input;
  const pathOf = input.scanPathOf ?? ((p: string) => p);
  const card = input.card ? cardFromParsed(input.card.parsed, input.card.path, input.card.sha256) : emptyCard();
  const declared = input.license !== undefined && input.license !== null ? input.license : card.license;
  const perFile = new Map((report?.files ?? []).map((f) => [pathOf(f.path), f]));
  const licenseTexts = new Map((input.licenseTexts ?? []).map((l) => [l.path, l.text]));
  const integrity = input.integrity ?? { lockPresent: false, mismatches: [] };
  const org = m.org ?? null;
  const version = m.version ?? null;

  const record = {
    schemaVersion: RECORD_SCHEMA_VERSION,
    origin: 'local',
    model: {
      org,
      name: m.name,
      version,
      ref: modelRef(org, m.name, version),
      description: m.description ?? null,
      owners: [...(m.owners ?? [])],
      tags: [...(m.tags ?? [])],
      riskTier: m.riskTier ?? null,
      useCaseCategory: m.useCaseCategory ?? null,
      parameterCount: card.parameterCount ?? scannedParameterCount(report),
      sourceRepo: m.sourceRepo ?? null,
      sourceCommit: m.sourceCommit ?? null,
      createdBy: null,
    },
    targetRing: input.targetRing ?? null,
    currentRings: [],
    card,
    license: {
      declared,
      declaredValid: declared !== null && spdxValid(declared),
      cardLicense: card.license,
      files: input.manifest.files
        .filter((f) => LICENSE_FILE.test(f.path))
        .map((f) => {
          const text = licenseTexts.get(f.path);
          return { path: f.path, detected: text === undefined ? null : detectLicense(text) };
        }),
    },
    files: input.manifest.files.map((f) => {
      const r = perFile.get(f.path);
      return { path: f.path, size: f.size, sha256: f.sha256, format: r?.format ?? null, verdict: r?.verdict ?? null, findings: r ? findingCounts(r) : zeroFindings() };
    }),
    integrity: {
      manifestDigest: input.manifest.rootDigest,
      lockPresent: integrity.lockPresent,
      verified: integrity.lockPresent && integrity.mismatches.length === 0,
      mismatches: integrity.mismatches.map((x) => ({ ...x })),
    },
    scan: report ? scanInfoFromReport(report, pathOf) : emptyScan(),
    datasets: (input.datasets ?? []).map((d) => ({
      name: d.name,
      version: d.version ?? null,
      relation: d.relation ?? null,
      registered: true,
      source: d.source ?? null,
      license: d.license ?? null,
      approvedBy: d.approvedBy ?? null,
      sensitivity: d.sensitivity ?? null,
      digest: d.digest ?? null,
      pii: piiCounts(d.pii ?? null),
    })),
    baseModels: baseModelsOf(card.baseModels, input.baseModels ?? []),
    evaluations: [...evaluationsFromModelIndex(input.card?.parsed.metadata.modelIndex), ...(input.evaluations ?? [])],
    signatures: [...(input.signatures ?? [])],
    promotion: { ring: input.targetRing ?? null, requestedBy: null, approvals: [], blockingAlerts: [] },
    waivers: [...(input.waivers ?? [])],
  };
  return parseGovernanceRecord(record);
}

/** The card's base_model entries, completed by what the caller knows (e.g. models declared in the same repository). */
function baseModelsOf(cardRefs: readonly string[], known: readonly BaseModelInfo[]): BaseModelInfo[] {
  const out = known.map((b) => ({ ...b }));
  for (const ref of cardRefs) {
    if (!out.some((b) => b.ref === ref)) out.push({ ref, registered: false, version: null, verdict: null, license: null });
  }
  return out;
}
