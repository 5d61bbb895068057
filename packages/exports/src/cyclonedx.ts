/**
 * CycloneDX 1.6 ML-BOM (JSON) of one model version.
 *
 * Required by the format: only `bomFormat`, `specVersion` and each component's `type` and `name`,
 * all of which the registry always has, so this renderer never throws ExportIncompleteError;
 * what the registry lacks (licence, card texts, dataset records) is left out and named in warnings.
 *
 * Layout: metadata.component is the model (hashes = OMS manifest root digest), its files are
 * nested components of type `file`, its base models are `pedigree.ancestors`, its source commit
 * is `pedigree.commits`; datasets are top-level components of type `data`, referenced from
 * `modelCard.modelParameters.datasets`.
 */
import type { Dataset } from '@steward/domain';
import type { SectionKind } from '@steward/modelcard';
import {
  blobUrl,
  gatherEvidence,
  metricSlice,
  sectionsOf,
  sectionText,
  scanSummary,
  stripUndefined,
  versionUrl,
  type DatasetFacts,
  type Evidence,
} from './evidence.js';
import { modelPurl, registryRefPurl, uuidFromSeed } from './ids.js';
import type { ExportInput, ExportInputData } from './input.js';
import { Warnings, type ExportResult } from './result.js';

export const CYCLONEDX_SPEC_VERSION = '1.6' as const;

export interface CdxHash {
  alg: 'SHA-256';
  content: string;
}
export interface CdxProperty {
  name: string;
  value: string;
}
export type CdxLicenseChoice = [{ expression: string }] | { license: { name: string; url?: string } }[];
export interface CdxExternalReference {
  type: 'vcs' | 'distribution' | 'model-card' | 'website';
  url: string;
  comment?: string;
}
export interface CdxComponent {
  type: 'machine-learning-model' | 'data' | 'file' | 'application';
  'bom-ref'?: string;
  supplier?: { name: string };
  group?: string;
  name: string;
  version?: string;
  description?: string;
  hashes?: CdxHash[];
  licenses?: CdxLicenseChoice;
  purl?: string;
  externalReferences?: CdxExternalReference[];
  pedigree?: { ancestors?: CdxComponent[]; commits?: { uid: string; url?: string }[] };
  components?: CdxComponent[];
  modelCard?: CdxModelCard;
  data?: CdxComponentData[];
  tags?: string[];
  properties?: CdxProperty[];
}
export interface CdxComponentData {
  type: 'dataset';
  name: string;
  contents?: { url: string };
  classification?: string;
  description?: string;
  governance?: {
    owners?: { organization: { name: string } }[];
    stewards?: { contact: { name: string } }[];
  };
}
export interface CdxModelCard {
  'bom-ref': string;
  modelParameters?: {
    task?: string;
    datasets?: { ref: string }[];
    inputs?: { format: string }[];
    outputs?: { format: string }[];
  };
  quantitativeAnalysis?: { performanceMetrics: { type: string; value: string; slice?: string }[] };
  considerations?: {
    useCases?: string[];
    technicalLimitations?: string[];
    performanceTradeoffs?: string[];
    ethicalConsiderations?: { name: string }[];
    environmentalConsiderations?: { properties: CdxProperty[] };
  };
  properties?: CdxProperty[];
}
export interface CycloneDxBom {
  $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json';
  bomFormat: 'CycloneDX';
  specVersion: typeof CYCLONEDX_SPEC_VERSION;
  serialNumber: string;
  version: 1;
  metadata: {
    timestamp: string;
    lifecycles: { phase: 'post-build' }[];
    tools: { components: CdxComponent[] };
    supplier: { name: string };
    component: CdxComponent;
  };
  components: CdxComponent[];
}

export function toCycloneDx(raw: ExportInputData | ExportInput): ExportResult<CycloneDxBom> {
  const ev = gatherEvidence(raw);
  const warnings = new Warnings();
  warnings.addAll(ev.warnings);
  const { input } = ev;
  const { model, version } = input;

  const modelRef = modelPurl(input.org, model.name, version.version, version.manifestDigest);
  const datasetRef = (d: { name: string; version: string }) => `dataset:${input.org}/${d.name}@${d.version}`;

  const files: CdxComponent[] = version.manifest.files.map((f) => ({
    type: 'file',
    'bom-ref': `${modelRef}#file:${f.path}`,
    name: f.path,
    hashes: [{ alg: 'SHA-256', content: f.sha256 }],
    properties: [{ name: 'steward:file:size', value: String(f.size) }],
  }));

  const ancestors: CdxComponent[] = ev.baseModels.map((b) => {
    const parts = /^([^/@\s]+)\/([^/@\s]+)@([^@/\s]+)$/.exec(b.ref);
    const purl = registryRefPurl(b.ref, b.manifestDigest);
    return stripUndefined({
      type: 'machine-learning-model' as const,
      'bom-ref': `base-model:${b.ref}`,
      group: parts?.[1],
      name: parts?.[2] ?? b.ref,
      version: parts?.[3],
      hashes: b.manifestDigest ? [{ alg: 'SHA-256' as const, content: b.manifestDigest }] : undefined,
      purl: purl ?? undefined,
    });
  });
  for (const b of ev.baseModels) if (!b.manifestDigest) warnings.add(`base model ${b.ref}: no manifest digest, so its ancestor component has no hash`);

  const commits = version.sourceCommit ? [stripUndefined({ uid: version.sourceCommit, url: version.sourceRepo ?? undefined })] : [];

  const externalReferences: CdxExternalReference[] = [];
  if (version.sourceRepo) {
    externalReferences.push(stripUndefined({ type: 'vcs' as const, url: version.sourceRepo, comment: version.sourceCommit ? `commit ${version.sourceCommit}` : undefined }));
  }
  const vUrl = versionUrl(ev);
  if (vUrl) externalReferences.push({ type: 'distribution', url: vUrl, comment: 'Steward registry: manifest and files of this version' });
  const cardUrl = version.card ? blobUrl(ev, version.card.sha256) : null;
  if (cardUrl && version.card) externalReferences.push({ type: 'model-card', url: cardUrl, comment: version.card.path });

  const licenses = modelLicenses(ev);
  const tags = uniqueSorted([...model.tags, ...ev.metadata.tags]);

  const component: CdxComponent = stripUndefined({
    type: 'machine-learning-model' as const,
    'bom-ref': modelRef,
    supplier: { name: input.org },
    group: input.org,
    name: model.name,
    version: version.version,
    description: model.description || undefined,
    hashes: [{ alg: 'SHA-256' as const, content: version.manifestDigest }],
    licenses,
    purl: modelRef,
    externalReferences: externalReferences.length > 0 ? externalReferences : undefined,
    pedigree: ancestors.length > 0 || commits.length > 0 ? stripUndefined({ ancestors: nonEmpty(ancestors), commits: nonEmpty(commits) }) : undefined,
    components: files,
    modelCard: modelCard(ev, modelRef, datasetRef),
    tags: nonEmpty(tags),
    properties: modelProperties(ev),
  });

  const datasetComponents = ev.datasets.map((d) => datasetComponent(ev, d, datasetRef(d)));

  const body: CycloneDxBom = {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json' as const,
    bomFormat: 'CycloneDX' as const,
    specVersion: CYCLONEDX_SPEC_VERSION,
    serialNumber: '',
    version: 1 as const,
    metadata: {
      timestamp: ev.generatedAt,
      lifecycles: [{ phase: 'post-build' as const }],
      tools: { components: [{ type: 'application' as const, name: input.tool.name, version: input.tool.version }] },
      supplier: { name: input.org },
      component,
    },
    components: datasetComponents,
  };
  // The serial number names this exact document: derived from its content, not random.
  body.serialNumber = `urn:uuid:${uuidFromSeed(JSON.stringify(body))}`;
  return { document: body, warnings: warnings.list() };
}

function modelLicenses(ev: Evidence): CdxLicenseChoice | undefined {
  if (!ev.license) return undefined;
  if (ev.license.kind === 'spdx') return [{ expression: ev.license.expression }];
  return [{ license: stripUndefined({ name: ev.license.name ?? 'other', url: ev.license.link }) }];
}

function datasetLicenses(license: string): CdxLicenseChoice {
  return license.toLowerCase() === 'other' ? [{ license: { name: 'other (see the dataset source)' } }] : [{ expression: license }];
}

function modelCard(ev: Evidence, modelRef: string, datasetRef: (d: DatasetFacts) => string): CdxModelCard {
  const card: CdxModelCard = { 'bom-ref': `${modelRef}#model-card` };

  const params = stripUndefined({
    task: ev.metadata.pipelineTag,
    datasets: nonEmpty(ev.datasets.map((d) => ({ ref: datasetRef(d) }))),
    inputs: nonEmpty((ev.task?.inputs ?? []).map((format) => ({ format }))),
    outputs: nonEmpty((ev.task?.outputs ?? []).map((format) => ({ format }))),
  });
  if (Object.keys(params).length > 0) card.modelParameters = params;

  if (ev.metrics.length > 0) {
    card.quantitativeAnalysis = { performanceMetrics: ev.metrics.map((m) => ({ type: m.type, value: String(m.value), slice: metricSlice(m) })) };
  }

  const texts = (kind: SectionKind) => sectionsOf(ev, kind).map((s) => s.text);
  const environmental = sectionText(ev, 'environmental_impact');
  const considerations = stripUndefined({
    useCases: nonEmpty(texts('intended_use')),
    technicalLimitations: nonEmpty(texts('limitations')),
    ethicalConsiderations: nonEmpty(texts('ethical_considerations').map((name) => ({ name }))),
    environmentalConsiderations: environmental ? { properties: [{ name: 'steward:card:environmental_impact', value: environmental }] } : undefined,
  });
  if (Object.keys(considerations).length > 0) card.considerations = considerations;

  // Card facts CycloneDX has no field for; kept rather than dropped.
  const properties: CdxProperty[] = [];
  const outOfScope = sectionText(ev, 'out_of_scope_use');
  if (outOfScope) properties.push({ name: 'steward:card:out_of_scope_use', value: outOfScope });
  const training = sectionText(ev, 'training_data', 'training_procedure');
  if (training) properties.push({ name: 'steward:card:training', value: training });
  if (ev.metadata.libraryName) properties.push({ name: 'steward:card:library_name', value: ev.metadata.libraryName });
  for (const lang of ev.metadata.language) properties.push({ name: 'steward:card:language', value: lang });
  if (properties.length > 0) card.properties = properties;
  return card;
}

function datasetComponent(ev: Evidence, d: DatasetFacts, ref: string): CdxComponent {
  const r: Dataset | null = d.record;
  const digest = r?.digest?.startsWith('sha256:') ? r.digest.slice('sha256:'.length) : null;
  const governance = r
    ? stripUndefined({
        owners: [{ organization: { name: ev.input.org } }],
        stewards: r.approvedBy ? [{ contact: { name: r.approvedBy } }] : undefined,
      })
    : undefined;
  const properties: CdxProperty[] = d.relations.map((rel) => ({ name: 'steward:dataset:relation', value: rel }));
  if (r?.transformScript) {
    properties.push({ name: 'steward:dataset:transformScript', value: `${r.transformScript.name} sha256:${r.transformScript.sha256} (${r.transformScript.size} bytes)` });
  }
  if (r) properties.push({ name: 'steward:dataset:registeredAt', value: r.createdAt }, { name: 'steward:dataset:registeredBy', value: r.createdBy });
  return stripUndefined({
    type: 'data' as const,
    'bom-ref': ref,
    group: ev.input.org,
    name: d.name,
    version: d.version,
    description: r?.description || undefined,
    hashes: digest ? [{ alg: 'SHA-256' as const, content: digest }] : undefined,
    licenses: datasetLicenses(d.license),
    externalReferences: r ? [{ type: 'distribution' as const, url: r.sourceUri }] : undefined,
    data: [
      stripUndefined({
        type: 'dataset' as const,
        name: d.name,
        contents: r ? { url: r.sourceUri } : undefined,
        classification: d.sensitivity,
        description: r?.description || undefined,
        governance,
      }),
    ],
    properties,
  });
}

function modelProperties(ev: Evidence): CdxProperty[] {
  const { model, version } = ev.input;
  const props: CdxProperty[] = [
    { name: 'steward:manifest:rootDigest', value: `sha256:${version.manifestDigest}` },
    { name: 'steward:manifest:method', value: 'OMS model signing "files": SHA-256 over the per-file SHA-256 digests in path order' },
    { name: 'steward:version:createdAt', value: version.createdAt },
    { name: 'steward:version:createdBy', value: version.createdBy },
    { name: 'steward:scan', value: scanSummary(version) },
  ];
  if (model.riskTier) props.push({ name: 'steward:riskTier', value: model.riskTier });
  for (const owner of [...model.owners].sort()) props.push({ name: 'steward:owner', value: owner });
  for (const ring of [...version.rings].sort()) props.push({ name: 'steward:ring', value: ring });
  for (const s of ev.input.signatures ?? []) {
    props.push({ name: 'steward:signature', value: `${s.kind} signature by ${s.signer}, ${s.verified ? 'verified' : 'NOT verified'}, bundle sha256:${s.bundleDigest}` });
  }
  for (const p of ev.input.policyResults ?? []) {
    props.push({ name: 'steward:policy', value: `${p.policy}: ${p.outcome}${p.message ? ` (${p.message})` : ''}` });
  }
  for (const a of ev.input.approvals ?? []) props.push({ name: 'steward:approval', value: `${a.subject}: ${a.decision} by ${a.by} at ${a.at}` });
  return props;
}

function nonEmpty<T>(xs: T[]): T[] | undefined {
  return xs.length > 0 ? xs : undefined;
}

function uniqueSorted(xs: string[]): string[] {
  return [...new Set(xs)].sort();
}
