/** JUnit XML: a test suite per model, a test case per rule (failure, error or skipped). */
import type { Evaluation } from '../evaluate.js';
import { readsText, resultText } from './common.js';

function xml(s: string): string {
  // Characters XML 1.0 forbids are dropped; the five specials are escaped.
  return s
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export function renderEvaluationJunit(evaluations: readonly Evaluation[]): string {
  let tests = 0;
  let failures = 0;
  let errors = 0;
  let skipped = 0;
  const suites: string[] = [];
  for (const ev of evaluations) {
    const cases: string[] = [];
    const c = { tests: 0, failures: 0, errors: 0, skipped: 0 };
    for (const r of ev.results) {
      c.tests++;
      const head = `    <testcase classname="${xml(`${ev.model}.${r.policy}`)}" name="${xml(r.ruleId)}" file="${xml(r.location.file)}" line="${r.location.line}"`;
      const detail = xml([resultText(r), r.reads.length ? `read: ${readsText(r)}` : '', `rule: ${r.location.file}:${r.location.line}:${r.location.column}`].filter(Boolean).join('\n'));
      if (r.status === 'pass') cases.push(`${head}/>`);
      else if (r.status === 'fail') {
        c.failures++;
        cases.push(`${head}>\n      <failure message="${xml(`[${r.ruleId}] ${resultText(r)}`)}" type="${r.severity}">${detail}</failure>\n    </testcase>`);
      } else if (r.status === 'error') {
        c.errors++;
        cases.push(`${head}>\n      <error message="${xml(`[${r.ruleId}] ${resultText(r)}`)}" type="${r.severity}">${detail}</error>\n    </testcase>`);
      } else {
        c.skipped++;
        const why = r.status === 'waived' && r.waiver ? `[${r.ruleId}] waived by ${r.waiver.approver} until ${r.waiver.expires}: ${r.waiver.reason}; ${resultText(r)}` : (r.skipReason ?? 'skipped');
        cases.push(`${head}>\n      <skipped message="${xml(why)}"/>\n    </testcase>`);
      }
    }
    tests += c.tests;
    failures += c.failures;
    errors += c.errors;
    skipped += c.skipped;
    suites.push(
      `  <testsuite name="${xml(ev.model)}" tests="${c.tests}" failures="${c.failures}" errors="${c.errors}" skipped="${c.skipped}" timestamp="${xml(ev.evaluatedAt)}">\n` +
        `    <properties>\n      <property name="outcome" value="${ev.outcome}"/>\n      <property name="ring" value="${xml(ev.ring ?? '')}"/>\n      <property name="policySetDigest" value="${xml(ev.policySet.digest)}"/>\n    </properties>\n` +
        `${cases.join('\n')}\n  </testsuite>`,
    );
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="steward policy" tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}">\n${suites.join('\n')}\n</testsuites>\n`;
}
