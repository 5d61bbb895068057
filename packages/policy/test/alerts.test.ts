/**
 * Alert rule files in a policy set: linted with the CEL policies (positions of every problem), compiled
 * into the set, and their conditions evaluated over a window's figures (absent figure: no data).
 */
import { describe, expect, it } from 'vitest';
import { evaluateAlertCondition, lintPolicyFiles, parseDuration } from '../src/index.js';

const GOOD = `alerts:
  - id: latency-p99
    condition: latency.p99 > 800 && requests >= 10
    rings: [production]
    window: 1h30m
    for: 2m
    actions: [notify, rollback]
  - id: drift
    condition: drift.share > 0.5 || drift.features["age"].drifted
    drift: { method: psi, threshold: 0.2 }
`;

function lint(text: string, path = 'alerts.yaml') {
  return lintPolicyFiles([{ path, text }], { prepared: new Map() });
}

describe('alert rule files', () => {
  it('compile into the policy set with their parsed durations and defaults, and count in its digest', () => {
    const r = lint(GOOD);
    expect(r.diagnostics).toEqual([]);
    const [a, b] = r.policySet!.alerts;
    expect(a).toMatchObject({ id: 'latency-p99', windowSeconds: 5400, forSeconds: 120, severity: 'high', noData: 'nodata', minRequests: 1, blocksPromotion: false, location: { file: 'alerts.yaml', line: 2, column: 5 } });
    expect(b).toMatchObject({ id: 'drift', windowSeconds: 300, forSeconds: 0, actions: ['notify'], models: ['*'], drift: { method: 'psi', threshold: 0.2 } });
    expect(r.policySet!.policies).toEqual([]);
    expect(lint(GOOD.replace('800', '900')).policySet!.digest).not.toBe(r.policySet!.digest);
  });

  it('refuse every kind of mistake with the file, line and column where it is written', () => {
    const cases: [string, RegExp, number, number][] = [
      [GOOD.replace('latency.p99', 'latncy.p99'), /condition does not type-check: Unknown variable: latncy \(figures: requests, /, 3, 16],
      [GOOD.replace('> 800 &&', '> > 800 &&'), /condition does not parse/, 3, 30],
      [GOOD.replace('window: 1h30m', 'window: 90 minutes'), /window: must be a duration such as 30s, 5m, 1h or 1d/, 5, 13],
      [GOOD.replace('window: 1h30m', 'window: 30s'), /window: must be at least 60 s/, 5, 13],
      [GOOD.replace('[notify, rollback]', '[notify, page]'), /actions\.1: Invalid option/, 7, 23],
      [GOOD.replace('    rings: [production]\n', ''), /a rule that rolls back must name its rings/, 6, 14],
      [GOOD.replace('id: drift', 'id: latency-p99'), /alert rule id "latency-p99" is already used at alerts.yaml:2:5/, 8, 9],
      [GOOD.replace('    for: 2m\n', '    for: 2m\n    colour: red\n'), /unknown field "colour" \(expected one of: id, description, condition/, 7, 5],
      [GOOD.replace('condition: drift.share > 0.5 || drift.features["age"].drifted', 'condition: requests + 1.0'), /condition must be a bool expression \(it is double\)/, 9, 16],
    ];
    for (const [text, message, line, column] of cases) {
      const r = lint(text);
      expect(r.policySet, String(message)).toBeNull();
      const d = r.diagnostics.find((x) => message.test(x.message));
      expect(d, `${message} in ${JSON.stringify(r.diagnostics)}`).toBeDefined();
      expect([d!.file, d!.line, d!.column], String(message)).toEqual(['alerts.yaml', line, column]);
    }
    // An alert file and a policy file with the same rule id are separate namespaces; two alert files are not.
    const two = lintPolicyFiles([{ path: 'a.yaml', text: GOOD }, { path: 'b.yaml', text: GOOD }], { prepared: new Map() });
    expect(two.diagnostics.map((d) => `${d.file}:${d.line}: ${d.message}`)).toEqual([
      'b.yaml:2: alert rule id "latency-p99" is already used at a.yaml:2:5',
      'b.yaml:8: alert rule id "drift" is already used at a.yaml:8:5',
    ]);
  });

  it('evaluate a condition over figures; a figure the window lacks is no data, not false', () => {
    const [rule] = lint(GOOD).policySet!.alerts;
    expect(evaluateAlertCondition(rule!, { latency: { p99: 900 }, requests: 20 })).toEqual({ kind: 'value', value: true });
    expect(evaluateAlertCondition(rule!, { latency: { p99: 700 }, requests: 20 })).toEqual({ kind: 'value', value: false });
    expect(evaluateAlertCondition(rule!, { requests: 20 })).toMatchObject({ kind: 'nodata' });
    expect(evaluateAlertCondition(rule!, { latency: {}, requests: 20 })).toMatchObject({ kind: 'nodata', reason: expect.stringMatching(/No such key: p99/) });
  });

  it('parse durations as sums of whole units', () => {
    expect(parseDuration('0s')).toBe(0);
    expect(parseDuration('90s')).toBe(90);
    expect(parseDuration('1d2h3m4s')).toBe(93_784);
    for (const bad of ['', '5', '1m2d', '1.5h', '-1m', 'm']) expect(parseDuration(bad), bad).toBeNull();
  });
});
