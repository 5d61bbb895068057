/**
 * Jinja2 chat templates as an attack surface: lexer, parser and static analysis (see analyze.ts),
 * and the glue that turns a template's issues into report findings for the format handlers
 * (GGUF metadata, tokenizer_config.json, `.jinja` files).
 */
import type { ScanContext } from '../context.js';
import type { Finding, FindingLocation } from '../types.js';
import { RULES, analyzeTemplate, type TemplateAnalysis } from './analyze.js';

export { analyzeTemplate, fallbackScan, RULES, INTERNAL_ATTRIBUTES, APP_GLOBALS, OBJECT_GLOBALS, MAX_RANGE, type TemplateAnalysis, type TemplateIssue } from './analyze.js';
export { parseTemplate, TemplateLimitError } from './parser.js';
export { TemplateSyntaxError } from './lexer.js';

export interface TemplateReport {
  findings: Finding[];
  /** Facts for `details`: name, lines, statements, parsed. */
  summary: { name: string; bytes: number; lines: number; statements: number; parsed: boolean };
  analysis: TemplateAnalysis | null;
}

/**
 * Analyses one template. `label` names it in messages (`chat template "tool_use"`); `where` is
 * merged into every finding's location (the template's line is added).
 */
export function checkTemplate(ctx: ScanContext, source: string, label: string, where: Omit<FindingLocation, 'line'>): TemplateReport {
  const bytes = Buffer.byteLength(source, 'utf8');
  if (bytes > ctx.limits.maxTextBytes) {
    return {
      findings: [{ ruleId: RULES.limit.ruleId, severity: RULES.limit.severity, verdict: RULES.limit.verdict, message: `${label}: ${bytes} bytes exceeds the ${ctx.limits.maxTextBytes}-byte text limit; not analysed`, location: { ...where } }],
      summary: { name: label, bytes, lines: 0, statements: 0, parsed: false },
      analysis: null,
    };
  }
  const analysis = analyzeTemplate(source, { tick: () => ctx.checkTime() });
  const findings: Finding[] = analysis.issues.map((i) => ({
    ruleId: i.ruleId,
    severity: i.severity,
    verdict: i.verdict,
    message: `${label}: ${i.message}`,
    location: { ...where, line: i.line },
  }));
  return { findings, summary: { name: label, bytes, lines: analysis.stats.lines, statements: analysis.stats.statements, parsed: analysis.parsed }, analysis };
}
