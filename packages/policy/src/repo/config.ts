/**
 * `steward.yaml`: what a repository declares for the offline gate (`steward check`, `steward
 * lock`). Documented in docs/ci.md. Paths are relative to the file's directory (model paths) or
 * to the model directory (card, license files). Every problem is reported as
 * `steward.yaml:LINE:COLUMN: what is wrong`.
 */
import { StewardError } from '@steward/domain/core';
import { RiskTierSchema, SensitivitySchema } from '@steward/domain/names';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { ParamOverridesSchema } from '../policy-file.js';
import { keyNodeAt, nodeAt, nodeStart, positionOf, type Position } from '../positions.js';
import { WaiverSchema } from '../record.js';

const RelativePathSchema = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(p), 'must be a relative path')
  .refine((p) => !p.split(/[\\/]/).includes('..'), 'must not contain ".."');

const ModelNameSchema = z
  .string()
  .regex(/^(?:[A-Za-z0-9][A-Za-z0-9._-]{0,127}\/)?[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be ORG/NAME or NAME (letters, digits, ".", "_", "-")');

export const DatasetDeclSchema = z
  .object({
    name: z.string().min(1),
    version: z.string().min(1).optional(),
    relation: z.enum(['trained_on', 'evaluated_on']).default('trained_on'),
    source: z.string().min(1).optional(),
    license: z.string().min(1).optional(),
    approvedBy: z.string().min(1).optional(),
    sensitivity: SensitivitySchema.optional(),
    digest: z.string().min(1).optional(),
    samples: z.array(RelativePathSchema).default([]).describe('Sample files scanned for PII (relative to steward.yaml)'),
  })
  .strict();

export const SignatureDeclSchema = z
  .object({
    bundle: RelativePathSchema.describe('Sigstore bundle (model_signing), relative to steward.yaml'),
    trustedKeys: z.array(RelativePathSchema).min(1).describe('PEM public keys whose signatures are trusted'),
  })
  .strict();

export const ModelDeclSchema = z
  .object({
    name: ModelNameSchema,
    path: RelativePathSchema.describe('The model directory, relative to steward.yaml'),
    version: z.string().min(1).optional(),
    card: RelativePathSchema.default('README.md').describe('Relative to the model directory'),
    license: z.string().min(1).optional().describe('Declared SPDX license; default the card\'s'),
    riskTier: RiskTierSchema.optional(),
    useCaseCategory: z.string().min(1).optional(),
    owners: z.array(z.string().min(1)).default([]),
    description: z.string().optional(),
    ring: z.string().min(1).optional().describe('Target ring of this change'),
    datasets: z.array(DatasetDeclSchema).default([]),
    evaluation: RelativePathSchema.optional().describe('Evaluation results JSON, relative to steward.yaml'),
    signature: SignatureDeclSchema.optional(),
    policies: z.array(RelativePathSchema).default([]).describe('Extra policy files for this model'),
    params: ParamOverridesSchema.default({}),
    waivers: z.array(WaiverSchema).default([]),
  })
  .strict();

export const PoliciesDeclSchema = z
  .object({
    builtin: z.boolean().default(true).describe('Include the built-in library'),
    files: z.array(RelativePathSchema).default([]),
    params: ParamOverridesSchema.default({}),
  })
  .strict();

export const StewardConfigSchema = z
  .object({
    models: z.array(ModelDeclSchema).min(1),
    policies: PoliciesDeclSchema.default({ builtin: true, files: [], params: {} }),
    waivers: z.array(WaiverSchema).default([]),
  })
  .strict();

export type StewardConfig = z.infer<typeof StewardConfigSchema>;
export type ModelDecl = z.infer<typeof ModelDeclSchema>;
export type DatasetDecl = z.infer<typeof DatasetDeclSchema>;

export interface LoadedConfig {
  config: StewardConfig;
  file: string;
  /** Position of the node at a path (e.g. ['models', 0]); line 1 column 1 when absent. */
  locate(path: readonly (string | number)[]): Position;
  /** Position of a parameter override: per-model overrides first, then the repository's. */
  locateParam(modelIndex: number | null, policy: string, param: string | null): Position | null;
}

function fail(file: string, lines: LineCounter, offset: number, message: string): never {
  const p = positionOf(lines, offset);
  throw new StewardError('validation_failed', `${file}:${p.line}:${p.column}: ${message}`, { file, ...p });
}

/** Parses steward.yaml; throws StewardError('validation_failed') naming file, line and column. */
export function parseStewardConfig(text: string, file = 'steward.yaml'): LoadedConfig {
  const lines = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true });
  const yamlError = doc.errors[0];
  if (yamlError) fail(file, lines, yamlError.pos[0], `invalid YAML: ${yamlError.message.split('\n')[0]}`);
  const js: unknown = doc.toJS({ maxAliasCount: 100 });
  const r = StewardConfigSchema.safeParse(js ?? {});
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const path = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
    if (issue.code === 'unrecognized_keys') fail(file, lines, nodeStart(keyNodeAt(doc, path, issue.keys[0]!)), `${path.length ? `${path.join('.')}: ` : ''}unknown field "${issue.keys[0]}"`);
    const missing = issue.code === 'invalid_type' && nodeAt(doc, path) === nodeAt(doc, path.slice(0, -1)) && path.length > 0;
    fail(file, lines, nodeStart(nodeAt(doc, path)), `${path.join('.') || '(document)'}: ${missing ? 'required field is missing' : issue.message}`);
  }
  const config = r.data;
  const names = new Set<string>();
  config.models.forEach((m, i) => {
    if (names.has(m.name)) fail(file, lines, nodeStart(nodeAt(doc, ['models', i, 'name'])), `models.${i}.name: model "${m.name}" is declared twice`);
    names.add(m.name);
  });

  const locate = (path: readonly (string | number)[]) => positionOf(lines, nodeStart(nodeAt(doc, path)));
  const locateKey = (path: readonly (string | number)[], key: string): Position | null => {
    const parent = nodeAt(doc, path);
    if (!isMap(parent) || !parent.items.some((p) => isPair(p) && isScalar(p.key) && p.key.value === key)) return null;
    return positionOf(lines, nodeStart(keyNodeAt(doc, path, key)));
  };
  return {
    config,
    file,
    locate,
    locateParam(modelIndex, policy, param) {
      const bases: (string | number)[][] = [...(modelIndex !== null ? [['models', modelIndex, 'params']] : []), ['policies', 'params']];
      for (const base of bases) {
        const at = param === null ? locateKey(base, policy) : locateKey([...base, policy], param);
        if (at) return at;
      }
      return null;
    },
  };
}

/** ORG/NAME -> { org, name }; NAME -> { org: null, name }. */
export function splitModelName(name: string): { org: string | null; name: string } {
  const slash = name.indexOf('/');
  return slash < 0 ? { org: null, name } : { org: name.slice(0, slash), name: name.slice(slash + 1) };
}
