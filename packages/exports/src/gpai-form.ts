/**
 * The fields of the Model Documentation Form of the EU General-Purpose AI Code of Practice
 * (transparency chapter) that the registry can answer, each with where the answer came from,
 * and the others left empty with what the provider must supply. The form has no machine-checked
 * required field, so this renderer never throws ExportIncompleteError.
 */
import type { SectionKind } from '@steward/modelcard';
import { renderHtml, renderMarkdown, type Block } from './document.js';
import { gatherEvidence, registryBase, scanSummary, sectionsOf, type Evidence } from './evidence.js';
import type { ExportInput, ExportInputData } from './input.js';
import { formatBytes } from './markdown.js';
import { Warnings, type ExportResult } from './result.js';

export interface GpaiFormField {
  section: string;
  field: string;
  /** The answer; null when the registry does not know it. */
  value: string | null;
  /** Where the value comes from ("registry: version manifest", "model card: Uses"). */
  source: string | null;
  /** What the provider must add or confirm. */
  needed: string | null;
}

export interface GpaiForm {
  title: string;
  generatedAt: string;
  fields: GpaiFormField[];
}

export function toGpaiForm(raw: ExportInputData | ExportInput): ExportResult<GpaiForm> {
  const ev = gatherEvidence(raw);
  const warnings = new Warnings();
  warnings.addAll(ev.warnings);
  return { document: { title: `GPAI Model Documentation Form: ${ev.versionRef}`, generatedAt: ev.generatedAt, fields: gpaiFields(ev) }, warnings: warnings.list() };
}

export function renderGpaiForm(form: GpaiForm, options: { format: 'markdown' | 'html' }): string {
  const blocks: Block[] = [
    { kind: 'heading', level: 1, text: form.title },
    { kind: 'paragraph', text: `Answers from the Steward registry as of ${form.generatedAt}; each names its source. Empty fields need the provider.` },
  ];
  let section = '';
  for (const f of form.fields) {
    if (f.section !== section) {
      section = f.section;
      blocks.push({ kind: 'heading', level: 2, text: section });
    }
    blocks.push({ kind: 'heading', level: 3, text: f.field });
    if (f.value !== null) blocks.push({ kind: 'paragraph', text: f.value });
    if (f.source) blocks.push({ kind: 'paragraph', text: `Source: ${f.source}.` });
    if (f.needed) blocks.push({ kind: 'todo', text: f.needed });
  }
  return options.format === 'html' ? renderHtml(form.title, blocks) : renderMarkdown(blocks);
}

function gpaiFields(ev: Evidence): GpaiFormField[] {
  const { input } = ev;
  const { version } = input;
  const fields: GpaiFormField[] = [];
  const add = (section: string, field: string, value: string | null, source: string | null, needed: string | null = null) =>
    fields.push({ section, field, value, source: value === null ? null : source, needed: value === null ? (needed ?? `the ${field.toLowerCase()}`) : needed });
  const card = (...kinds: SectionKind[]): { text: string; source: string } | null => {
    const found = sectionsOf(ev, ...kinds);
    if (found.length === 0) return null;
    return { text: found.map((s) => s.text).join('\n\n'), source: `model card: ${found.map((s) => s.title).join(', ')}` };
  };

  const GENERAL = 'General information';
  add(GENERAL, 'Provider', input.org, 'registry: organisation', 'confirm the legal name of the provider (the registry holds the organisation name)');
  add(GENERAL, 'Model name', ev.modelRef, 'registry: model');
  add(GENERAL, 'Model versions', ev.versions.map((v) => `${v.version} (${v.createdAt.slice(0, 10)})`).join(', '), 'registry: version line');
  const signatures = (input.signatures ?? []).map((s) => `${s.kind} signature by ${s.signer} (${s.verified ? 'verified' : 'NOT verified'})`);
  add(
    GENERAL,
    'Model authenticity',
    [`Version ${version.version} is identified by its OMS manifest root digest sha256:${version.manifestDigest}.`, signatures.length > 0 ? `Signatures: ${signatures.join('; ')}.` : 'No signature recorded.'].join(' '),
    'registry: version manifest and signatures',
  );
  add(GENERAL, 'Release date', version.createdAt.slice(0, 10), 'registry: date the version was pushed', 'confirm the release date if it differs from the registry date');
  add(GENERAL, 'Union market release date', null, null, 'the date the model was placed on the Union market');
  add(
    GENERAL,
    'Model dependencies',
    ev.baseModels.length > 0 ? ev.baseModels.map((b) => `${b.ref}${b.manifestDigest ? ` (sha256:${b.manifestDigest})` : ''}`).join(', ') : 'None recorded.',
    'registry: base model lineage',
  );

  const PROPS = 'Model properties';
  const arch = card('technical_specifications');
  add(PROPS, 'Model architecture', arch?.text ?? null, arch?.source ?? null, 'a general description of the architecture');
  const design = card('model_details');
  add(PROPS, 'Design specification', design?.text ?? null, design?.source ?? null, 'the key design choices and their rationale');
  add(PROPS, 'Input modalities', ev.task ? ev.task.inputs.join(', ') : null, `model card: pipeline_tag ${ev.metadata.pipelineTag ?? ''}`.trim(), 'the input modalities and maximum input size');
  add(PROPS, 'Output modalities', ev.task ? ev.task.outputs.join(', ') : null, `model card: pipeline_tag ${ev.metadata.pipelineTag ?? ''}`.trim(), 'the output modalities and maximum output size');
  add(PROPS, 'Total model size', null, null, `the number of parameters (the files of this version total ${formatBytes(version.totalSize)})`);

  const DIST = 'Distribution and licence';
  const base = registryBase(ev);
  add(
    DIST,
    'Distribution channels',
    `Steward registry${base ? ` at ${base}` : ''}; deployment rings: ${version.rings.length > 0 ? [...version.rings].sort().join(', ') : 'none'}.`,
    'registry',
    'the distribution channels outside the organisation, if any',
  );
  const license = ev.license
    ? ev.license.kind === 'spdx'
      ? ev.license.expression
      : [ev.license.name ?? 'other', ev.license.link].filter((x) => x).join(', ')
    : null;
  add(DIST, 'Licence', license, 'model card: license', 'the licence under which the model is made available');

  const USE = 'Use';
  const outOfScope = card('out_of_scope_use');
  add(USE, 'Acceptable use policy', outOfScope?.text ?? null, outOfScope?.source ?? null, 'the acceptable use policy');
  const uses = card('intended_use');
  add(USE, 'Intended uses', uses?.text ?? null, uses?.source ?? null, 'the intended uses and the types of AI systems the model can be integrated in');
  const howTo = card('how_to_use');
  add(USE, 'Technical means for integration', howTo?.text ?? (ev.metadata.libraryName ? `Library: ${ev.metadata.libraryName}.` : null), howTo?.source ?? 'model card: library_name', 'the instructions, infrastructure and tools needed to integrate the model');
  add(USE, 'Required hardware', null, null, 'the hardware needed to use the model');

  const TRAIN = 'Training process';
  const training = card('training_procedure');
  add(TRAIN, 'Design specification of the training process', training?.text ?? null, training?.source ?? null, 'the training methodology and the main steps');

  const DATA = 'Data used for training, testing and validation';
  add(
    DATA,
    'Datasets',
    ev.datasets.length > 0 ? ev.datasets.map((d) => `${d.name}@${d.version} (${d.relations.join(', ')}; licence ${d.license}; ${d.sensitivity})`).join('; ') : null,
    'registry: dataset lineage',
    'the datasets used',
  );
  const sources = ev.datasets.filter((d) => d.record).map((d) => `${d.name}: ${d.record!.sourceUri}`);
  add(DATA, 'Data provenance', sources.length > 0 ? sources.join('; ') : null, 'registry: dataset records', 'where the data comes from and how it was obtained');
  const curation = ev.datasets.filter((d) => d.record?.transformScript).map((d) => `${d.name}: ${d.record!.transformScript!.name} (sha256:${d.record!.transformScript!.sha256})`);
  const trainingData = card('training_data');
  add(DATA, 'Data curation', [trainingData?.text, ...curation].filter((x) => x).join('\n\n') || null, [trainingData?.source, curation.length > 0 ? 'registry: transform scripts' : null].filter((x) => x).join('; '), 'the data curation and cleaning methods');
  add(DATA, 'Number of data points', null, null, 'the size of the training, testing and validation data');
  add(DATA, 'Measures against unsuitable data and biases', null, null, 'how unsuitable sources and identifiable biases were detected and handled');

  const COMPUTE = 'Computational resources and energy';
  const energy = card('environmental_impact');
  add(COMPUTE, 'Training compute and energy', energy?.text ?? null, energy?.source ?? null, 'training time, computation (FLOP) and energy used, with the measurement method');

  const SAFETY = 'Integrity';
  add(SAFETY, 'Model scan', scanSummary(version), 'registry: newest scan of the version');
  return fields;
}
