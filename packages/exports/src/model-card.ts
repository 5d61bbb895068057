/**
 * A Hugging Face model card (README.md) regenerated from the registry: YAML front matter with the
 * Hub's fields, body sections in the Hub template's order filled from the card's own sections and
 * the registry's records, and a Steward provenance section (digests, scan, signatures).
 *
 * Hugging Face requires no field, so this renderer never throws ExportIncompleteError; a missing
 * licence is a warning and a section without text says "[More Information Needed]", as the
 * Hub's template does.
 *
 * Front matter rules: `datasets` and `base_model` are the card's (Hub ids) when it lists any,
 * otherwise the registry's dataset names and base model refs (ORG/NAME, without the version);
 * `tags` are the card's followed by the model's registry tags; model-index is the card's.
 */
import { stringify } from 'yaml';
import type { SectionKind } from '@steward/modelcard';
import { gatherEvidence, metricSlice, scanSummary, sectionsOf, stripUndefined, type DatasetFacts, type Evidence } from './evidence.js';
import type { ExportInput, ExportInputData } from './input.js';
import { formatBytes, table } from './markdown.js';
import { Warnings, type ExportResult } from './result.js';

const MORE_INFO = '[More Information Needed]';

export function toModelCard(raw: ExportInputData | ExportInput): ExportResult<string> {
  const ev = gatherEvidence(raw);
  const warnings = new Warnings();
  warnings.addAll(ev.warnings);
  const front = frontMatter(ev);
  const body = bodySections(ev).join('\n\n');
  const yaml = stringify(front, { lineWidth: 0 }).trimEnd();
  return { document: `---\n${yaml}\n---\n\n${body}\n`, warnings: warnings.list() };
}

function frontMatter(ev: Evidence): Record<string, unknown> {
  const md = ev.metadata;
  const fm: Record<string, unknown> = {};
  if (md.language.length > 0) fm.language = md.language;
  if (ev.license?.kind === 'spdx') fm.license = ev.license.expression;
  if (ev.license?.kind === 'other') {
    fm.license = 'other';
    if (ev.license.name) fm.license_name = ev.license.name;
    if (ev.license.link) fm.license_link = ev.license.link;
  }
  if (md.libraryName) fm.library_name = md.libraryName;
  if (md.pipelineTag) fm.pipeline_tag = md.pipelineTag;
  const tags = [...new Set([...md.tags, ...ev.input.model.tags])];
  if (tags.length > 0) fm.tags = tags;
  const datasets = md.datasets.length > 0 ? md.datasets : [...new Set(ev.datasets.map((d) => d.name))];
  if (datasets.length > 0) fm.datasets = datasets;
  if (md.metrics.length > 0) fm.metrics = md.metrics;
  const baseModels = md.baseModels.length > 0 ? md.baseModels : [...new Set(ev.baseModels.map((b) => b.ref.replace(/@[^@/]+$/, '')))];
  if (baseModels.length === 1) fm.base_model = baseModels[0];
  else if (baseModels.length > 1) fm.base_model = baseModels;
  if (md.modelIndex.length > 0) {
    // Key order as the Hub writes it; absent fields stay absent.
    fm['model-index'] = md.modelIndex.map((entry) => ({
      name: entry.name,
      results: entry.results.map((r) =>
        stripUndefined({
          task: stripUndefined({ type: r.task.type, name: r.task.name }),
          dataset: r.dataset ? stripUndefined({ type: r.dataset.type, name: r.dataset.name, config: r.dataset.config, split: r.dataset.split, revision: r.dataset.revision }) : undefined,
          metrics: r.metrics.map((m) => stripUndefined({ type: m.type, value: m.value, name: m.name, verified: m.verified })),
          source: r.source ? stripUndefined({ name: r.source.name, url: r.source.url }) : undefined,
        }),
      ),
    }));
  }
  return fm;
}

function bodySections(ev: Evidence): string[] {
  const { model, version } = ev.input;
  const out: string[] = [`# ${model.name}`];
  if (model.description) out.push(model.description);
  // The card's own introduction (text under its title), when it says more than the registry's description.
  for (const s of ev.sections) if (s.level === 1 && s.effectiveKind === null && s.text !== '' && s.text !== model.description) out.push(s.text);

  const details = [
    `- **Provider:** ${ev.input.org}`,
    model.owners.length > 0 ? `- **Owners:** ${model.owners.join(', ')}` : null,
    `- **Model version:** ${version.version}`,
    `- **License:** ${licenseText(ev)}`,
    ev.baseModels.length > 0 ? `- **Finetuned from:** ${ev.baseModels.map((b) => b.ref).join(', ')}` : null,
    version.sourceRepo ? `- **Repository:** ${version.sourceRepo}${version.sourceCommit ? ` (commit ${version.sourceCommit})` : ''}` : null,
    model.riskTier ? `- **EU AI Act risk tier (registry):** ${model.riskTier}` : null,
  ].filter((l) => l !== null);
  out.push('## Model Details', '### Model Description', [cardText(ev, 'model_details'), `From the registry:\n\n${details.join('\n')}`].filter((t) => t).join('\n\n'));

  out.push('## Uses', '### Direct Use', cardText(ev, 'intended_use') ?? MORE_INFO, '### Out-of-Scope Use', cardText(ev, 'out_of_scope_use') ?? MORE_INFO);
  const howTo = cardText(ev, 'how_to_use');
  if (howTo) out.push('## How to Get Started with the Model', howTo);

  out.push('## Bias, Risks, and Limitations', cardText(ev, 'limitations') ?? MORE_INFO);
  const ethics = cardText(ev, 'ethical_considerations');
  if (ethics) out.push('### Ethical Considerations', ethics);

  const trained = ev.datasets.filter((d) => d.relations.includes('trained_on'));
  out.push('## Training Details', '### Training Data', joinText(cardText(ev, 'training_data'), datasetTable(trained)) ?? MORE_INFO);
  out.push('### Training Procedure', cardText(ev, 'training_procedure') ?? MORE_INFO);

  const tested = ev.datasets.filter((d) => d.relations.includes('evaluated_on'));
  out.push('## Evaluation', cardText(ev, 'evaluation') ?? MORE_INFO);
  if (tested.length > 0) out.push('### Testing Data', datasetTable(tested)!);
  const factors = cardText(ev, 'factors');
  if (factors) out.push('### Factors', factors);
  if (ev.metrics.length > 0) {
    out.push(
      '### Results',
      table(
        ['Task', 'Dataset', 'Metric', 'Value', 'Verified'],
        ev.metrics.map((m) => [m.taskName ?? m.taskType, metricSlice(m), m.name ?? m.type, String(m.value), m.verified === undefined ? '' : m.verified ? 'yes' : 'no']),
      ),
    );
  }

  out.push('## Environmental Impact', cardText(ev, 'environmental_impact') ?? MORE_INFO);
  out.push('## Technical Specifications', cardText(ev, 'technical_specifications') ?? MORE_INFO);
  out.push('## Citation', cardText(ev, 'citation') ?? MORE_INFO);

  // Sections the Hub template has no place for are kept, not dropped.
  const other = ev.sections.filter((s) => s.effectiveKind === null && s.text !== '' && s.level > 1);
  if (other.length > 0) {
    out.push('## Additional Information');
    for (const s of other) out.push(`### ${s.title}`, s.text);
  }

  out.push('## Steward Provenance', provenance(ev));
  return out;
}

function provenance(ev: Evidence): string {
  const { version, tool } = ev.input;
  const lines = [
    `- **Registry version:** ${ev.versionRef}`,
    `- **Manifest root digest:** \`sha256:${version.manifestDigest}\` (OMS model signing, method \`files\`)`,
    `- **Files:** ${version.fileCount}, ${formatBytes(version.totalSize)}`,
    `- **Scan:** ${scanSummary(version)}`,
  ];
  for (const s of ev.input.signatures ?? []) lines.push(`- **Signature:** ${s.kind}, ${s.signer}, ${s.verified ? 'verified' : 'NOT verified'} (bundle \`sha256:${s.bundleDigest}\`)`);
  if (version.rings.length > 0) lines.push(`- **Rings:** ${[...version.rings].sort().join(', ')}`);
  lines.push(`- **Pushed:** ${version.createdAt} by ${version.createdBy}`);
  const files = table(
    ['File', 'Size', 'SHA-256'],
    version.manifest.files.map((f) => [f.path, String(f.size), `\`${f.sha256}\``]),
  );
  return `${lines.join('\n')}\n\n${files}\n\n_Regenerated by ${tool.name} ${tool.version} at ${ev.generatedAt} from the registry's records._`;
}

function licenseText(ev: Evidence): string {
  if (!ev.license) return MORE_INFO;
  if (ev.license.kind === 'spdx') return ev.license.expression;
  return [ev.license.name ?? 'other', ev.license.link ? `(${ev.license.link})` : null].filter((t) => t).join(' ');
}

/** The card's text for a kind; several sections of the kind keep their titles in bold. */
function cardText(ev: Evidence, kind: SectionKind): string | null {
  const found = sectionsOf(ev, kind);
  if (found.length === 0) return null;
  if (found.length === 1) return found[0]!.text;
  return found.map((s) => `**${s.title}**\n\n${s.text}`).join('\n\n');
}

function datasetTable(datasets: DatasetFacts[]): string | null {
  if (datasets.length === 0) return null;
  return `Registry lineage:\n\n${table(
    ['Dataset', 'Version', 'License', 'Sensitivity', 'Source'],
    datasets.map((d) => [d.name, d.version, d.license, d.sensitivity, d.record?.sourceUri ?? '']),
  )}`;
}

function joinText(...parts: (string | null)[]): string | null {
  const kept = parts.filter((p): p is string => p !== null && p !== '');
  return kept.length > 0 ? kept.join('\n\n') : null;
}

