/**
 * SARIF 2.1.0 for code-scanning UIs: one run, one rule per policy rule that reported, one result
 * per failed, errored or waived rule (waived ones carry an external suppression).
 */
import type { Evaluation, RuleResult } from '../evaluate.js';
import { overallOutcome, reported, resultLocation, resultText } from './common.js';

export interface SarifOptions {
  toolVersion?: string;
}

export function toPolicySarif(evaluations: readonly Evaluation[], opts: SarifOptions = {}): Record<string, unknown> {
  const rules = new Map<string, { r: RuleResult; index: number }>();
  const results: Record<string, unknown>[] = [];
  for (const ev of evaluations) {
    for (const r of reported(ev)) {
      if (!rules.has(r.ruleId)) rules.set(r.ruleId, { r, index: rules.size });
      const loc = resultLocation(ev, r);
      results.push({
        ruleId: r.ruleId,
        ruleIndex: rules.get(r.ruleId)!.index,
        level: r.severity === 'error' ? 'error' : 'warning',
        kind: 'fail',
        message: { text: `${ev.model}: ${resultText(r)}` },
        ...(loc ? { locations: [{ physicalLocation: { artifactLocation: { uri: loc.file.split('/').map(encodeURIComponent).join('/') }, region: { startLine: loc.line, startColumn: loc.column } } }] } : {}),
        ...(r.waiver ? { suppressions: [{ kind: 'external', status: 'accepted', justification: `${r.waiver.reason} (approved by ${r.waiver.approver}, expires ${r.waiver.expires})` }] } : {}),
        partialFingerprints: { stewardRule: `${ev.model.replace(/@.*$/, '')}/${r.ruleId}` },
        properties: { model: ev.model, policy: r.policy, status: r.status, severity: r.severity, reads: r.reads, ...(r.error ? { error: r.error } : {}) },
      });
    }
  }
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'steward-policy',
            ...(opts.toolVersion ? { version: opts.toolVersion } : {}),
            informationUri: 'https://github.com/steward/steward/blob/main/docs/policy-library.md',
            rules: [...rules.values()].map(({ r }) => ({
              id: r.ruleId,
              name: r.ruleId.replace(/[.-](\w)/g, (_, c: string) => c.toUpperCase()),
              shortDescription: { text: r.ruleId },
              fullDescription: { text: `${r.policy}: ${r.expression.trim()}` },
              defaultConfiguration: { level: r.severity === 'error' ? 'error' : 'warning' },
              properties: { policy: r.policy, tags: ['governance', 'ml-model'] },
            })),
          },
        },
        results,
        invocations: [{ executionSuccessful: true, ...(evaluations[0] ? { endTimeUtc: evaluations[0].evaluatedAt } : {}) }],
        properties: {
          outcome: overallOutcome(evaluations),
          evaluations: evaluations.map((e) => ({ model: e.model, ring: e.ring, outcome: e.outcome, counts: e.counts, policySetDigest: e.policySet.digest })),
        },
      },
    ],
  };
}

export function renderEvaluationSarif(evaluations: readonly Evaluation[], opts: SarifOptions = {}): string {
  return `${JSON.stringify(toPolicySarif(evaluations, opts), null, 2)}\n`;
}
