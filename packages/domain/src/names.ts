import semver from 'semver';
import { z } from 'zod';
import { StewardError } from './errors.js';

/**
 * Org, model, dataset and ring names: lowercase-friendly identifiers that are safe in URLs,
 * file names and log lines. Case is preserved but names must start with a letter or digit.
 */
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const NameSchema = z
  .string()
  .regex(NAME_RE, 'must be 1-128 characters of letters, digits, ".", "_" or "-", starting with a letter or digit')
  .refine((s) => !s.includes('..'), 'must not contain ".."');

export const UserNameSchema = NameSchema;
export const RingNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits or "-", starting with a letter');

/** Strict SemVer 2.0.0 (no leading "v", no loose forms), so ordering is unambiguous. */
export const SemverSchema = z
  .string()
  .max(256)
  .refine(isSemver, 'must be a valid semantic version such as 1.2.3 or 2.0.0-rc.1');

export const Sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters');

export const RoleSchema = z.enum(['viewer', 'contributor', 'maintainer', 'reviewer', 'governance-board', 'admin', 'auditor', 'external']);
export type Role = z.infer<typeof RoleSchema>;

/** Per-model roles (docs/authorization.md): owner > maintainer > contributor, on one model only. */
export const ModelRoleSchema = z.enum(['owner', 'maintainer', 'contributor']);
export type ModelRole = z.infer<typeof ModelRoleSchema>;

/** What an API token may be narrowed to: groups of actions (docs/authorization.md). */
export const TokenScopeSchema = z.enum(['read', 'write', 'review', 'admin', 'telemetry']);
export type TokenScope = z.infer<typeof TokenScopeSchema>;

export const SensitivitySchema = z.enum(['public', 'internal', 'confidential', 'restricted']);
export type Sensitivity = z.infer<typeof SensitivitySchema>;

export const RiskTierSchema = z.enum(['minimal', 'limited', 'high', 'unacceptable']);
export type RiskTier = z.infer<typeof RiskTierSchema>;

export const LineageRelationSchema = z.enum(['trained_on', 'evaluated_on']);
export type LineageRelation = z.infer<typeof LineageRelationSchema>;

function parseName(value: string, what: string, where: string): string {
  const r = NameSchema.safeParse(value);
  if (!r.success) {
    throw new StewardError('bad_request', `${where}: ${what} "${value}" ${r.error.issues[0]?.message ?? 'is invalid'}`);
  }
  return value;
}

export interface ModelRef {
  org: string;
  model: string;
}

/** Parses `ORG/NAME`. */
export function parseModelRef(text: string, where = 'model'): ModelRef {
  const parts = text.split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new StewardError('bad_request', `${where}: expected ORG/NAME, got "${text}"`);
  }
  return { org: parseName(parts[0], 'org', where), model: parseName(parts[1], 'model name', where) };
}

export interface ModelVersionRef extends ModelRef {
  /** A semantic version or a ring name (a ring resolves to the version it points at). */
  ref: string;
  kind: 'version' | 'ring';
}

/** Parses `ORG/NAME@VERSION` or `ORG/NAME@RING`. */
export function parseModelVersionRef(text: string, where = 'model version'): ModelVersionRef {
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) {
    throw new StewardError('bad_request', `${where}: expected ORG/NAME@VERSION or ORG/NAME@RING, got "${text}"`);
  }
  const base = parseModelRef(text.slice(0, at), where);
  const ref = text.slice(at + 1);
  if (isSemver(ref)) return { ...base, ref, kind: 'version' };
  if (RingNameSchema.safeParse(ref).success) return { ...base, ref, kind: 'ring' };
  throw new StewardError('bad_request', `${where}: "${ref}" in "${text}" is neither a semantic version nor a ring name`);
}

export interface DatasetRef {
  name: string;
  version: string;
}

/** Parses `NAME@VERSION` for datasets. Dataset versions are free-form labels (dates, hashes, semver). */
export function parseDatasetRef(text: string, where = 'dataset'): DatasetRef {
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) {
    throw new StewardError('bad_request', `${where}: expected NAME@VERSION, got "${text}"`);
  }
  const name = parseName(text.slice(0, at), 'dataset name', where);
  const version = text.slice(at + 1);
  const v = DatasetVersionSchema.safeParse(version);
  if (!v.success) {
    throw new StewardError('bad_request', `${where}: dataset version "${version}" ${v.error.issues[0]?.message ?? 'is invalid'}`);
  }
  return { name, version };
}

export const DatasetVersionSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/, 'must be 1-128 characters of letters, digits, ".", "_", "+" or "-"');

/** Strict SemVer 2.0.0, as SemverSchema accepts it (no leading "v", no loose forms). */
export function isSemver(v: string): boolean {
  return semver.valid(v) === v;
}

/** SemVer 2.0.0 precedence; throws on invalid input. */
export function semverCompare(a: string, b: string): number {
  if (!isSemver(a) || !isSemver(b)) throw new StewardError('bad_request', `not a semantic version: ${isSemver(a) ? b : a}`);
  return semver.compare(a, b);
}
