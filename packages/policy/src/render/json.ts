/** Machine output: the evaluations as they are, with the overall outcome. */
import type { Evaluation } from '../evaluate.js';
import { overallOutcome } from './common.js';

export function renderEvaluationJson(evaluations: readonly Evaluation[]): string {
  return `${JSON.stringify({ outcome: overallOutcome(evaluations), evaluations }, null, 2)}\n`;
}
