/**
 * Stored policy sets: immutable files by digest, compiled on first use and kept compiled (a set is
 * a few dozen rules; recompiling on every evaluation would cost more than the evaluation).
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { StewardError, type PolicySet } from '@steward/domain';
import { lintPolicyFiles, type CompiledPolicySet, type LintDiagnostic, type ParamOverrides } from '@steward/policy';
import type { DB, PolicySetsTable } from '../db/schema.js';
import { parseJson, type Tx } from '../services/context.js';

type Db = Kysely<DB> | Tx;

export interface StoredPolicyFile {
  path: string;
  sha256: string;
  text: string;
}

const COMPILED_CACHE_LIMIT = 32;
const compiled = new Map<string, CompiledPolicySet>();

/** Lints files; throws validation_failed naming every error (file, rule, line, column) when they do not lint. */
export function compilePolicyFiles(files: readonly { path: string; text: string }[], params: ParamOverrides = {}): { set: CompiledPolicySet; warnings: LintDiagnostic[] } {
  const { diagnostics, policySet } = lintPolicyFiles(
    files.map((f) => ({ path: f.path, text: f.text })),
    { params, paramsFile: 'params' },
  );
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (!policySet || errors.length > 0) {
    const first = errors[0];
    throw new StewardError(
      'validation_failed',
      `the policy files do not lint: ${errors.length} error${errors.length === 1 ? '' : 's'}${first ? `; first: ${first.file}:${first.line}:${first.column}${first.ruleId ? ` rule ${first.ruleId}` : ''}: ${first.message}` : ''}`,
      { diagnostics: errors.map((d) => ({ file: d.file, policy: d.policy, ruleId: d.ruleId, line: d.line, column: d.column, message: d.message })) },
    );
  }
  return { set: policySet, warnings: diagnostics.filter((d) => d.severity === 'warning') };
}

export function policyFilesOf(row: PolicySetsTable): StoredPolicyFile[] {
  return parseJson<StoredPolicyFile[]>(row.files_json, []);
}

export function policyParamsOf(row: PolicySetsTable): ParamOverrides {
  return parseJson<ParamOverrides>(row.params_json, {});
}

/** The compiled form of a stored set (cached by digest; a digest names exactly one set of files). */
export function compiledPolicySet(row: PolicySetsTable): CompiledPolicySet {
  const hit = compiled.get(row.digest);
  if (hit) return hit;
  const { set } = compilePolicyFiles(policyFilesOf(row), policyParamsOf(row));
  if (set.digest !== row.digest) throw new StewardError('integrity_violation', `stored policy set ${row.digest} now digests to ${set.digest}`);
  if (compiled.size >= COMPILED_CACHE_LIMIT) compiled.delete(compiled.keys().next().value!);
  compiled.set(row.digest, set);
  return set;
}

export function sha256Text(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The org's active policy set: the one pushed most recently (null when none was ever pushed). */
export async function activePolicySet(db: Db, orgId: string): Promise<PolicySetsTable | null> {
  const latest = await db
    .selectFrom('policy_set_pushes as p')
    .innerJoin('policy_sets as s', 's.id', 'p.policy_set_id')
    .selectAll('s')
    .where('p.org_id', '=', orgId)
    .orderBy('p.seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return latest ?? null;
}

export async function policySetView(db: Db, row: PolicySetsTable, activeId: string | null): Promise<PolicySet> {
  const pushes = await db
    .selectFrom('policy_set_pushes')
    .select(['pushed_at', 'pushed_by', 'comment'])
    .where('policy_set_id', '=', row.id)
    .orderBy('seq', 'desc')
    .limit(100)
    .execute();
  return {
    digest: row.digest,
    files: policyFilesOf(row).map((f) => ({ path: f.path, sha256: f.sha256 })),
    params: policyParamsOf(row),
    policies: Number(row.policy_count),
    rules: Number(row.rule_count),
    createdAt: row.created_at,
    createdBy: row.created_by,
    active: row.id === activeId,
    pushes: pushes.map((p) => ({ pushedAt: p.pushed_at, pushedBy: p.pushed_by, comment: p.comment })),
  };
}
