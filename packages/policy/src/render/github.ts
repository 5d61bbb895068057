/**
 * GitHub Actions workflow commands: `::error file=F,line=L,col=C,title=T::message` per failed or
 * errored rule (warnings for warning severity, notices for waived ones).
 */
import type { Evaluation } from '../evaluate.js';
import { overallOutcome, readsText, reported, resultLocation, resultText } from './common.js';

function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function renderEvaluationGithub(evaluations: readonly Evaluation[]): string {
  const out: string[] = [];
  for (const ev of evaluations) {
    for (const r of reported(ev)) {
      const command = r.status === 'waived' ? 'notice' : r.severity === 'error' ? 'error' : 'warning';
      const loc = resultLocation(ev, r);
      const props = [
        ...(loc ? [`file=${escapeProperty(loc.file)}`, `line=${loc.line}`, `col=${loc.column}`] : []),
        `title=${escapeProperty(`${ev.model}: ${r.ruleId}${r.status === 'waived' ? ' (waived)' : ''}`)}`,
      ];
      const reads = r.reads.length ? `\n${readsText(r)}` : '';
      const waiver = r.waiver ? `\nwaived by ${r.waiver.approver} until ${r.waiver.expires}: ${r.waiver.reason}` : '';
      out.push(`::${command} ${props.join(',')}::${escapeData(`[${r.ruleId}] ${resultText(r)}${reads}${waiver}`)}`);
    }
  }
  out.push(`steward check ${overallOutcome(evaluations)}`);
  return `${out.join('\n')}\n`;
}
