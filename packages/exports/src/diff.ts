/**
 * What changed between two versions of a model, structurally: files by digest (renames found by
 * equal content), card fields, metrics, licences, datasets, base model and source. The changelog
 * and the Annex IV change history render it; promotion requests reuse it.
 */
import type { Version } from '@steward/domain';
import { cardMetadataOf, compareText, flattenMetrics, metricSlice, type MetricFacts } from './evidence.js';

export interface FileState {
  path: string;
  sha256: string;
  size: number;
}

export interface FileChange {
  path: string;
  from: { sha256: string; size: number };
  to: { sha256: string; size: number };
}

export interface FileRename {
  from: string;
  to: string;
  sha256: string;
  size: number;
}

/** A card front matter field; lists compare as lists (order included). */
export interface CardFieldChange {
  field: 'license' | 'licenseName' | 'licenseLink' | 'libraryName' | 'pipelineTag' | 'language' | 'tags' | 'datasets' | 'metrics' | 'baseModels';
  from: string | string[] | null;
  to: string | string[] | null;
}

export interface MetricValue {
  /** Stable identity: metric type and name, task, dataset, config, split, revision. */
  key: string;
  /** "accuracy on IMDb (split test)". */
  label: string;
  value: string;
}

export interface MetricChange {
  key: string;
  label: string;
  from: string;
  to: string;
}

export interface DatasetState {
  name: string;
  version: string;
  relations: ('trained_on' | 'evaluated_on')[];
  license: string;
  sensitivity: string;
}

export interface DatasetChange {
  /** `name@version`. */
  dataset: string;
  field: 'relations' | 'license' | 'sensitivity';
  from: string;
  to: string;
}

export interface VersionDiff {
  from: string;
  to: string;
  manifest: { from: string; to: string; changed: boolean };
  files: { added: FileState[]; removed: FileState[]; changed: FileChange[]; renamed: FileRename[]; unchanged: number };
  card: {
    digest: { from: string | null; to: string | null };
    fields: CardFieldChange[];
    sectionsAdded: string[];
    sectionsRemoved: string[];
  };
  metrics: { added: MetricValue[]; removed: MetricValue[]; changed: MetricChange[] };
  /** The model licence (card front matter) when it changed; dataset licence changes are in datasets.changed. */
  license: { from: string | null; to: string | null } | null;
  datasets: {
    added: DatasetState[];
    removed: DatasetState[];
    /** Same dataset name, another version: one removed and one added of that name. */
    upgraded: { name: string; from: string; to: string }[];
    changed: DatasetChange[];
  };
  baseModel: { from: string | null; to: string | null } | null;
  source: { from: { repo: string | null; commit: string | null }; to: { repo: string | null; commit: string | null } } | null;
  /** False when the two versions have the same manifest, card, lineage and source. */
  hasChanges: boolean;
}

const CARD_FIELDS: CardFieldChange['field'][] = ['license', 'licenseName', 'licenseLink', 'libraryName', 'pipelineTag', 'language', 'tags', 'datasets', 'metrics', 'baseModels'];

export function diffVersions(a: Version, b: Version): VersionDiff {
  const files = diffFiles(a.manifest.files, b.manifest.files);
  const metaA = cardMetadataOf(a).metadata;
  const metaB = cardMetadataOf(b).metadata;

  const fields: CardFieldChange[] = [];
  for (const field of CARD_FIELDS) {
    const from = (metaA[field] as string | string[] | undefined) ?? null;
    const to = (metaB[field] as string | string[] | undefined) ?? null;
    const empty = (v: string | string[] | null) => v === null || (Array.isArray(v) && v.length === 0);
    if (empty(from) && empty(to)) continue;
    if (JSON.stringify(from) !== JSON.stringify(to)) fields.push({ field, from, to });
  }
  const titles = (v: Version) => new Set((v.card?.sections ?? []).map((s) => s.title));
  const ta = titles(a);
  const tb = titles(b);

  const metrics = diffMetrics(flattenMetrics(metaA), flattenMetrics(metaB));
  const license = (metaA.license ?? null) !== (metaB.license ?? null) ? { from: metaA.license ?? null, to: metaB.license ?? null } : null;
  const datasets = diffDatasets(a.datasets, b.datasets);
  const baseModel = a.baseModel !== b.baseModel ? { from: a.baseModel, to: b.baseModel } : null;
  const source =
    a.sourceRepo !== b.sourceRepo || a.sourceCommit !== b.sourceCommit
      ? { from: { repo: a.sourceRepo, commit: a.sourceCommit }, to: { repo: b.sourceRepo, commit: b.sourceCommit } }
      : null;
  const cardDigest = { from: a.card?.sha256 ?? null, to: b.card?.sha256 ?? null };

  const diff: VersionDiff = {
    from: a.version,
    to: b.version,
    manifest: { from: a.manifestDigest, to: b.manifestDigest, changed: a.manifestDigest !== b.manifestDigest },
    files,
    card: {
      digest: cardDigest,
      fields,
      sectionsAdded: [...tb].filter((t) => !ta.has(t)).sort(compareText),
      sectionsRemoved: [...ta].filter((t) => !tb.has(t)).sort(compareText),
    },
    metrics,
    license,
    datasets,
    baseModel,
    source,
    hasChanges: false,
  };
  diff.hasChanges =
    diff.manifest.changed ||
    cardDigest.from !== cardDigest.to ||
    datasets.added.length + datasets.removed.length + datasets.changed.length > 0 ||
    baseModel !== null ||
    source !== null;
  return diff;
}

function diffFiles(before: FileState[], after: FileState[]): VersionDiff['files'] {
  const a = new Map(before.map((f) => [f.path, f]));
  const b = new Map(after.map((f) => [f.path, f]));
  const added: FileState[] = [];
  const removed: FileState[] = [];
  const changed: FileChange[] = [];
  let unchanged = 0;
  for (const f of after) {
    const old = a.get(f.path);
    if (!old) added.push(pick(f));
    else if (old.sha256 !== f.sha256) changed.push({ path: f.path, from: { sha256: old.sha256, size: old.size }, to: { sha256: f.sha256, size: f.size } });
    else unchanged++;
  }
  for (const f of before) if (!b.has(f.path)) removed.push(pick(f));

  // Same bytes under a new path is a rename, not a removal and an addition.
  const renamed: FileRename[] = [];
  for (const r of [...removed].sort(byPath)) {
    const i = added.findIndex((x) => x.sha256 === r.sha256);
    if (i < 0) continue;
    const [to] = added.splice(i, 1);
    removed.splice(removed.indexOf(r), 1);
    renamed.push({ from: r.path, to: to!.path, sha256: r.sha256, size: r.size });
  }
  return { added: added.sort(byPath), removed: removed.sort(byPath), changed: changed.sort(byPath), renamed, unchanged };
}

function diffMetrics(before: MetricFacts[], after: MetricFacts[]): VersionDiff['metrics'] {
  const values = (ms: MetricFacts[]) => {
    const out = new Map<string, MetricValue>();
    for (const m of ms) {
      const key = [m.modelName, m.taskType, m.datasetType ?? '', m.datasetName ?? '', m.config ?? '', m.split ?? '', m.revision ?? '', m.type, m.name ?? ''].join('|');
      if (!out.has(key)) out.set(key, { key, label: `${m.name ?? m.type} on ${metricSlice(m)}`, value: String(m.value) });
    }
    return out;
  };
  const a = values(before);
  const b = values(after);
  const added = [...b.values()].filter((m) => !a.has(m.key));
  const removed = [...a.values()].filter((m) => !b.has(m.key));
  const changed: MetricChange[] = [];
  for (const m of b.values()) {
    const old = a.get(m.key);
    if (old && old.value !== m.value) changed.push({ key: m.key, label: m.label, from: old.value, to: m.value });
  }
  const byKey = (x: { key: string }, y: { key: string }) => compareText(x.key, y.key);
  return { added: added.sort(byKey), removed: removed.sort(byKey), changed: changed.sort(byKey) };
}

function datasetStates(links: Version['datasets']): Map<string, DatasetState> {
  const out = new Map<string, DatasetState>();
  for (const l of links) {
    const key = `${l.name}@${l.version}`;
    const s = out.get(key);
    if (s) {
      if (!s.relations.includes(l.relation)) s.relations.push(l.relation);
    } else out.set(key, { name: l.name, version: l.version, relations: [l.relation], license: l.license, sensitivity: l.sensitivity });
  }
  for (const s of out.values()) s.relations.sort();
  return out;
}

function diffDatasets(before: Version['datasets'], after: Version['datasets']): VersionDiff['datasets'] {
  const a = datasetStates(before);
  const b = datasetStates(after);
  const key = (d: DatasetState) => `${d.name}@${d.version}`;
  const byKey = (x: DatasetState, y: DatasetState) => compareText(key(x), key(y));
  const added = [...b.values()].filter((d) => !a.has(key(d))).sort(byKey);
  const removed = [...a.values()].filter((d) => !b.has(key(d))).sort(byKey);
  const changed: DatasetChange[] = [];
  for (const d of [...b.values()].sort(byKey)) {
    const old = a.get(key(d));
    if (!old) continue;
    if (old.relations.join() !== d.relations.join()) changed.push({ dataset: key(d), field: 'relations', from: old.relations.join(', '), to: d.relations.join(', ') });
    if (old.license !== d.license) changed.push({ dataset: key(d), field: 'license', from: old.license, to: d.license });
    if (old.sensitivity !== d.sensitivity) changed.push({ dataset: key(d), field: 'sensitivity', from: old.sensitivity, to: d.sensitivity });
  }
  const upgraded: VersionDiff['datasets']['upgraded'] = [];
  for (const add of added) {
    const sameName = removed.filter((r) => r.name === add.name);
    if (sameName.length === 1 && added.filter((x) => x.name === add.name).length === 1) upgraded.push({ name: add.name, from: sameName[0]!.version, to: add.version });
  }
  return { added, removed, upgraded, changed };
}

function pick(f: FileState): FileState {
  return { path: f.path, sha256: f.sha256, size: f.size };
}

function byPath(a: { path: string }, b: { path: string }): number {
  return compareText(a.path, b.path);
}
