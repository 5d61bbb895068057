/**
 * SPDX 3.0.1 JSON-LD (profiles Core, Software, SimpleLicensing, AI, Dataset) of one model version.
 *
 * Serialisation follows the 3.0.1 JSON-LD context: Core classes and properties unprefixed
 * (`Relationship`, `spdxId`, `verifiedUsing`), other profiles prefixed with the lowercase profile
 * name (`ai_AIPackage`, `software_packageVersion`, `dataset_datasetType`); vocabulary values by
 * entry name (`sha256`, `trainedOn`); properties without a maxCount of 1 are arrays.
 *
 * Required and not always in the registry, so ExportIncompleteError is thrown when missing:
 * - the AIPackage's `software_downloadLocation`: from `registryUrl`, else `version.sourceRepo`;
 * - each DatasetPackage's `software_downloadLocation`, `releaseTime`, `builtTime`, `originatedBy`:
 *   from the full dataset record (`input.datasets`).
 * Steward records declared licences but concludes none, so every `hasConcludedLicense` points at
 * NoAssertionLicense (the AI and Dataset profiles require one per package).
 */
import type { Dataset } from '@steward/domain';
import {
  gatherEvidence,
  metricSlice,
  registryBase,
  scanSummary,
  sectionText,
  stripUndefined,
  versionUrl,
  type DatasetFacts,
  type Evidence,
} from './evidence.js';
import { modelPurl, registryRefPurl } from './ids.js';
import type { ExportInput, ExportInputData } from './input.js';
import type { DataModality } from './pipeline-tasks.js';
import { ExportIncompleteError, Warnings, type ExportResult } from './result.js';

export const SPDX_CONTEXT = 'https://spdx.org/rdf/3.0.1/spdx-context.jsonld';
export const SPDX_SPEC_VERSION = '3.0.1';
/** ExpandedLicensing individual: "the creator makes no assertion about the licence". */
export const NO_ASSERTION_LICENSE = 'expandedlicensing_NoAssertionLicense';

/** One node of the graph; keys are JSON-LD terms of the 3.0.1 context. */
export type SpdxNode = { type: string } & Record<string, unknown>;

export interface SpdxDocument {
  '@context': typeof SPDX_CONTEXT;
  '@graph': SpdxNode[];
}

const CREATION_INFO = '_:creationinfo';

/** SPDX DateTime is UTC to the second: `2025-03-01T12:00:00Z`, no fraction. */
export function spdxDateTime(iso: string): string {
  return new Date(iso).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// The Dataset profile's type for data a model of this modality was trained or tested on.
const DATASET_TYPE: Record<DataModality, string> = {
  text: 'text',
  image: 'image',
  audio: 'audio',
  video: 'video',
  tabular: 'structured',
  environment: 'other',
};

// Steward sensitivity to the Dataset profile's Traffic Light Protocol levels.
const CONFIDENTIALITY: Record<Dataset['sensitivity'], string> = {
  public: 'clear',
  internal: 'green',
  confidential: 'amber',
  restricted: 'red',
};

export function toSpdx(raw: ExportInputData | ExportInput): ExportResult<SpdxDocument> {
  const ev = gatherEvidence(raw);
  const warnings = new Warnings();
  warnings.addAll(ev.warnings);
  const { input } = ev;
  const { model, version } = input;

  const downloadLocation = versionUrl(ev) ?? version.sourceRepo;
  const missing: string[] = [];
  if (!downloadLocation) missing.push('registryUrl or version.sourceRepo (AIPackage software_downloadLocation)');
  for (const d of ev.datasets) {
    if (!d.record) missing.push(`datasets: the record of ${d.name}@${d.version} (DatasetPackage software_downloadLocation, releaseTime, builtTime, originatedBy)`);
  }
  if (missing.length > 0) throw new ExportIncompleteError('spdx', missing);

  const ns = `urn:steward:${encodeURIComponent(input.org)}:${encodeURIComponent(model.name)}:${encodeURIComponent(version.version)}:sha256-${version.manifestDigest}`;
  const id = (local: string) => `${ns}#${local}`;
  const ids = {
    document: id('document'),
    org: id('org'),
    tool: id('tool'),
    model: id('model'),
    modelLicense: id('license-model'),
    dataLicense: id('license-cc0'),
  };
  const base = { creationInfo: CREATION_INFO };
  const graph: SpdxNode[] = [];
  const relationships: SpdxNode[] = [];
  const relate = (from: string, relationshipType: string, to: string[], local: string) => {
    if (to.length > 0) relationships.push({ type: 'Relationship', spdxId: id(`rel-${local}`), ...base, from, relationshipType, to });
  };
  const sha256Hash = (hashValue: string, comment?: string) => stripUndefined({ type: 'Hash', algorithm: 'sha256', hashValue, comment });

  graph.push({
    type: 'CreationInfo',
    '@id': CREATION_INFO,
    specVersion: SPDX_SPEC_VERSION,
    created: spdxDateTime(ev.generatedAt),
    createdBy: [ids.org],
    createdUsing: [ids.tool],
  });
  graph.push({ type: 'Organization', spdxId: ids.org, ...base, name: input.org });
  graph.push({ type: 'Tool', spdxId: ids.tool, ...base, name: `${input.tool.name} ${input.tool.version}` });

  // ---- the model ----
  const trainingText = sectionText(ev, 'training_data', 'training_procedure');
  const trainedOn = ev.datasets.filter((d) => d.relations.includes('trained_on'));
  const applicationText = [ev.metadata.pipelineTag ? `Task: ${ev.metadata.pipelineTag}.` : null, sectionText(ev, 'intended_use'), sectionText(ev, 'how_to_use')]
    .filter((t) => t)
    .join('\n\n');
  const limitationText = [sectionText(ev, 'limitations'), sectionText(ev, 'out_of_scope_use')].filter((t) => t).join('\n\n');
  const externalRef = version.sourceRepo ? [{ type: 'ExternalRef', externalRefType: 'vcs', locator: [version.sourceRepo] }] : undefined;
  graph.push(
    stripUndefined({
      type: 'ai_AIPackage',
      spdxId: ids.model,
      ...base,
      name: model.name,
      description: model.description || undefined,
      comment: model.riskTier ? `EU AI Act risk tier recorded in the registry: ${model.riskTier}.` : undefined,
      verifiedUsing: [sha256Hash(version.manifestDigest, 'OMS model-signing manifest root digest: SHA-256 over the per-file SHA-256 digests in path order')],
      externalRef,
      suppliedBy: ids.org,
      releaseTime: spdxDateTime(version.createdAt),
      software_primaryPurpose: 'model',
      software_packageVersion: version.version,
      software_downloadLocation: downloadLocation!,
      software_packageUrl: modelPurl(input.org, model.name, version.version, version.manifestDigest),
      software_sourceInfo: version.sourceRepo ? `Built from ${version.sourceRepo}${version.sourceCommit ? ` at commit ${version.sourceCommit}` : ''}.` : undefined,
      ai_domain: ev.task ? [ev.task.domain] : undefined,
      ai_informationAboutApplication: applicationText || undefined,
      ai_informationAboutTraining:
        trainingText ?? (trainedOn.length > 0 ? `Trained on ${trainedOn.map((d) => `${d.name}@${d.version}`).join(', ')} (registry lineage).` : undefined),
      ai_limitation: limitationText || undefined,
      ai_metric:
        ev.metrics.length > 0 ? ev.metrics.map((m) => ({ type: 'DictionaryEntry', key: `${m.type} on ${metricSlice(m)}`, value: String(m.value) })) : undefined,
    }),
  );

  // ---- licences ----
  graph.push({ type: 'simplelicensing_LicenseExpression', spdxId: ids.dataLicense, ...base, simplelicensing_licenseExpression: 'CC0-1.0' });
  let modelLicense = NO_ASSERTION_LICENSE;
  if (ev.license?.kind === 'spdx') {
    graph.push({ type: 'simplelicensing_LicenseExpression', spdxId: ids.modelLicense, ...base, simplelicensing_licenseExpression: ev.license.expression });
    modelLicense = ids.modelLicense;
  } else if (ev.license?.kind === 'other') {
    // A licence without an SPDX id is a LicenseRef, mapped to its text's address when the card gives one.
    const ref = `LicenseRef-${(ev.license.name ?? 'other').replace(/[^A-Za-z0-9.-]+/g, '-')}`;
    graph.push(
      stripUndefined({
        type: 'simplelicensing_LicenseExpression',
        spdxId: ids.modelLicense,
        ...base,
        simplelicensing_licenseExpression: ref,
        simplelicensing_customIdToUri: ev.license.link ? [{ type: 'DictionaryEntry', key: ref, value: ev.license.link }] : undefined,
      }),
    );
    modelLicense = ids.modelLicense;
    if (!ev.license.link) warnings.add('the card licence is `other` without `license_link`: the LicenseRef has no text address');
  } else {
    warnings.add('no model licence known: hasDeclaredLicense is NoAssertionLicense');
  }
  relate(ids.model, 'hasDeclaredLicense', [modelLicense], 'model-declared-license');
  relate(ids.model, 'hasConcludedLicense', [NO_ASSERTION_LICENSE], 'model-concluded-license');

  // ---- files ----
  const fileIds = version.manifest.files.map((f) => {
    const fileId = id(`file-${encodeURIComponent(f.path)}`);
    graph.push({ type: 'software_File', spdxId: fileId, ...base, name: f.path, verifiedUsing: [sha256Hash(f.sha256)] });
    return fileId;
  });
  relate(ids.model, 'contains', fileIds, 'model-contains');

  // ---- datasets ----
  const origins = new Map<string, string>();
  const datasetId = (d: DatasetFacts) => id(`dataset-${encodeURIComponent(`${d.name}@${d.version}`)}`);
  for (const d of ev.datasets) {
    const r = d.record!;
    const host = originOf(r.sourceUri);
    let origin = origins.get(host);
    if (!origin) {
      origin = id(`origin-${encodeURIComponent(host)}`);
      origins.set(host, origin);
      graph.push({ type: 'Agent', spdxId: origin, ...base, name: host, comment: 'Where the registry obtained the data (host of its source URI); the original author is not recorded.' });
    }
    warnings.add(`dataset ${d.name}@${d.version}: SPDX requires builtTime and originatedBy, which the registry does not record; builtTime is its registration time and originatedBy the host of its source URI`);
    const digest = r.digest?.startsWith('sha256:') ? r.digest.slice('sha256:'.length) : null;
    const dsId = datasetId(d);
    graph.push(
      stripUndefined({
        type: 'dataset_DatasetPackage',
        spdxId: dsId,
        ...base,
        name: d.name,
        description: r.description || undefined,
        verifiedUsing: digest ? [sha256Hash(digest)] : undefined,
        originatedBy: [origin],
        builtTime: spdxDateTime(r.createdAt),
        releaseTime: spdxDateTime(r.createdAt),
        software_primaryPurpose: 'data',
        software_packageVersion: d.version,
        software_downloadLocation: r.sourceUri,
        dataset_datasetType: datasetTypes(ev),
        dataset_confidentialityLevel: CONFIDENTIALITY[d.sensitivity],
        dataset_dataPreprocessing: r.transformScript ? [`Transformed by ${r.transformScript.name} (sha256 ${r.transformScript.sha256}, ${r.transformScript.size} bytes).`] : undefined,
      }),
    );
    let licenseId = NO_ASSERTION_LICENSE;
    if (d.license.toLowerCase() === 'other') {
      warnings.add(`dataset ${d.name}@${d.version}: licence \`other\` has no SPDX expression; hasDeclaredLicense is NoAssertionLicense`);
    } else {
      licenseId = id(`license-dataset-${encodeURIComponent(`${d.name}@${d.version}`)}`);
      graph.push({ type: 'simplelicensing_LicenseExpression', spdxId: licenseId, ...base, simplelicensing_licenseExpression: d.license });
    }
    const local = `dataset-${encodeURIComponent(`${d.name}@${d.version}`)}`;
    relate(dsId, 'hasDeclaredLicense', [licenseId], `${local}-declared-license`);
    relate(dsId, 'hasConcludedLicense', [NO_ASSERTION_LICENSE], `${local}-concluded-license`);
  }
  relate(ids.model, 'trainedOn', trainedOn.map(datasetId), 'model-trained-on');
  relate(ids.model, 'testedOn', ev.datasets.filter((d) => d.relations.includes('evaluated_on')).map(datasetId), 'model-tested-on');

  // ---- base models ----
  const baseIds = ev.baseModels.map((b) => {
    const baseId = id(`base-${encodeURIComponent(b.ref)}`);
    const parts = /^([^/@\s]+)\/([^/@\s]+)@([^@/\s]+)$/.exec(b.ref);
    const registry = registryBase(ev);
    graph.push(
      stripUndefined({
        type: 'software_Package',
        spdxId: baseId,
        ...base,
        name: parts ? `${parts[1]}/${parts[2]}` : b.ref,
        verifiedUsing: b.manifestDigest ? [sha256Hash(b.manifestDigest, 'OMS model-signing manifest root digest')] : undefined,
        software_primaryPurpose: 'model',
        software_packageVersion: parts?.[3],
        software_packageUrl: registryRefPurl(b.ref, b.manifestDigest) ?? undefined,
        software_downloadLocation:
          parts && registry
            ? `${registry}/api/v1/orgs/${encodeURIComponent(parts[1]!)}/models/${encodeURIComponent(parts[2]!)}/versions/${encodeURIComponent(parts[3]!)}`
            : undefined,
      }),
    );
    return baseId;
  });
  relate(ids.model, 'descendantOf', baseIds, 'model-descendant-of');

  // ---- evidence about the version: reviews by tools and people ----
  const annotate = (local: string, annotationType: 'review' | 'other', statement: string) =>
    graph.push({ type: 'Annotation', spdxId: id(`annotation-${local}`), ...base, annotationType, subject: ids.model, statement });
  annotate('scan', 'review', `Steward model scan: ${scanSummary(version)}.`);
  for (const s of input.signatures ?? []) {
    annotate(`signature-${s.bundleDigest}`, 'review', `${s.kind} signature by ${s.signer} over the manifest, ${s.verified ? 'verified' : 'NOT verified'}; bundle sha256 ${s.bundleDigest}.`);
  }
  (input.policyResults ?? []).forEach((p, i) =>
    annotate(`policy-${i + 1}`, 'review', `Policy ${p.policy}: ${p.outcome}${p.message ? ` (${p.message})` : ''}${p.evaluatedAt ? `, evaluated ${p.evaluatedAt}` : ''}.`),
  );
  (input.approvals ?? []).forEach((a, i) =>
    annotate(`approval-${i + 1}`, 'review', `${a.subject}: ${a.decision} by ${a.by} at ${a.at}${a.comment ? ` (${a.comment})` : ''}.`),
  );

  graph.push(...relationships);
  const elements = graph.filter((n) => typeof n.spdxId === 'string').map((n) => n.spdxId as string);
  graph.splice(1, 0, {
    type: 'SpdxDocument',
    spdxId: ids.document,
    ...base,
    name: `AI BOM of ${ev.versionRef}`,
    dataLicense: ids.dataLicense,
    profileConformance: ['core', 'software', 'simpleLicensing', 'ai', 'dataset'],
    rootElement: [ids.model],
    element: elements,
  });
  return { document: { '@context': SPDX_CONTEXT, '@graph': graph }, warnings: warnings.list() };
}

/** The dataset type follows the model's input modality; without a known task, no assertion. */
function datasetTypes(ev: Evidence): string[] {
  const types = [...new Set((ev.task?.inputs ?? []).map((m) => DATASET_TYPE[m]))];
  return types.length > 0 ? types : ['noAssertion'];
}

function originOf(uri: string): string {
  try {
    const u = new URL(uri);
    return u.host || u.protocol.replace(/:$/, '');
  } catch {
    return uri;
  }
}
