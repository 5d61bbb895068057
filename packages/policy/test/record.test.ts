import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DatasetSchema, ModelSchema, ScanStatusSchema, VersionSchema } from '@steward/domain';
import type { ScanReport } from '@steward/scanner';
import { describe, expect, it } from 'vitest';
import { detectLicense, evaluationsFromResultsFile, EvaluationResultsFileSchema, governanceRecordJsonSchemaText, GovernanceRecordSchema, recordFromRegistry } from '../src/index.js';
import { DIGEST, record } from './helpers.js';

const SCHEMA_FILE = fileURLToPath(new URL('../../../docs/governance-record.schema.json', import.meta.url));
const T = '2025-01-01T00:00:00.000Z';

describe('governance record JSON Schema', () => {
  it('docs/governance-record.schema.json is up to date (regenerate: node packages/policy/scripts/gen-record-schema.js)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(governanceRecordJsonSchemaText());
  });

  it('makes every optional value explicitly nullable and every field required', () => {
    const schema = JSON.parse(governanceRecordJsonSchemaText()) as { properties: Record<string, { required?: string[]; properties?: Record<string, unknown> }>; required: string[] };
    expect(schema.required).toEqual(Object.keys(schema.properties));
    const card = schema.properties.card!;
    expect(card.required).toEqual(Object.keys(card.properties!));
    expect(card.properties!.eccn).toMatchObject({ type: ['string', 'null'] });
  });
});

const scanReport: ScanReport = {
  tool: { name: 'steward-scanner', version: '1.2.3' },
  scannedAt: T,
  verdict: 'unsafe',
  summary: { files: 2, members: 1, safe: 1, unknown: 0, inconclusive: 0, unsafe: 1 },
  extraAllowed: [],
  files: [
    { path: 'model.safetensors', format: 'safetensors', size: 4096, sha256: DIGEST('2'), verdict: 'safe', findings: [], details: { parameters: 1000 } },
    {
      path: 'extra.pt',
      format: 'pytorch-zip',
      size: 10,
      sha256: null,
      verdict: 'unsafe',
      findings: [{ ruleId: 'zip.x', severity: 'high', verdict: 'unknown', message: 'm' }],
      children: [
        {
          path: 'extra.pt!data.pkl',
          format: 'pickle',
          size: 5,
          sha256: null,
          verdict: 'unsafe',
          findings: [],
          imports: [
            { module: 'os', name: 'system', verdict: 'unsafe', reason: 'denylist', opcode: 'GLOBAL', offset: 2, pickleIndex: 0 },
            { module: 'os', name: 'system', verdict: 'unsafe', reason: 'denylist', opcode: 'GLOBAL', offset: 9, pickleIndex: 0 },
            { module: 'foo', name: 'Bar', verdict: 'unknown', reason: 'not on the allowlist', opcode: 'GLOBAL', offset: 20, pickleIndex: 0 },
          ],
        },
      ],
    },
  ],
};

describe('recordFromRegistry', () => {
  const model = ModelSchema.parse({ id: 'm1', org: 'acme', name: 'tiny', description: '', riskTier: 'high', owners: ['alice'], tags: [], createdAt: T, createdBy: 'alice', latestVersion: '1.0.0', rings: { production: null } });
  const version = VersionSchema.parse({
    id: 'v1',
    org: 'acme',
    model: 'tiny',
    version: '1.0.0',
    manifestDigest: DIGEST('f'),
    manifest: {
      serialization: { method: 'files', hash_type: 'sha256', allow_symlinks: false, ignore_paths: [] },
      files: [
        { path: 'LICENSE', size: 11, sha256: DIGEST('0') },
        { path: 'extra.pt', size: 10, sha256: DIGEST('3') },
        { path: 'model.safetensors', size: 4096, sha256: DIGEST('2') },
      ],
      rootDigest: DIGEST('f'),
    },
    fileCount: 3,
    totalSize: 4117,
    sourceRepo: null,
    sourceCommit: null,
    baseModel: 'acme/base@2.0.0',
    datasets: [
      { name: 'reviews', version: '2024-01', relation: 'trained_on', license: 'CC-BY-4.0', sensitivity: 'internal' },
      { name: 'ghost', version: '1', relation: 'evaluated_on', license: 'MIT', sensitivity: 'public' },
    ],
    card: {
      path: 'README.md',
      sha256: DIGEST('1'),
      metadata: {
        license: 'apache-2.0',
        datasets: ['reviews'],
        baseModels: ['acme/base@2.0.0'],
        modelIndex: [{ name: 'tiny', results: [{ task: { type: 'text-classification' }, dataset: { type: 'glue', name: 'sst2', revision: 'abc' }, metrics: [{ type: 'accuracy', value: 0.9 }, { type: 'note', value: 'n/a' }] }] }],
      },
      sections: [
        { title: 'Intended use', level: 2, line: 5, kind: 'intended_use' },
        { title: 'Evaluation', level: 2, line: 9, kind: 'evaluation' },
      ],
      recognizedSections: ['intended_use', 'evaluation'],
      missingRecommendedSections: ['limitations', 'training_data'],
      problems: [{ line: 2, severity: 'warning', message: 'w' }],
    },
    scan: null,
    rings: [],
    createdAt: T,
    createdBy: 'alice',
  });
  const scan = { ...ScanStatusSchema.parse({ id: 's', status: 'done', trigger: 'push', verdict: 'unsafe', summary: scanReport.summary, allowlist: ['x.y'], scannerVersion: '1.2.3', error: null, requestedAt: T, requestedBy: 'alice', startedAt: T, finishedAt: T }), report: scanReport as unknown as Record<string, unknown> };
  const datasets = [DatasetSchema.parse({ id: 'd', org: 'acme', name: 'reviews', version: '2024-01', sourceUri: 's3://r', license: 'CC-BY-4.0', transformScript: null, approvedBy: 'bob', sensitivity: 'confidential', digest: null, description: '', createdAt: T, createdBy: 'bob' })];

  it('maps the API objects onto the record', () => {
    const r = recordFromRegistry({ version, model, datasets, scan, targetRing: 'production', baseModels: [{ ref: 'acme/base@2.0.0', version: { ...version, version: '2.0.0', scan: { ...scan, verdict: 'safe' } } }], pii: { 'reviews@2024-01': { ssn: 2, email: 1 } } });
    expect(GovernanceRecordSchema.safeParse(r).success).toBe(true);
    expect(r.model).toMatchObject({ org: 'acme', name: 'tiny', version: '1.0.0', ref: 'acme/tiny@1.0.0', riskTier: 'high', parameterCount: 1000, description: null });
    expect(r.card.intendedUse).toEqual({ present: true, text: null, wordCount: null });
    expect(r.card.limitations.present).toBe(false);
    expect(r.card.warnings).toBe(1);
    expect(r.license).toEqual({ declared: 'apache-2.0', declaredValid: true, cardLicense: 'apache-2.0', files: [{ path: 'LICENSE', detected: null }] });
    expect(r.files.find((f) => f.path === 'extra.pt')).toMatchObject({ verdict: 'unsafe', format: 'pytorch-zip', findings: { critical: 0, high: 1, medium: 0 } });
    expect(r.files.find((f) => f.path === 'LICENSE')).toMatchObject({ verdict: null, format: null });
    expect(r.scan).toMatchObject({ status: 'done', verdict: 'unsafe', allowlist: ['x.y'], findings: { critical: 0, high: 1, medium: 0, low: 0, info: 0 } });
    expect(r.scan.imports).toEqual([
      { file: 'extra.pt!data.pkl', module: 'os', name: 'system', verdict: 'unsafe' },
      { file: 'extra.pt!data.pkl', module: 'foo', name: 'Bar', verdict: 'unknown' },
    ]);
    expect(r.datasets).toEqual([
      expect.objectContaining({ name: 'reviews', registered: true, source: 's3://r', approvedBy: 'bob', sensitivity: 'confidential', pii: expect.objectContaining({ scanned: true, ssn: 2, email: 1, total: 3 }) }),
      expect.objectContaining({ name: 'ghost', registered: false, source: null, approvedBy: null, license: 'MIT', pii: expect.objectContaining({ scanned: false }) }),
    ]);
    expect(r.baseModels).toEqual([{ ref: 'acme/base@2.0.0', registered: true, version: '2.0.0', verdict: 'safe', license: 'apache-2.0' }]);
    expect(r.evaluations).toEqual([{ benchmark: 'sst2', dataset: 'glue', datasetRevision: 'abc', split: null, task: 'text-classification', source: null, verified: false, metrics: [{ name: 'accuracy', value: 0.9 }] }]);
    expect(r.integrity).toMatchObject({ manifestDigest: DIGEST('f'), verified: true });
    expect(r.targetRing).toBe('production');
  });

  it('leaves out what it does not know: no card, no scan, unresolved base models', () => {
    const r = recordFromRegistry({ version: { ...version, card: null, scan: null, baseModel: 'x/y@1.0.0' }, model });
    expect(r.card.present).toBe(false);
    expect(r.license.declared).toBeNull();
    expect(r.scan.status).toBe('none');
    expect(r.baseModels).toEqual([{ ref: 'x/y@1.0.0', registered: false, version: null, verdict: null, license: null }]);
    expect(r.datasets.every((d) => !d.registered)).toBe(true);
  });
});

describe('recordFromLocal', () => {
  it('reads the card sections, front matter, evaluations and integrity', () => {
    const r = record({ scan: scanReport });
    expect(r.origin).toBe('local');
    expect(r.card.intendedUse.present).toBe(true);
    expect(r.card.intendedUse.text).toMatch(/^Classifying short product reviews/);
    expect(r.card.intendedUse.wordCount).toBe(11);
    expect(r.card.eccn).toBe('EAR99');
    expect(r.model.parameterCount).toBe(1000);
    expect(r.evaluations[0]).toMatchObject({ benchmark: 'glue-sst2', datasetRevision: '3f2e1d0', metrics: [{ name: 'accuracy', value: 0.91 }] });
    expect(r.integrity).toEqual({ manifestDigest: DIGEST('f'), lockPresent: true, verified: true, mismatches: [] });
    expect(record({ integrity: { lockPresent: true, mismatches: [{ path: 'a', expected: DIGEST('1'), actual: DIGEST('2') }] } }).integrity.verified).toBe(false);
    expect(record({ integrity: undefined }).integrity).toMatchObject({ lockPresent: false, verified: false });
  });

  it('prefers the declared license over the card and recognizes license files', () => {
    const r = record({
      license: 'MIT',
      manifest: { files: [{ path: 'LICENSE.txt', size: 1, sha256: DIGEST('4') }], rootDigest: null },
      licenseTexts: [{ path: 'LICENSE.txt', text: 'Attribution-NonCommercial 4.0 International' }],
    });
    expect(r.license).toEqual({ declared: 'MIT', declaredValid: true, cardLicense: 'apache-2.0', files: [{ path: 'LICENSE.txt', detected: 'CC-BY-NC-4.0' }] });
    expect(record({ license: 'other' }).license.declaredValid).toBe(false);
  });

  it('reads evaluation results files', () => {
    const f = EvaluationResultsFileSchema.parse({ results: [{ benchmark: 'b', datasetRevision: 'r1', metrics: { f1: 0.5 } }, { benchmark: 'c', metrics: [{ name: 'acc', value: 1 }] }] });
    expect(evaluationsFromResultsFile(f)).toEqual([
      { benchmark: 'b', dataset: null, datasetRevision: 'r1', split: null, task: null, source: null, verified: false, metrics: [{ name: 'f1', value: 0.5 }] },
      { benchmark: 'c', dataset: null, datasetRevision: null, split: null, task: null, source: null, verified: false, metrics: [{ name: 'acc', value: 1 }] },
    ]);
    expect(EvaluationResultsFileSchema.safeParse({ results: [{ benchmark: 'b', metrics: {}, extra: 1 }] }).success).toBe(false);
  });
});

describe('detectLicense', () => {
  it('recognizes common license texts and SPDX tags', () => {
    expect(detectLicense('                                 Apache License\n                           Version 2.0, January 2004')).toBe('Apache-2.0');
    expect(detectLicense('MIT License\n\nPermission is hereby granted, free of charge, to any person obtaining a copy')).toBe('MIT');
    expect(detectLicense('// SPDX-License-Identifier: BSD-3-Clause')).toBe('BSD-3-Clause');
    expect(detectLicense('All rights reserved.')).toBeNull();
  });
});
