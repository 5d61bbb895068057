import type { Evaluation } from '../evaluate.js';
import { renderEvaluationGithub } from './github.js';
import { renderEvaluationJson } from './json.js';
import { renderEvaluationJunit } from './junit.js';
import { renderEvaluationSarif } from './sarif.js';
import { renderEvaluationText } from './text.js';

export const OUTPUT_FORMATS = ['text', 'json', 'sarif', 'junit', 'github'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function renderEvaluations(format: OutputFormat, evaluations: readonly Evaluation[], opts: { verbose?: boolean; toolVersion?: string } = {}): string {
  switch (format) {
    case 'text':
      return renderEvaluationText(evaluations, opts);
    case 'json':
      return renderEvaluationJson(evaluations);
    case 'sarif':
      return renderEvaluationSarif(evaluations, opts);
    case 'junit':
      return renderEvaluationJunit(evaluations);
    case 'github':
      return renderEvaluationGithub(evaluations);
  }
}

export { renderEvaluationGithub, renderEvaluationJson, renderEvaluationJunit, renderEvaluationSarif, renderEvaluationText };
export { toPolicySarif, type SarifOptions } from './sarif.js';
export { renderLintText, renderLintGithub } from './lint.js';
export { overallOutcome } from './common.js';
