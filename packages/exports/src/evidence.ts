/**
 * The facts every export draws on, derived once from the parsed input: the card's metadata and
 * section texts, the datasets joined with their full records, flattened metrics, the licence, the
 * version line. Renderers map these facts; they do not re-derive them, so the formats agree.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { semverCompare, type Dataset, type Version, type VersionSummary } from '@steward/domain';
import { parseModelCard, type ModelCardMetadata, type SectionKind } from '@steward/modelcard';
import { parseExportInput, type BaseModelRef, type ExportInput, type ExportInputData } from './input.js';
import { pipelineTask, type PipelineTask } from './pipeline-tasks.js';

const ModelIndexSchema = z.array(
  z.object({
    name: z.string(),
    results: z.array(
      z.object({
        task: z.object({ type: z.string(), name: z.string().optional() }),
        dataset: z
          .object({
            type: z.string().optional(),
            name: z.string().optional(),
            config: z.string().optional(),
            split: z.string().optional(),
            revision: z.string().optional(),
          })
          .optional(),
        metrics: z.array(
          z.object({ type: z.string(), value: z.union([z.number(), z.string()]), name: z.string().optional(), verified: z.boolean().optional() }),
        ),
        source: z.object({ name: z.string().optional(), url: z.string().optional() }).optional(),
      }),
    ),
  }),
);

/** The shape @steward/modelcard stores in `version.card.metadata`. */
const CardMetadataSchema = z.object({
  license: z.string().optional(),
  licenseName: z.string().optional(),
  licenseLink: z.string().optional(),
  libraryName: z.string().optional(),
  pipelineTag: z.string().optional(),
  language: z.array(z.string()).default([]),
  tags: z.array(z.string()).default([]),
  datasets: z.array(z.string()).default([]),
  metrics: z.array(z.string()).default([]),
  baseModels: z.array(z.string()).default([]),
  modelIndex: ModelIndexSchema.default([]),
});

/** One card section with its own text: the body up to the next heading of any level. */
export interface CardSectionText {
  title: string;
  level: number;
  /** The heading's own classification. */
  kind: SectionKind | null;
  /** Its kind, or the nearest enclosing section's: "### Results" under "## Evaluation" is evaluation. */
  effectiveKind: SectionKind | null;
  text: string;
}

export interface DatasetFacts {
  name: string;
  version: string;
  /** trained_on and/or evaluated_on, sorted. */
  relations: ('trained_on' | 'evaluated_on')[];
  license: string;
  sensitivity: Dataset['sensitivity'];
  /** The full registry record; null when the caller did not pass it. */
  record: Dataset | null;
}

export interface MetricFacts {
  modelName: string;
  taskType: string;
  taskName?: string;
  datasetType?: string;
  datasetName?: string;
  config?: string;
  split?: string;
  revision?: string;
  type: string;
  name?: string;
  value: number | string;
  verified?: boolean;
  sourceName?: string;
  sourceUrl?: string;
}

export type LicenseFacts =
  | { kind: 'spdx'; expression: string }
  /** `license: other` with the name and link the card gives, when it gives them. */
  | { kind: 'other'; name?: string; link?: string };

export interface Evidence {
  input: ExportInput;
  /** `org/model`. */
  modelRef: string;
  /** `org/model@version`. */
  versionRef: string;
  /** Normalised card metadata; empty lists when there is no card. */
  metadata: ModelCardMetadata;
  /** Section texts in file order; empty when the card text was not given. */
  sections: CardSectionText[];
  license: LicenseFacts | null;
  task: PipelineTask | null;
  datasets: DatasetFacts[];
  baseModels: BaseModelRef[];
  metrics: MetricFacts[];
  /** The version line in semantic-version order, this version included. */
  versions: VersionSummary[];
  /** `generatedAt` normalised to ISO-8601 UTC with milliseconds. */
  generatedAt: string;
  /** Warnings every format shares (missing card text, missing dataset records...). */
  warnings: string[];
}

const EMPTY_METADATA: ModelCardMetadata = { language: [], tags: [], datasets: [], metrics: [], baseModels: [], modelIndex: [] };

/** The Hugging Face template's placeholder: a section that says only this says nothing. */
const PLACEHOLDER = /^\[?more information needed\]?\.?$/i;

export function gatherEvidence(raw: ExportInputData | ExportInput): Evidence {
  const input = parseExportInput(raw);
  const warnings: string[] = [];
  const { version, model } = input;

  const card = cardMetadataOf(version);
  const metadata = card.metadata;
  if (card.problem) warnings.push(card.problem);
  if (!version.card) warnings.push('the version has no model card (README.md): licence, task, metrics and card sections are unknown');

  let sections: CardSectionText[] = [];
  if (version.card && input.cardText !== undefined) {
    const digest = createHash('sha256').update(input.cardText, 'utf8').digest('hex');
    if (digest !== version.card.sha256) {
      warnings.push(`cardText does not match the card's digest (sha256 ${digest}, card ${version.card.sha256}); card section texts not used`);
    } else {
      sections = sectionTexts(input.cardText);
    }
  } else if (version.card && version.card.sections.length > 0) {
    warnings.push('cardText not given: card section texts (uses, limitations, training, evaluation) are not included');
  } else if (!version.card && input.cardText !== undefined) {
    warnings.push('cardText given but the version has no model card; ignored');
  }

  const license: LicenseFacts | null = !metadata.license
    ? null
    : metadata.license.toLowerCase() === 'other'
      ? stripUndefined({ kind: 'other' as const, name: metadata.licenseName, link: metadata.licenseLink })
      : { kind: 'spdx', expression: metadata.license };
  if (version.card && !license) warnings.push('the model card declares no licence (front matter `license`)');

  const datasets = joinDatasets(version, input.datasets, warnings);
  const baseModels = mergeBaseModels(version, input.baseModels, warnings);

  const metrics = flattenMetrics(metadata);

  return {
    input,
    modelRef: `${input.org}/${model.name}`,
    versionRef: `${input.org}/${model.name}@${version.version}`,
    metadata,
    sections,
    license,
    task: pipelineTask(metadata.pipelineTag),
    datasets,
    baseModels,
    metrics,
    versions: versionLine(version, input.versions),
    generatedAt: new Date(input.generatedAt).toISOString(),
    warnings,
  };
}

/** The card metadata stored with a version, checked; empty (and a problem named) when unusable. */
export function cardMetadataOf(version: Version): { metadata: ModelCardMetadata; problem: string | null } {
  if (!version.card) return { metadata: EMPTY_METADATA, problem: null };
  const parsed = CardMetadataSchema.safeParse(version.card.metadata);
  if (parsed.success) return { metadata: stripUndefined(parsed.data), problem: null };
  const issue = parsed.error.issues[0];
  return {
    metadata: EMPTY_METADATA,
    problem: `version ${version.version}: card metadata is not in the @steward/modelcard shape (${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}); ignored`,
  };
}

/** One entry per metric value of the card's model-index, in card order. */
export function flattenMetrics(metadata: ModelCardMetadata): MetricFacts[] {
  const metrics: MetricFacts[] = [];
  for (const entry of metadata.modelIndex) {
    for (const r of entry.results) {
      for (const m of r.metrics) {
        metrics.push(
          stripUndefined({
            modelName: entry.name,
            taskType: r.task.type,
            taskName: r.task.name,
            datasetType: r.dataset?.type,
            datasetName: r.dataset?.name,
            config: r.dataset?.config,
            split: r.dataset?.split,
            revision: r.dataset?.revision,
            type: m.type,
            name: m.name,
            value: m.value,
            verified: m.verified,
            sourceName: r.source?.name,
            sourceUrl: r.source?.url,
          }),
        );
      }
    }
  }
  return metrics;
}

/** Sections of one kind (by effective kind) that say something, in file order. */
export function sectionsOf(ev: Evidence, ...kinds: SectionKind[]): CardSectionText[] {
  return ev.sections.filter((s) => s.effectiveKind !== null && kinds.includes(s.effectiveKind) && s.text !== '');
}

/** The texts of those sections joined into one; null when the card says nothing about them. */
export function sectionText(ev: Evidence, ...kinds: SectionKind[]): string | null {
  const found = sectionsOf(ev, ...kinds);
  if (found.length === 0) return null;
  if (found.length === 1) return found[0]!.text;
  return found.map((s) => `${s.title}: ${s.text}`).join('\n\n');
}

/** "imdb (config plain_text, split test)": how a metric's evaluation slice reads everywhere. */
export function metricSlice(m: MetricFacts): string {
  const name = m.datasetName ?? m.datasetType ?? 'unnamed dataset';
  const parts = [m.config ? `config ${m.config}` : null, m.split ? `split ${m.split}` : null, m.revision ? `revision ${m.revision}` : null].filter(
    (p): p is string => p !== null,
  );
  return parts.length > 0 ? `${name} (${parts.join(', ')})` : name;
}

export function registryBase(ev: Evidence): string | null {
  return ev.input.registryUrl ? ev.input.registryUrl.replace(/\/+$/, '') : null;
}

/** The API address of this version (manifest, files, card), when the registry URL is known. */
export function versionUrl(ev: Evidence): string | null {
  const base = registryBase(ev);
  const { org, model, version } = ev.input;
  return base ? `${base}/api/v1/orgs/${encodeURIComponent(org)}/models/${encodeURIComponent(model.name)}/versions/${encodeURIComponent(version.version)}` : null;
}

export function blobUrl(ev: Evidence, sha256: string): string | null {
  const base = registryBase(ev);
  return base ? `${base}/api/v1/orgs/${encodeURIComponent(ev.input.org)}/blobs/${sha256}` : null;
}

/** "safe (scanner 1.4.0, finished 2025-...; 3 files: 3 safe)", or why there is no verdict. */
export function scanSummary(version: Version): string {
  const scan = version.scan;
  if (!scan) return 'not scanned';
  if (scan.status !== 'done') return scan.status === 'failed' ? `scan failed${scan.error ? `: ${scan.error}` : ''}` : `scan ${scan.status}`;
  const details = [scan.scannerVersion ? `scanner ${scan.scannerVersion}` : null, scan.finishedAt ? `finished ${scan.finishedAt}` : null].filter((d) => d !== null);
  const s = scan.summary;
  const counts = s
    ? `${s.files} files${s.members ? `, ${s.members} archive members` : ''}: ${s.safe} safe, ${s.unknown} unknown, ${s.inconclusive} inconclusive, ${s.unsafe} unsafe`
    : null;
  return `${scan.verdict ?? 'no verdict'}${details.length || counts ? ` (${[details.join(', '), counts].filter((x) => x).join('; ')})` : ''}`;
}

export function datasetKey(d: { name: string; version: string }): string {
  return `${d.name}@${d.version}`;
}

/** Drops undefined properties so that optional fields are absent, not `undefined`, in documents. */
export function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function joinDatasets(version: Version, records: Dataset[], warnings: string[]): DatasetFacts[] {
  const byKey = new Map<string, DatasetFacts>();
  for (const link of version.datasets) {
    const key = datasetKey(link);
    const existing = byKey.get(key);
    if (existing) {
      if (!existing.relations.includes(link.relation)) existing.relations.push(link.relation);
      continue;
    }
    const record = records.find((r) => r.name === link.name && r.version === link.version) ?? null;
    if (!record) warnings.push(`dataset ${key}: full record not given (input.datasets); only the version's link (licence, sensitivity) is used`);
    byKey.set(key, { name: link.name, version: link.version, relations: [link.relation], license: link.license, sensitivity: link.sensitivity, record });
  }
  for (const r of records) {
    if (!byKey.has(datasetKey(r))) warnings.push(`dataset ${datasetKey(r)} was given but the version does not link it; ignored`);
  }
  const out = [...byKey.values()];
  for (const d of out) d.relations.sort();
  return out.sort((a, b) => compareText(a.name, b.name) || compareText(a.version, b.version));
}

function mergeBaseModels(version: Version, given: BaseModelRef[], warnings: string[]): BaseModelRef[] {
  const out = new Map<string, BaseModelRef>();
  for (const b of given) if (!out.has(b.ref)) out.set(b.ref, b);
  if (version.baseModel && !out.has(version.baseModel)) {
    warnings.push(`base model ${version.baseModel}: not in input.baseModels, so its manifest digest is unknown`);
    out.set(version.baseModel, { ref: version.baseModel, manifestDigest: null });
  }
  return [...out.values()].sort((a, b) => compareText(a.ref, b.ref));
}

function versionLine(version: Version, given: VersionSummary[]): VersionSummary[] {
  const byVersion = new Map<string, VersionSummary>();
  for (const v of given) byVersion.set(v.version, v);
  if (!byVersion.has(version.version)) {
    const { id, manifestDigest, fileCount, totalSize, rings, createdAt, createdBy } = version;
    byVersion.set(version.version, { id, version: version.version, manifestDigest, fileCount, totalSize, rings, createdAt, createdBy });
  }
  return [...byVersion.values()].sort(compareVersions);
}

export function compareVersions(a: { version: string; createdAt: string }, b: { version: string; createdAt: string }): number {
  try {
    return semverCompare(a.version, b.version);
  } catch {
    // Not semantic versions (older records): creation order is the next best.
    return compareText(a.createdAt, b.createdAt) || compareText(a.version, b.version);
  }
}

/** Code-unit order: locale-independent, so output is the same on every machine. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sectionTexts(cardText: string): CardSectionText[] {
  const parsed = parseModelCard(cardText);
  // Same normalisation as the parser, so its 1-based heading lines index these lines.
  const lines = (cardText.charCodeAt(0) === 0xfeff ? cardText.slice(1) : cardText).replace(/\r\n?/g, '\n').split('\n');
  const out: CardSectionText[] = [];
  const open: CardSectionText[] = [];
  parsed.sections.forEach((s, i) => {
    const next = parsed.sections[i + 1]?.line ?? lines.length + 1;
    let body = lines.slice(s.line, next - 1);
    // A setext heading's underline is the line after its title.
    if (!/^ {0,3}#/.test(lines[s.line - 1] ?? '') && /^ {0,3}(=+|-+)[ \t]*$/.test(body[0] ?? '')) body = body.slice(1);
    let text = body.join('\n').trim();
    if (PLACEHOLDER.test(text)) text = '';
    while (open.length > 0 && open[open.length - 1]!.level >= s.level) open.pop();
    const parentKind = open.length > 0 ? open[open.length - 1]!.effectiveKind : null;
    const section: CardSectionText = { title: s.title, level: s.level, kind: s.kind, effectiveKind: s.kind ?? parentKind, text };
    open.push(section);
    out.push(section);
  });
  return out;
}
