/** Human output: per model, what failed, why, the values read, and where the rule is written. */
import type { Evaluation, RuleResult } from '../evaluate.js';
import { overallOutcome, readsText, reported, resultText } from './common.js';

const LABEL: Record<RuleResult['status'], string> = { pass: 'PASS', fail: 'FAIL', error: 'ERROR', waived: 'WAIVED', skipped: 'SKIP' };

export function renderEvaluationText(evaluations: readonly Evaluation[], opts: { verbose?: boolean } = {}): string {
  const out: string[] = [];
  for (const ev of evaluations) {
    const c = ev.counts;
    out.push(
      `${ev.model}${ev.ring ? `  ring ${ev.ring}` : ''}${ev.riskTier ? `  tier ${ev.riskTier}` : ''}: ${ev.outcome.toUpperCase()}` +
        `  (${c.pass} passed, ${c.fail} failed, ${c.error} errors, ${c.waived} waived, ${c.skipped} skipped; policy set ${ev.policySet.digest.slice(0, 19)}…)`,
    );
    for (const r of reported(ev, opts.verbose)) {
      out.push(`  ${LABEL[r.status].padEnd(6)} ${r.severity.padEnd(7)} ${r.ruleId}: ${r.status === 'pass' || r.status === 'skipped' ? (r.skipReason ?? 'passed') : resultText(r)}`);
      if (r.status === 'pass' || r.status === 'skipped') continue;
      if (r.reads.length) out.push(`         read: ${readsText(r)}`);
      if (r.waiver) out.push(`         waived by ${r.waiver.approver} until ${r.waiver.expires}: ${r.waiver.reason}`);
      if (r.expiredWaiver) out.push(`         a waiver by ${r.expiredWaiver.approver} expired on ${r.expiredWaiver.expires}`);
      out.push(`         rule: ${r.location.file}:${r.location.line}:${r.location.column} (policy ${r.policy})`);
    }
  }
  const failed = evaluations.filter((e) => e.outcome === 'failed').length;
  out.push(overallOutcome(evaluations) === 'passed' ? `policy check passed (${evaluations.length} model${evaluations.length === 1 ? '' : 's'})` : `policy check failed (${failed} of ${evaluations.length} model${evaluations.length === 1 ? '' : 's'})`);
  return `${out.join('\n')}\n`;
}
