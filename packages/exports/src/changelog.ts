/**
 * A Markdown changelog of a model's version line: newest version first, each with what changed
 * against the version before it (diffVersions). The first version lists what it started with.
 */
import { z } from 'zod';
import { VersionSchema, type Version } from '@steward/domain';
import { diffVersions, type CardFieldChange, type VersionDiff } from './diff.js';
import { compareVersions, cardMetadataOf } from './evidence.js';
import { ExportInputError } from './input.js';
import { formatBytes } from './markdown.js';

const VersionsSchema = z.array(VersionSchema).min(1);

/** `versions` in any order (sorted here by semantic version); all of one model. */
export function changelog(versions: Version[]): string {
  const parsed = VersionsSchema.safeParse(versions);
  if (!parsed.success) {
    throw new ExportInputError(parsed.error.issues.map((i) => ({ path: `versions.${i.path.map(String).join('.')}`, message: i.message })));
  }
  const line = [...parsed.data].sort(compareVersions);
  const first = line[0]!;
  const others = line.filter((v) => v.org !== first.org || v.model !== first.model);
  if (others.length > 0) {
    throw new ExportInputError(others.map((v) => ({ path: `versions[${v.version}]`, message: `is ${v.org}/${v.model}, not ${first.org}/${first.model}` })));
  }

  const out = [`# Changelog: ${first.org}/${first.model}`];
  for (let i = line.length - 1; i >= 0; i--) {
    const v = line[i]!;
    const prev = i > 0 ? line[i - 1]! : null;
    out.push(`## ${v.version} (${v.createdAt.slice(0, 10)}, ${v.createdBy})`);
    out.push(prev ? renderDiff(diffVersions(prev, v)) : renderInitial(v));
  }
  return `${out.join('\n\n')}\n`;
}

/** One version's changes as Markdown (without a heading). */
export function renderDiff(d: VersionDiff): string {
  const head = d.manifest.changed
    ? `Manifest \`sha256:${short(d.manifest.to)}\` (was \`sha256:${short(d.manifest.from)}\`), compared with ${d.from}.`
    : `Same manifest as ${d.from}.`;
  return [head, '', ...changeItems(d).map((i) => `- ${i}`)].join('\n');
}

/** The changes as one line each (`backticks` mark code); also the Annex IV change history. */
export function changeItems(d: VersionDiff): string[] {
  const items: string[] = [];
  for (const f of d.files.added) items.push(`Added file \`${f.path}\` (${formatBytes(f.size)}, sha256 \`${short(f.sha256)}\`)`);
  for (const f of d.files.removed) items.push(`Removed file \`${f.path}\``);
  for (const f of d.files.renamed) items.push(`Renamed \`${f.from}\` to \`${f.to}\` (same content)`);
  for (const f of d.files.changed) {
    items.push(`Changed file \`${f.path}\`: sha256 \`${short(f.from.sha256)}\` → \`${short(f.to.sha256)}\`${f.from.size !== f.to.size ? `, ${sizeChange(f.from.size, f.to.size)}` : ''}`);
  }
  if (d.license) items.push(`Licence: ${d.license.from ?? 'none'} → ${d.license.to ?? 'none'}`);
  for (const f of d.card.fields) if (f.field !== 'license') items.push(`Card \`${CARD_FIELD_NAMES[f.field]}\`: ${value(f.from)} → ${value(f.to)}`);
  for (const t of d.card.sectionsAdded) items.push(`Card section added: ${t}`);
  for (const t of d.card.sectionsRemoved) items.push(`Card section removed: ${t}`);
  for (const m of d.metrics.changed) items.push(`Metric ${m.label}: ${m.from} → ${m.to}`);
  for (const m of d.metrics.added) items.push(`Metric added: ${m.label} = ${m.value}`);
  for (const m of d.metrics.removed) items.push(`Metric removed: ${m.label} (was ${m.value})`);
  const upgradedNames = new Set(d.datasets.upgraded.map((u) => u.name));
  for (const u of d.datasets.upgraded) items.push(`Dataset ${u.name}: ${u.from} → ${u.to}`);
  for (const ds of d.datasets.added) if (!upgradedNames.has(ds.name)) items.push(`Dataset added: ${ds.name}@${ds.version} (${ds.relations.join(', ')}; ${ds.license}; ${ds.sensitivity})`);
  for (const ds of d.datasets.removed) if (!upgradedNames.has(ds.name)) items.push(`Dataset removed: ${ds.name}@${ds.version}`);
  for (const c of d.datasets.changed) items.push(`Dataset ${c.dataset} ${c.field}: ${c.from} → ${c.to}`);
  if (d.baseModel) items.push(`Base model: ${d.baseModel.from ?? 'none'} → ${d.baseModel.to ?? 'none'}`);
  if (d.source) {
    const s = (x: { repo: string | null; commit: string | null }) => [x.repo, x.commit ? `@ ${x.commit}` : null].filter((p) => p).join(' ') || 'none';
    items.push(`Source: ${s(d.source.from)} → ${s(d.source.to)}`);
  }
  if (d.card.digest.from !== d.card.digest.to && d.card.fields.length === 0 && !d.license && d.metrics.added.length + d.metrics.removed.length + d.metrics.changed.length === 0) {
    items.push('Card text changed (front matter unchanged)');
  }
  if (items.length === 0) items.push('No changes');
  return items;
}

function renderInitial(v: Version): string {
  const meta = cardMetadataOf(v).metadata;
  const items = [
    `${v.fileCount} files, ${formatBytes(v.totalSize)}: ${v.manifest.files.map((f) => `\`${f.path}\``).join(', ')}`,
    `Licence: ${meta.license ?? 'none declared'}`,
    ...v.datasets.map((d) => `Dataset: ${d.name}@${d.version} (${d.relation}; ${d.license})`),
    ...(v.baseModel ? [`Base model: ${v.baseModel}`] : []),
    ...(v.sourceRepo || v.sourceCommit ? [`Source: ${[v.sourceRepo, v.sourceCommit ? `@ ${v.sourceCommit}` : null].filter((p) => p).join(' ')}`] : []),
  ];
  return [`First version. Manifest \`sha256:${short(v.manifestDigest)}\`.`, '', ...items.map((i) => `- ${i}`)].join('\n');
}

const CARD_FIELD_NAMES: Record<CardFieldChange['field'], string> = {
  license: 'license',
  licenseName: 'license_name',
  licenseLink: 'license_link',
  libraryName: 'library_name',
  pipelineTag: 'pipeline_tag',
  language: 'language',
  tags: 'tags',
  datasets: 'datasets',
  metrics: 'metrics',
  baseModels: 'base_model',
};

function value(v: string | string[] | null): string {
  if (v === null) return 'none';
  return Array.isArray(v) ? (v.length > 0 ? v.join(', ') : 'none') : v;
}

/** Rounded sizes when they differ visibly, exact bytes when rounding would hide the change. */
function sizeChange(from: number, to: number): string {
  const a = formatBytes(from);
  const b = formatBytes(to);
  return a !== b ? `${a} → ${b}` : `${from} → ${to} bytes`;
}

/** Digests shortened for reading; the full digests are in the manifests. */
function short(sha256: string): string {
  return sha256.slice(0, 12);
}
