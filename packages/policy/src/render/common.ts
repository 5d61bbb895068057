/** Shared by the renderers: where a result points, how a read value prints, the overall outcome. */
import type { SourceLocation } from '../compiled.js';
import type { Evaluation, RuleResult } from '../evaluate.js';

/** Built-in policy files live inside the package, not in the repository being checked. */
export function isBuiltinFile(file: string): boolean {
  return file.startsWith('builtin:');
}

/** Where a result points in the repository: the evaluation's subject, else the rule's own file unless built in. */
export function resultLocation(ev: Evaluation, r: RuleResult): SourceLocation | null {
  if (ev.subject) return ev.subject;
  return isBuiltinFile(r.location.file) ? null : r.location;
}

export function overallOutcome(evaluations: readonly Evaluation[]): 'passed' | 'failed' {
  return evaluations.some((e) => e.outcome === 'failed') ? 'failed' : 'passed';
}

/** Results worth reporting: fail, error, waived (pass and skipped only when verbose). */
export function reported(ev: Evaluation, verbose = false): RuleResult[] {
  return ev.results.filter((r) => verbose || r.status === 'fail' || r.status === 'error' || r.status === 'waived');
}

export function shortJson(value: unknown, max = 160): string {
  const s = JSON.stringify(value) ?? 'undefined';
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** The text a result reports: its message, plus the evaluation error for errors. */
export function resultText(r: RuleResult): string {
  const base = r.message ?? r.ruleId;
  const err = r.status === 'error' || r.waivedStatus === 'error' ? ` (evaluation error: ${r.error})` : '';
  return `${base}${err}`;
}

export function readsText(r: RuleResult): string {
  return r.reads.map((x) => `${x.source} = ${shortJson(x.value)}`).join('; ');
}
