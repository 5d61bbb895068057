/** Lint diagnostics as compiler-style lines (`file:line:col: error: message [policy/rule]`) or GitHub annotations. */
import type { LintDiagnostic } from '../lint.js';

function tag(d: LintDiagnostic): string {
  const parts = [d.policy, d.ruleId].filter((x): x is string => x !== null);
  return parts.length ? ` [${parts.join('/')}]` : '';
}

export function renderLintText(diagnostics: readonly LintDiagnostic[]): string {
  return diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}${tag(d)}\n`).join('');
}

export function renderLintGithub(diagnostics: readonly LintDiagnostic[]): string {
  const esc = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const prop = (s: string) => esc(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
  return diagnostics.map((d) => `::${d.severity} file=${prop(d.file)},line=${d.line},col=${d.column},title=${prop(`policy lint${tag(d)}`)}::${esc(d.message)}\n`).join('');
}
