import { describe, expect, it } from 'vitest';
import { ExportIncompleteError, toSpdx, type SpdxNode } from '../src/index.js';
import { checkSpdxDocument, effectiveProperties, loadSpdxModel } from './spdx-model.js';
import { BASE_MODEL_DIGEST, buildExportInput, GENERATED_AT } from './fixtures.js';

const byType = (graph: SpdxNode[], type: string) => graph.filter((n) => n.type === type);
const rel = (graph: SpdxNode[], relationshipType: string, from: string) =>
  graph.filter((n) => n.type === 'Relationship' && n.relationshipType === relationshipType && n.from === from);

describe('the SPDX 3.0.1 model loader', () => {
  const model = loadSpdxModel();

  it('reads classes, inheritance, restrictions and vocabularies from the Markdown model', () => {
    const ai = effectiveProperties(model, '/AI/AIPackage');
    // Own property, inherited from Software/Package, Artifact and Element.
    expect(ai.get('ai_typeOfModel')).toMatchObject({ range: 'xsd:string', minCount: 0, maxCount: null });
    expect(ai.get('software_packageVersion')).toMatchObject({ minCount: 1 }); // AIPackage restriction
    expect(ai.get('releaseTime')).toMatchObject({ minCount: 1, range: '/Core/DateTime' });
    expect(ai.get('spdxId')).toMatchObject({ minCount: 1, maxCount: 1 });
    expect(effectiveProperties(model, '/Software/Package').get('software_packageVersion')).toMatchObject({ minCount: 0 });
    expect(effectiveProperties(model, '/Dataset/DatasetPackage').get('dataset_datasetType')).toMatchObject({ minCount: 1, range: '/Dataset/DatasetType' });
    expect(model.vocabularies.get('/Core/RelationshipType')).toContain('trainedOn');
    expect(model.vocabularies.get('/Dataset/DatasetType')).toContain('noAssertion');
    expect(model.classes.get('/Core/Element')?.abstract).toBe(true);
  });
});

describe('toSpdx', () => {
  const input = buildExportInput();
  const { document: doc, warnings } = toSpdx(input);
  const graph = doc['@graph'];
  const aiPackage = byType(graph, 'ai_AIPackage')[0]!;
  const modelId = aiPackage.spdxId as string;

  it('conforms to the SPDX 3.0.1 model (every class, property, count, type and reference)', () => {
    expect(checkSpdxDocument(doc)).toEqual([]);
  });

  it('fails the model check on an invented property, a missing required property and a bad vocabulary value', () => {
    const invented = structuredClone(doc);
    invented['@graph'].find((n) => n.type === 'ai_AIPackage')!.ai_modelFlavour = 'vanilla';
    expect(checkSpdxDocument(invented)).toContainEqual({ node: modelId, message: 'property ai_modelFlavour is not defined on /AI/AIPackage or its superclasses' });

    const missing = structuredClone(doc);
    delete missing['@graph'].find((n) => n.type === 'dataset_DatasetPackage')!.dataset_datasetType;
    expect(checkSpdxDocument(missing).some((p) => p.message.startsWith('required dataset_datasetType'))).toBe(true);

    const badVocab = structuredClone(doc);
    badVocab['@graph'].find((n) => n.type === 'Relationship')!.relationshipType = 'finetunedFrom';
    expect(checkSpdxDocument(badVocab).some((p) => p.message.includes('"finetunedFrom" is not an entry of /Core/RelationshipType'))).toBe(true);

    const badTime = structuredClone(doc);
    badTime['@graph'].find((n) => n.type === 'ai_AIPackage')!.releaseTime = '2025-02-20T08:45:00.000Z';
    expect(checkSpdxDocument(badTime).some((p) => p.message.includes('does not match the /Core/DateTime pattern'))).toBe(true);

    const twoOrigins = structuredClone(doc);
    const ds = twoOrigins['@graph'].find((n) => n.type === 'dataset_DatasetPackage')!;
    ds.originatedBy = [...(ds.originatedBy as string[]), (ds.originatedBy as string[])[0]!];
    expect(checkSpdxDocument(twoOrigins).some((p) => p.message === 'originatedBy: 2 values, maxCount 1')).toBe(true);

    const dangling = structuredClone(doc);
    dangling['@graph'] = dangling['@graph'].filter((n) => n.type !== 'software_File');
    expect(checkSpdxDocument(dangling).some((p) => p.message.includes('resolves to nothing'))).toBe(true);
  });

  it('uses the 3.0.1 JSON-LD context and creation info from generatedAt', () => {
    expect(doc['@context']).toBe('https://spdx.org/rdf/3.0.1/spdx-context.jsonld');
    expect(graph[0]).toMatchObject({ type: 'CreationInfo', '@id': '_:creationinfo', specVersion: '3.0.1', created: GENERATED_AT.replace('.000Z', 'Z') });
    const [docNode] = byType(graph, 'SpdxDocument');
    expect(docNode).toMatchObject({ rootElement: [modelId], profileConformance: ['core', 'software', 'simpleLicensing', 'ai', 'dataset'] });
    expect(byType(graph, 'Tool')[0]).toMatchObject({ name: 'steward 0.1.0' });
  });

  it('describes the model as an AIPackage with the AI properties the registry supports', () => {
    const v = input.version!;
    expect(aiPackage).toMatchObject({
      name: 'sentiment-bert',
      software_packageVersion: '1.2.0',
      software_primaryPurpose: 'model',
      software_downloadLocation: 'https://steward.example.com/api/v1/orgs/acme/models/sentiment-bert/versions/1.2.0',
      releaseTime: '2025-02-20T08:45:00Z',
      ai_domain: ['Natural Language Processing'],
    });
    expect(aiPackage.verifiedUsing).toEqual([expect.objectContaining({ type: 'Hash', algorithm: 'sha256', hashValue: v.manifestDigest })]);
    expect(aiPackage.ai_metric).toContainEqual({
      type: 'DictionaryEntry',
      key: 'accuracy on ACME product reviews (split validation)',
      value: '0.902',
    });
    expect(aiPackage.ai_limitation).toMatch(/^Trained on English reviews only[\s\S]*Not for decisions about individual people/);
    expect(aiPackage.ai_informationAboutTraining).toMatch(/ACME product reviews 2024-06[\s\S]*3 epochs/);
    expect(aiPackage.ai_informationAboutApplication).toMatch(/^Task: text-classification\.\n\nRouting customer reviews/);
  });

  it('has files, datasets, base model and licences related to the model', () => {
    const files = byType(graph, 'software_File');
    expect(files.map((f) => f.name)).toEqual(['README.md', 'config.json', 'model.safetensors']);
    expect(rel(graph, 'contains', modelId)[0]?.to).toEqual(files.map((f) => f.spdxId));

    const datasets = byType(graph, 'dataset_DatasetPackage');
    const reviews = datasets.find((d) => d.name === 'acme-reviews')!;
    const imdb = datasets.find((d) => d.name === 'imdb')!;
    expect(reviews).toMatchObject({ dataset_datasetType: ['text'], dataset_confidentialityLevel: 'green', software_downloadLocation: 's3://acme-data/reviews/2024-06/' });
    expect(imdb).toMatchObject({ dataset_confidentialityLevel: 'clear', software_packageVersion: 'plain_text-1.0' });
    expect(rel(graph, 'trainedOn', modelId)[0]?.to).toEqual([reviews.spdxId]);
    expect(rel(graph, 'testedOn', modelId)[0]?.to).toEqual([imdb.spdxId]);

    const [base] = byType(graph, 'software_Package');
    expect(base).toMatchObject({ name: 'acme/bert-base-uncased', software_packageVersion: '1.0.0', verifiedUsing: [expect.objectContaining({ hashValue: BASE_MODEL_DIGEST })] });
    expect(rel(graph, 'descendantOf', modelId)[0]?.to).toEqual([base!.spdxId]);

    const declared = rel(graph, 'hasDeclaredLicense', modelId)[0]!.to as string[];
    expect(graph.find((n) => n.spdxId === declared[0])).toMatchObject({ type: 'simplelicensing_LicenseExpression', simplelicensing_licenseExpression: 'apache-2.0' });
    expect(rel(graph, 'hasConcludedLicense', modelId)[0]?.to).toEqual(['expandedlicensing_NoAssertionLicense']);
    expect(rel(graph, 'hasDeclaredLicense', imdb.spdxId as string)[0]?.to).toEqual(['expandedlicensing_NoAssertionLicense']);
  });

  it('records the scan verdict and signature as review annotations', () => {
    const notes = byType(graph, 'Annotation').map((a) => a.statement as string);
    expect(notes.some((s) => s.startsWith('Steward model scan: safe'))).toBe(true);
    expect(notes.some((s) => s.includes('key signature by acme-release-key (P-384) over the manifest, verified'))).toBe(true);
  });

  it('is deterministic and names what it approximates', () => {
    expect(toSpdx(buildExportInput()).document).toEqual(doc);
    expect(warnings).toEqual([
      'dataset acme-reviews@2024-06: SPDX requires builtTime and originatedBy, which the registry does not record; builtTime is its registration time and originatedBy the host of its source URI',
      'dataset imdb@plain_text-1.0: SPDX requires builtTime and originatedBy, which the registry does not record; builtTime is its registration time and originatedBy the host of its source URI',
      'dataset imdb@plain_text-1.0: licence `other` has no SPDX expression; hasDeclaredLicense is NoAssertionLicense',
    ]);
  });

  it('throws ExportIncompleteError naming the missing fields instead of emitting an invalid document', () => {
    const base = buildExportInput();
    const incomplete = { ...base, registryUrl: undefined, version: { ...base.version!, sourceRepo: null }, datasets: [] };
    let error: unknown;
    try {
      toSpdx(incomplete);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExportIncompleteError);
    expect((error as ExportIncompleteError).missing).toEqual([
      'registryUrl or version.sourceRepo (AIPackage software_downloadLocation)',
      'datasets: the record of acme-reviews@2024-06 (DatasetPackage software_downloadLocation, releaseTime, builtTime, originatedBy)',
      'datasets: the record of imdb@plain_text-1.0 (DatasetPackage software_downloadLocation, releaseTime, builtTime, originatedBy)',
    ]);
  });

  it('stays valid without a card: no licence becomes NoAssertionLicense', () => {
    const base = buildExportInput();
    const r = toSpdx({ ...base, version: { ...base.version!, card: null }, cardText: undefined });
    expect(checkSpdxDocument(r.document)).toEqual([]);
    const pkg = byType(r.document['@graph'], 'ai_AIPackage')[0]!;
    expect(rel(r.document['@graph'], 'hasDeclaredLicense', pkg.spdxId as string)[0]?.to).toEqual(['expandedlicensing_NoAssertionLicense']);
    expect(pkg.ai_metric).toBeUndefined();
    expect(r.warnings).toContain('no model licence known: hasDeclaredLicense is NoAssertionLicense');
  });
});
