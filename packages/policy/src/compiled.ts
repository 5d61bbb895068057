/**
 * A compiled policy set: parsed, type-checked expressions ready to run. Only lintPolicyFiles
 * creates one (and only when lint found no errors), and evaluate() refuses anything else, so a
 * lint error can never surface at evaluation time.
 */
import { createHash } from 'node:crypto';
import type { ParseResult } from '@marcbachmann/cel-js';
import type { RiskTier } from '@steward/domain';
import type { Position } from './positions.js';

import type { CompiledAlertRule } from './alerts.js';

export interface SourceLocation extends Position {
  file: string;
}

export type CompiledTemplatePart = { kind: 'text'; text: string } | { kind: 'expr'; source: string; run: ParseResult };

export interface CompiledRead {
  /** The CEL source of the value read, e.g. `record.license.declared`. */
  source: string;
  run: ParseResult;
}

export interface CompiledRule {
  id: string;
  severity: 'error' | 'warning';
  description: string | null;
  expression: string;
  message: string;
  run: ParseResult;
  template: CompiledTemplatePart[];
  reads: CompiledRead[];
  /** Where the rule's expression is written. */
  location: SourceLocation;
}

export interface CompiledPolicy {
  name: string;
  description: string | null;
  file: string;
  location: SourceLocation;
  appliesTo: { rings: string[] | null; riskTiers: RiskTier[] | null; models: string[] | null };
  /** Effective parameter values as CEL values (defaults with overrides applied). */
  params: Record<string, unknown>;
  rules: CompiledRule[];
}

export interface CompiledPolicySet {
  /** `sha256:<hex>` of the canonical encoding of the source files (see policySetDigest). */
  digest: string;
  files: { path: string; sha256: string }[];
  policies: CompiledPolicy[];
  ruleCount: number;
  /** Alert rules from `alerts:` files (alerts.ts); they never affect a version's evaluation. */
  alerts: CompiledAlertRule[];
}

const genuine = new WeakSet<CompiledPolicySet>();

export function sealPolicySet(set: CompiledPolicySet): CompiledPolicySet {
  Object.freeze(set);
  genuine.add(set);
  return set;
}

export function isCompiledPolicySet(value: unknown): value is CompiledPolicySet {
  return typeof value === 'object' && value !== null && genuine.has(value as CompiledPolicySet);
}

/**
 * sha256 over the files sorted by path (code unit order), each encoded as
 * `<utf8 byte length of path>:<path>\n<utf8 byte length of text>:<text>\n`, so no two different
 * sets of files share an encoding.
 */
export function policySetDigest(files: readonly { path: string; text: string }[], params?: Readonly<Record<string, Readonly<Record<string, unknown>>>>): string {
  const h = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    h.update(`${Buffer.byteLength(f.path)}:${f.path}\n${Buffer.byteLength(f.text)}:`);
    h.update(f.text);
    h.update('\n');
  }
  // Parameter overrides change what the rules decide, so they are part of the set's identity.
  // Without overrides the encoding is unchanged (a set of files alone keeps its digest).
  const overrides = Object.entries(params ?? {}).filter(([, v]) => Object.keys(v).length > 0);
  if (overrides.length > 0) {
    const text = stableJson(Object.fromEntries(overrides));
    h.update(`params\n${Buffer.byteLength(text)}:${text}\n`);
  }
  return `sha256:${h.digest('hex')}`;
}

/** JSON with object keys sorted (code unit order): one text per value. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
