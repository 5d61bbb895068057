import { describe, expect, it } from 'vitest';
import { toCycloneDx, type CdxComponent } from '../src/index.js';
import { schemaErrors } from './cyclonedx-schema.js';
import { BASE_MODEL_DIGEST, BASE_MODEL_REF, buildExportInput, DATASETS, GENERATED_AT } from './fixtures.js';

describe('toCycloneDx', () => {
  const input = buildExportInput();
  const { document: bom, warnings } = toCycloneDx(input);
  const model = bom.metadata.component;

  it('is valid against the official CycloneDX 1.6 schema', () => {
    expect(schemaErrors(bom)).toEqual([]);
  });

  it('fails the schema when the document is wrong (the validator can fail)', () => {
    const broken = structuredClone(bom) as unknown as { metadata: { component: Record<string, unknown> } };
    broken.metadata.component.type = 'model';
    expect(schemaErrors(broken).length).toBeGreaterThan(0);
    const extra = structuredClone(bom) as unknown as { metadata: { component: { modelCard: Record<string, unknown> } } };
    extra.metadata.component.modelCard.inventedField = 1;
    expect(schemaErrors(extra).some((e) => e.keyword === 'additionalProperties')).toBe(true);
  });

  it('describes the model version with its manifest root digest and purl', () => {
    const v = input.version!;
    expect(bom.bomFormat).toBe('CycloneDX');
    expect(bom.specVersion).toBe('1.6');
    expect(bom.metadata.timestamp).toBe(GENERATED_AT);
    expect(bom.metadata.tools.components).toEqual([{ type: 'application', name: 'steward', version: '0.1.0' }]);
    expect(model.type).toBe('machine-learning-model');
    expect(model.name).toBe('sentiment-bert');
    expect(model.group).toBe('acme');
    expect(model.version).toBe('1.2.0');
    expect(model.hashes).toEqual([{ alg: 'SHA-256', content: v.manifestDigest }]);
    expect(model['bom-ref']).toBe(`pkg:generic/acme/sentiment-bert@1.2.0?checksum=sha256:${v.manifestDigest}`);
    expect(model.licenses).toEqual([{ expression: 'apache-2.0' }]);
    expect(model.pedigree?.commits).toEqual([{ uid: 'c0ffee42d1', url: 'https://github.com/acme/sentiment-bert' }]);
  });

  it('lists every file as a nested file component with its SHA-256', () => {
    const files = model.components ?? [];
    expect(files.map((f) => f.name)).toEqual(['README.md', 'config.json', 'model.safetensors']);
    for (const f of files) {
      const entry = input.version!.manifest.files.find((m) => m.path === f.name)!;
      expect(f.type).toBe('file');
      expect(f.hashes).toEqual([{ alg: 'SHA-256', content: entry.sha256 }]);
    }
  });

  it('fills the model card from the card metadata and sections', () => {
    const card = model.modelCard!;
    expect(card.modelParameters?.task).toBe('text-classification');
    expect(card.modelParameters?.inputs).toEqual([{ format: 'text' }]);
    expect(card.modelParameters?.outputs).toEqual([{ format: 'label' }]);
    expect(card.quantitativeAnalysis?.performanceMetrics).toEqual([
      { type: 'accuracy', value: '0.931', slice: 'IMDb (config plain_text, split test, revision e6281661ce1c48d982bc483cf8a173c1bbeb5d31)' },
      { type: 'f1', value: '0.928', slice: 'IMDb (config plain_text, split test, revision e6281661ce1c48d982bc483cf8a173c1bbeb5d31)' },
      { type: 'accuracy', value: '0.902', slice: 'ACME product reviews (split validation)' },
    ]);
    expect(card.considerations?.useCases).toEqual(['Routing customer reviews to the support queue by sentiment.']);
    expect(card.considerations?.technicalLimitations?.[0]).toMatch(/^Trained on English reviews only/);
    expect(card.considerations?.environmentalConsiderations?.properties[0]?.value).toMatch(/4 kg CO2eq/);
    expect(card.properties).toContainEqual({ name: 'steward:card:out_of_scope_use', value: 'Not for decisions about individual people, nor for medical or legal text.' });
  });

  it('links datasets as data components referenced from the model card', () => {
    const refs = model.modelCard?.modelParameters?.datasets?.map((d) => d.ref) ?? [];
    expect(refs).toEqual(['dataset:acme/acme-reviews@2024-06', 'dataset:acme/imdb@plain_text-1.0']);
    const byRef = new Map(bom.components.map((c) => [c['bom-ref'], c]));
    const reviews = byRef.get(refs[0]) as CdxComponent;
    expect(reviews.type).toBe('data');
    expect(reviews.licenses).toEqual([{ expression: 'CC-BY-4.0' }]);
    expect(reviews.hashes).toEqual([{ alg: 'SHA-256', content: DATASETS[0]!.digest!.slice(7) }]);
    expect(reviews.data).toEqual([
      {
        type: 'dataset',
        name: 'acme-reviews',
        contents: { url: 's3://acme-data/reviews/2024-06/' },
        classification: 'internal',
        description: DATASETS[0]!.description,
        governance: { owners: [{ organization: { name: 'acme' } }], stewards: [{ contact: { name: 'dana' } }] },
      },
    ]);
    const imdb = byRef.get(refs[1]) as CdxComponent;
    expect(imdb.properties).toContainEqual({ name: 'steward:dataset:relation', value: 'evaluated_on' });
    expect(imdb.data?.[0]?.governance).toEqual({ owners: [{ organization: { name: 'acme' } }] });
  });

  it('records the base model as a pedigree ancestor with its digest', () => {
    expect(model.pedigree?.ancestors).toEqual([
      {
        type: 'machine-learning-model',
        'bom-ref': `base-model:${BASE_MODEL_REF}`,
        group: 'acme',
        name: 'bert-base-uncased',
        version: '1.0.0',
        hashes: [{ alg: 'SHA-256', content: BASE_MODEL_DIGEST }],
        purl: `pkg:generic/acme/bert-base-uncased@1.0.0?checksum=sha256:${BASE_MODEL_DIGEST}`,
      },
    ]);
  });

  it('records scan, signature, policy and approval evidence as properties', () => {
    const props = model.properties ?? [];
    expect(props).toContainEqual({ name: 'steward:scan', value: expect.stringMatching(/^safe \(scanner 0\.1\.0/) as unknown as string });
    expect(props.some((p) => p.name === 'steward:signature' && p.value.includes('verified'))).toBe(true);
    expect(props).toContainEqual({ name: 'steward:policy', value: 'licence-allowlist: pass' });
  });

  it('gives every bom-ref once', () => {
    const refs: string[] = [];
    const walk = (c: CdxComponent) => {
      if (c['bom-ref']) refs.push(c['bom-ref']);
      if (c.modelCard) refs.push(c.modelCard['bom-ref']);
      [...(c.components ?? []), ...(c.pedigree?.ancestors ?? [])].forEach(walk);
    };
    [model, ...bom.components].forEach(walk);
    expect(refs.length).toBe(3 + 1 + 1 + 1 + 2); // files, model, card, base model, datasets
    expect(new Set(refs).size).toBe(refs.length);
  });

  it('is deterministic: same input, same document; serial number from content', () => {
    expect(toCycloneDx(buildExportInput()).document).toEqual(bom);
    expect(bom.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const later = toCycloneDx({ ...buildExportInput(), generatedAt: '2025-03-02T00:00:00Z' }).document;
    expect(later.metadata.timestamp).toBe('2025-03-02T00:00:00.000Z');
    expect(later.serialNumber).not.toBe(bom.serialNumber);
  });

  it('warns about nothing for the complete fixture', () => {
    expect(warnings).toEqual([]);
  });

  it('says what is missing instead of inventing it', () => {
    const bare = buildExportInput();
    const noCard = { ...bare, version: { ...bare.version!, card: null }, datasets: [], cardText: undefined, baseModels: [] };
    const r = toCycloneDx(noCard);
    expect(schemaErrors(r.document)).toEqual([]);
    expect(r.document.metadata.component.licenses).toBeUndefined();
    expect(r.warnings).toEqual(
      expect.arrayContaining([
        expect.stringContaining('no model card'),
        expect.stringContaining('dataset acme-reviews@2024-06: full record not given'),
        expect.stringContaining(`base model ${BASE_MODEL_REF}: not in input.baseModels`),
      ]),
    );
  });
});
