/**
 * A realistic export input: acme/sentiment-bert 1.2.0 (three files, an HF-template card with
 * model-index results and sections), two datasets, a registry base model and two prior versions.
 * Digests are real SHA-256 values of the stated contents, and cards are parsed the way the
 * server parses them, so the input is what the API would return.
 */
import { createHash } from 'node:crypto';
import type { Dataset, ManifestWire, Model, Version, VersionSummary } from '@steward/domain';
import { parseModelCard } from '@steward/modelcard';
import type { ExportInputData } from '../src/index.js';

export const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export const ORG = 'acme';
export const MODEL = 'sentiment-bert';
export const GENERATED_AT = '2025-03-01T12:00:00.000Z';
export const REGISTRY_URL = 'https://steward.example.com';
export const BASE_MODEL_REF = 'acme/bert-base-uncased@1.0.0';
export const BASE_MODEL_DIGEST = sha256('acme/bert-base-uncased@1.0.0 manifest');

export interface CardOptions {
  license?: string;
  accuracy?: number;
  extraLimitations?: string;
}

/** The current card; options vary it for earlier versions and edge cases. */
export function cardText(o: CardOptions = {}): string {
  return `---
license: ${o.license ?? 'apache-2.0'}
language:
- en
library_name: transformers
pipeline_tag: text-classification
tags:
- sentiment
- bert
datasets:
- acme-reviews
- stanfordnlp/imdb
base_model: google-bert/bert-base-uncased
metrics:
- accuracy
- f1
model-index:
- name: sentiment-bert
  results:
  - task:
      type: text-classification
      name: Sentiment Analysis
    dataset:
      type: stanfordnlp/imdb
      name: IMDb
      config: plain_text
      split: test
      revision: e6281661ce1c48d982bc483cf8a173c1bbeb5d31
    metrics:
    - type: accuracy
      value: ${o.accuracy ?? 0.931}
      name: Accuracy
      verified: false
    - type: f1
      value: 0.928
    source:
      name: ACME CI evaluation
      url: https://ci.acme.example/runs/4211
  - task:
      type: text-classification
    dataset:
      type: acme-reviews
      name: ACME product reviews
      split: validation
    metrics:
    - type: accuracy
      value: 0.902
---

# sentiment-bert

A BERT classifier that labels English product reviews as positive or negative.

## Model Details

### Model Description

Fine-tuned from bert-base-uncased on ACME product reviews.

- **Developed by:** ACME ML team
- **Model type:** Transformer encoder (BERT base, 110M parameters)

## Uses

### Direct Use

Routing customer reviews to the support queue by sentiment.

### Out-of-Scope Use

Not for decisions about individual people, nor for medical or legal text.

## Bias, Risks, and Limitations

Trained on English reviews only; accuracy drops on sarcasm and on reviews shorter than five words.${o.extraLimitations ? `\n\n${o.extraLimitations}` : ''}

## Training Details

### Training Data

ACME product reviews 2024-06 (1.2M reviews), deduplicated and stripped of e-mail addresses.

### Training Procedure

3 epochs, learning rate 2e-5, batch size 32, on one A100 GPU.

## Evaluation

### Results

93.1% accuracy on the IMDb test split.

## Environmental Impact

About 4 kg CO2eq (6 GPU hours, ML CO2 Impact calculator).

## Citation

[More Information Needed]
`;
}

const CONFIG_JSON = '{"architectures":["BertForSequenceClassification"],"model_type":"bert","num_labels":2}\n';

interface FileSpec {
  path: string;
  content: string;
  /** Declared size for large files whose content here is only a stand-in. */
  size?: number;
}

/** OMS "files" manifest: files in path order, root = SHA-256 over the raw per-file digests. */
export function manifestOf(files: FileSpec[]): ManifestWire {
  const entries = files
    .map((f) => ({ path: f.path, size: f.size ?? Buffer.byteLength(f.content, 'utf8'), sha256: sha256(f.content) }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const root = createHash('sha256');
  for (const e of entries) root.update(Buffer.from(e.sha256, 'hex'));
  return {
    serialization: { method: 'files', hash_type: 'sha256', allow_symlinks: false, ignore_paths: ['.git', '.gitattributes', '.github', '.gitignore'] },
    files: entries,
    rootDigest: root.digest('hex'),
  };
}

/** The card as the server stores it with the version (headings only, no section text). */
export function storedCard(text: string): NonNullable<Version['card']> {
  const parsed = parseModelCard(text);
  return {
    path: 'README.md',
    sha256: sha256(text),
    metadata: parsed.metadata as unknown as Record<string, unknown>,
    sections: parsed.sections.map((s) => ({ title: s.title, level: s.level, line: s.line, kind: s.kind })),
    recognizedSections: parsed.recognizedSections,
    missingRecommendedSections: parsed.missingRecommendedSections,
    problems: parsed.problems,
  };
}

export const DATASETS: Dataset[] = [
  {
    id: 'ds_reviews_2024_06',
    org: ORG,
    name: 'acme-reviews',
    version: '2024-06',
    sourceUri: 's3://acme-data/reviews/2024-06/',
    license: 'CC-BY-4.0',
    transformScript: { name: 'clean_reviews.py', sha256: sha256('clean_reviews.py v3'), size: 4_812 },
    approvedBy: 'dana',
    sensitivity: 'internal',
    digest: `sha256:${sha256('acme-reviews 2024-06 parquet shards')}`,
    description: 'Product reviews from acme.example, June 2024, English, with star ratings as labels.',
    createdAt: '2024-07-02T09:15:00.000Z',
    createdBy: 'carol',
  },
  {
    id: 'ds_imdb_plain_text',
    org: ORG,
    name: 'imdb',
    version: 'plain_text-1.0',
    sourceUri: 'https://huggingface.co/datasets/stanfordnlp/imdb',
    license: 'other',
    transformScript: null,
    approvedBy: null,
    sensitivity: 'public',
    digest: null,
    description: 'Large Movie Review Dataset (Maas et al., 2011): 50k IMDb reviews labelled positive or negative.',
    createdAt: '2024-05-20T16:40:00.000Z',
    createdBy: 'carol',
  },
];

interface VersionSpec {
  version: string;
  files: FileSpec[];
  card: string;
  datasets: Version['datasets'];
  createdAt: string;
  createdBy: string;
  rings: string[];
  sourceCommit: string;
}

function versionOf(spec: VersionSpec): Version {
  const manifest = manifestOf([...spec.files, { path: 'README.md', content: spec.card }]);
  return {
    id: `ver_${spec.version.replace(/\./g, '_')}`,
    org: ORG,
    model: MODEL,
    version: spec.version,
    manifestDigest: manifest.rootDigest,
    manifest,
    fileCount: manifest.files.length,
    totalSize: manifest.files.reduce((n, f) => n + f.size, 0),
    sourceRepo: 'https://github.com/acme/sentiment-bert',
    sourceCommit: spec.sourceCommit,
    baseModel: BASE_MODEL_REF,
    datasets: spec.datasets,
    card: storedCard(spec.card),
    scan: {
      id: `scan_${spec.version}`,
      status: 'done',
      trigger: 'push',
      verdict: 'safe',
      summary: { files: manifest.files.length, members: 0, safe: manifest.files.length, unknown: 0, inconclusive: 0, unsafe: 0 },
      allowlist: [],
      scannerVersion: '0.1.0',
      error: null,
      requestedAt: spec.createdAt,
      requestedBy: spec.createdBy,
      startedAt: spec.createdAt,
      finishedAt: spec.createdAt.replace(/:00\.000Z$/, ':42.000Z'),
    },
    rings: spec.rings,
    createdAt: spec.createdAt,
    createdBy: spec.createdBy,
  };
}

const REVIEWS_LINK = { name: 'acme-reviews', version: '2024-06', relation: 'trained_on', license: 'CC-BY-4.0', sensitivity: 'internal' } as const;
const IMDB_LINK = { name: 'imdb', version: 'plain_text-1.0', relation: 'evaluated_on', license: 'other', sensitivity: 'public' } as const;

export function versionLine(current: { card?: string } = {}): Version[] {
  const v100 = versionOf({
    version: '1.0.0',
    files: [
      { path: 'config.json', content: CONFIG_JSON },
      { path: 'pytorch_model.bin', content: 'weights 1.0.0 (pickle)', size: 438_007_537 },
    ],
    card: cardText({ license: 'mit', accuracy: 0.912 }),
    datasets: [IMDB_LINK],
    createdAt: '2024-08-01T10:00:00.000Z',
    createdBy: 'alice',
    rings: [],
    sourceCommit: '3f2a9c1',
  });
  const v110 = versionOf({
    version: '1.1.0',
    files: [
      { path: 'config.json', content: CONFIG_JSON },
      { path: 'model.safetensors', content: 'weights 1.1.0 (safetensors)', size: 437_971_872 },
    ],
    card: cardText({ license: 'mit', accuracy: 0.924 }),
    datasets: [REVIEWS_LINK, IMDB_LINK],
    createdAt: '2024-11-12T14:30:00.000Z',
    createdBy: 'bob',
    rings: ['prod'],
    sourceCommit: '8d41e07',
  });
  const v120 = versionOf({
    version: '1.2.0',
    files: [
      { path: 'config.json', content: CONFIG_JSON },
      { path: 'model.safetensors', content: 'weights 1.2.0 (safetensors)', size: 437_971_872 },
    ],
    card: current.card ?? cardText(),
    datasets: [REVIEWS_LINK, IMDB_LINK],
    createdAt: '2025-02-20T08:45:00.000Z',
    createdBy: 'alice',
    rings: ['staging'],
    sourceCommit: 'c0ffee42d1',
  });
  return [v100, v110, v120];
}

export function summaryOf(v: Version): VersionSummary {
  const { id, version, manifestDigest, fileCount, totalSize, rings, createdAt, createdBy } = v;
  return { id, version, manifestDigest, fileCount, totalSize, rings, createdAt, createdBy };
}

export const MODEL_RECORD: Model = {
  id: 'mdl_sentiment_bert',
  org: ORG,
  name: MODEL,
  description: 'Sentiment classifier for English product reviews.',
  riskTier: 'limited',
  owners: ['alice', 'bob'],
  tags: ['nlp', 'reviews'],
  createdAt: '2024-08-01T10:00:00.000Z',
  createdBy: 'alice',
  latestVersion: '1.2.0',
  rings: { prod: '1.1.0', staging: '1.2.0' },
};

export interface FixtureOptions {
  /** Replaces the current version's card text (digests and stored card follow). */
  card?: string;
}

/** The full input for acme/sentiment-bert@1.2.0; spread and override fields to vary it. */
export function buildExportInput(o: FixtureOptions = {}): ExportInputData {
  const line = versionLine({ card: o.card });
  const [v100, v110, v120] = line as [Version, Version, Version];
  return {
    org: ORG,
    model: MODEL_RECORD,
    version: v120,
    datasets: DATASETS,
    baseModels: [{ ref: BASE_MODEL_REF, manifestDigest: BASE_MODEL_DIGEST }],
    versions: [summaryOf(v120), summaryOf(v100), summaryOf(v110)],
    previousVersion: v110,
    ringHistory: [
      { seq: 1, ring: 'staging', version: '1.0.0', previousVersion: null, kind: 'set', movedAt: '2024-08-01T11:00:00.000Z', movedBy: 'alice', reason: 'first release' },
      { seq: 2, ring: 'prod', version: '1.0.0', previousVersion: null, kind: 'set', movedAt: '2024-08-05T09:00:00.000Z', movedBy: 'erin', reason: null },
      { seq: 3, ring: 'staging', version: '1.1.0', previousVersion: '1.0.0', kind: 'set', movedAt: '2024-11-12T15:00:00.000Z', movedBy: 'bob', reason: 'safetensors weights' },
      { seq: 4, ring: 'prod', version: '1.1.0', previousVersion: '1.0.0', kind: 'set', movedAt: '2024-11-20T09:00:00.000Z', movedBy: 'erin', reason: 'passed staging soak' },
      { seq: 5, ring: 'staging', version: '1.2.0', previousVersion: '1.1.0', kind: 'set', movedAt: '2025-02-20T09:30:00.000Z', movedBy: 'alice', reason: null },
    ],
    signatures: [{ kind: 'key', signer: 'acme-release-key (P-384)', verified: true, bundleDigest: sha256('model.sig 1.2.0') }],
    policyResults: [
      { policy: 'licence-allowlist', outcome: 'pass', evaluatedAt: '2025-02-20T08:46:00.000Z' },
      { policy: 'scan-must-be-safe', outcome: 'pass', evaluatedAt: '2025-02-20T08:46:00.000Z' },
    ],
    approvals: [{ by: 'erin', at: '2025-02-20T09:20:00.000Z', subject: 'promotion of 1.2.0 to staging', decision: 'approved' }],
    cardText: o.card ?? cardText(),
    registryUrl: REGISTRY_URL,
    generatedAt: GENERATED_AT,
    tool: { name: 'steward', version: '0.1.0' },
  };
}
