/**
 * Helper functions available to rule expressions and message templates. Each entry is documented
 * in docs/policy-library.md ("Helper functions"); a test keeps the two lists in step.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { RiskTierSchema, SensitivitySchema, isSemver, semverCompare, type RiskTier } from '@steward/domain/names';
import { globMatch } from './glob.js';
import { FINDING_SEVERITIES, VerdictSchema, type FindingSeverity, type Verdict } from './record.js';
import { UseCaseImpactSchema, riskTier, tierRank } from './risk.js';
import { licenseAllowed, spdxIds, spdxSatisfies, spdxValid } from './spdx.js';

export const RECORD_TYPE = 'GovernanceRecord';

export interface HelperFunction {
  /** cel-js signature: `name(types): type` or `Type.name(types): type` for the method form. */
  signature: string;
  description: string;
  example: string;
  handler: (...args: never[]) => unknown;
}

/** Reads a field of a CEL message value (cel-js wraps typed objects in a Map) or of a plain object. */
function field(obj: unknown, key: string): unknown {
  return obj instanceof Map ? obj.get(key) : (obj as Record<string, unknown>)[key];
}

function severity(text: string): FindingSeverity {
  if (!(FINDING_SEVERITIES as readonly string[]).includes(text)) {
    throw new Error(`unknown finding severity "${text}" (expected one of ${FINDING_SEVERITIES.join(', ')})`);
  }
  return text as FindingSeverity;
}

function countFindings(record: unknown, sev: string): bigint {
  return field(field(field(record, 'scan'), 'findings'), severity(sev)) as bigint;
}

function findingsAtLeast(record: unknown, sev: string): bigint {
  const counts = field(field(record, 'scan'), 'findings');
  const limit = FINDING_SEVERITIES.indexOf(severity(sev));
  let total = 0n;
  for (let i = 0; i <= limit; i++) total += field(counts, FINDING_SEVERITIES[i]!) as bigint;
  return total;
}

const VERDICT_RANK: Record<Verdict, number> = { safe: 0, unknown: 1, inconclusive: 2, unsafe: 3 };
function verdict(text: string): Verdict {
  const r = VerdictSchema.safeParse(text);
  if (!r.success) throw new Error(`unknown verdict "${text}" (expected safe, unknown, inconclusive or unsafe)`);
  return r.data;
}

function tier(text: string): RiskTier {
  const r = RiskTierSchema.safeParse(text);
  if (!r.success) throw new Error(`unknown risk tier "${text}" (expected ${RiskTierSchema.options.join(', ')})`);
  return r.data;
}

function semver(text: string): string {
  if (!isSemver(text)) throw new Error(`"${text}" is not a semantic version (e.g. 1.2.3)`);
  return text;
}

export const HELPER_FUNCTIONS: readonly HelperFunction[] = [
  {
    signature: 'spdxValid(string): bool',
    description: 'The text is a valid SPDX license expression (ids are matched case-insensitively; `other` is not valid).',
    example: 'spdxValid(record.license.declared)',
    handler: (e: string) => spdxValid(e),
  },
  {
    signature: 'spdxSatisfies(string, list<string>): bool',
    description:
      'The SPDX expression is satisfied by the allowlist of simple ids (`MIT OR GPL-3.0` is satisfied by `[MIT]`; `MIT AND GPL-3.0` is not; `GPL-2.0+` ranges work). An invalid expression is an evaluation error.',
    example: 'spdxSatisfies(record.license.declared, ["Apache-2.0", "MIT"])',
    handler: (e: string, list: string[]) => spdxSatisfies(e, list),
  },
  {
    signature: 'licenseAllowed(string, list<string>): bool',
    description: 'Like spdxSatisfies, but `other` and invalid expressions are simply not allowed (false) rather than an error.',
    example: 'licenseAllowed(record.license.declared, params.allowed)',
    handler: (e: string, list: string[]) => licenseAllowed(e, list),
  },
  {
    signature: 'spdxIds(string): list<string>',
    description: 'The license and exception ids an expression names, in canonical case (empty for an invalid expression).',
    example: 'spdxIds(record.license.declared).all(id, !id.startsWith("CC-BY-NC"))',
    handler: (e: string) => spdxIds(e),
  },
  {
    signature: 'semverValid(string): bool',
    description: 'The text is a strict semantic version (1.2.3, 2.0.0-rc.1; no leading v).',
    example: 'semverValid(record.model.version)',
    handler: (v: string) => isSemver(v),
  },
  {
    signature: 'semverCompare(string, string): int',
    description: 'SemVer 2.0.0 precedence of a against b: -1, 0 or 1. An invalid version is an evaluation error.',
    example: 'semverCompare(record.model.version, "1.0.0") >= 0',
    handler: (a: string, b: string) => BigInt(semverCompare(semver(a), semver(b))),
  },
  {
    signature: 'semverAtLeast(string, string): bool',
    description: 'Version a is at least version b (SemVer precedence).',
    example: 'semverAtLeast(record.model.version, "1.0.0")',
    handler: (a: string, b: string) => semverCompare(semver(a), semver(b)) >= 0,
  },
  {
    signature: 'glob(string, string): bool',
    description: 'The path (second argument) matches the glob pattern (first): `*` within one path segment, `**` across segments, `?`, `[a-z]`.',
    example: 'record.files.all(f, !glob("**/*.pkl", f.path))',
    handler: (pattern: string, path: string) => globMatch(pattern, path),
  },
  {
    signature: 'globAny(list<string>, string): bool',
    description: 'The path matches at least one of the glob patterns.',
    example: 'globAny(["*.safetensors", "*.gguf"], f.path)',
    handler: (patterns: string[], path: string) => patterns.some((p) => globMatch(p, path)),
  },
  {
    signature: 'sum(list<int>): int',
    description: 'Sum of integers (0 for an empty list).',
    example: 'sum(record.files.map(f, f.size)) <= 50000000000',
    handler: (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n),
  },
  {
    signature: 'sum(list<double>): double',
    description: 'Sum of doubles (0.0 for an empty list).',
    example: 'sum(e.metrics.map(m, m.value)) > 0.0',
    handler: (xs: number[]) => xs.reduce((a, b) => a + b, 0),
  },
  {
    signature: `countFindings(${RECORD_TYPE}, string): int`,
    description: 'Scanner findings of exactly this severity (critical, high, medium, low, info) over all files.',
    example: 'countFindings(record, "critical") == 0',
    handler: (r: unknown, s: string) => countFindings(r, s),
  },
  {
    signature: `${RECORD_TYPE}.countFindings(string): int`,
    description: 'Method form of countFindings.',
    example: 'record.countFindings("high") == 0',
    handler: (r: unknown, s: string) => countFindings(r, s),
  },
  {
    signature: `findingsAtLeast(${RECORD_TYPE}, string): int`,
    description: 'Scanner findings of this severity or worse (`"high"` counts critical and high).',
    example: 'findingsAtLeast(record, "high") == 0',
    handler: (r: unknown, s: string) => findingsAtLeast(r, s),
  },
  {
    signature: `${RECORD_TYPE}.findingsAtLeast(string): int`,
    description: 'Method form of findingsAtLeast.',
    example: 'record.findingsAtLeast("medium") <= 3',
    handler: (r: unknown, s: string) => findingsAtLeast(r, s),
  },
  {
    signature: 'verdictAtLeast(string, string): bool',
    description: 'Scan verdict a is as bad as b or worse (safe < unknown < inconclusive < unsafe).',
    example: 'record.files.all(f, f.verdict != null && !verdictAtLeast(f.verdict, "unknown"))',
    handler: (a: string, b: string) => VERDICT_RANK[verdict(a)] >= VERDICT_RANK[verdict(b)],
  },
  {
    signature: 'tierAtLeast(string, string): bool',
    description: 'Risk tier a is at least tier b (minimal < limited < high < unacceptable).',
    example: 'record.model.riskTier != null && tierAtLeast(record.model.riskTier, "high")',
    handler: (a: string, b: string) => tierRank(tier(a)) >= tierRank(tier(b)),
  },
  {
    signature: 'riskTier(string, string): string',
    description: 'The risk taxonomy: tier for a data sensitivity (public, internal, confidential, restricted) and a use-case impact (negligible, moderate, significant, prohibited).',
    example: 'riskTier("restricted", "moderate") == "high"',
    handler: (s: string, i: string) => riskTier({ dataSensitivity: SensitivitySchema.parse(s), useCaseImpact: UseCaseImpactSchema.parse(i) }),
  },
];

export function registerHelperFunctions(env: Environment): void {
  for (const f of HELPER_FUNCTIONS) env.registerFunction(f.signature, f.handler as (...args: unknown[]) => unknown, { description: f.description });
}

/** Function names (without receiver), for documentation checks. */
export function helperFunctionNames(): string[] {
  return [...new Set(HELPER_FUNCTIONS.map((f) => f.signature.replace(/\(.*$/, '').replace(/^.*\./, '')))];
}
