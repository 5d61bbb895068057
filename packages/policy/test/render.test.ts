import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { evaluate, renderEvaluations, renderLintGithub, renderLintText, toPolicySarif, lintPolicyFiles, OUTPUT_FORMATS, type Evaluation } from '../src/index.js';
import { compile, record } from './helpers.js';

const SARIF_SCHEMA = fileURLToPath(new URL('../../../../shared/vectors/schemas/sarif-schema-2.1.0.json', import.meta.url));

const POLICY = `policies:
  - name: demo
    rules:
      - id: license.allowed
        severity: error
        message: "License {{ record.license.declared }} is not allowed: <100% \\"ok\\">"
        expression: licenseAllowed(record.license.declared, ["MIT"])
      - id: card.limitations
        severity: warning
        message: "Card lacks limitations, 50% done,\\nsecond line"
        expression: "false"
      - id: files.few
        severity: error
        message: too many files
        expression: record.files.size() > 100
      - id: license.text
        severity: error
        message: "{{ record.license.declared }}"
        expression: record.license.declared.startsWith("x")
      - id: always.ok
        severity: error
        message: never shown
        expression: "true"
`;

function evaluation(subject = true): Evaluation {
  const set = compile([{ path: 'policies/demo.yaml', text: POLICY }]);
  return evaluate(set, record({ license: null, card: null }), {
    now: new Date('2025-01-01T00:00:00Z'),
    waivers: [{ ruleId: 'files.few', reason: 'small model', approver: 'carol', expires: '2025-12-31' }],
    subject: subject ? { file: 'steward.yaml', line: 4, column: 5 } : null,
  });
}

describe('renderers', () => {
  it('text names each failing rule, its message, the values read and where the rule is', () => {
    const out = renderEvaluations('text', [evaluation()]);
    expect(out).toContain('acme/tiny@1.0.0  ring beta  tier limited: FAILED');
    expect(out).toMatch(/ERROR {2}error {3}license\.allowed: License null is not allowed: <100% "ok"> \(evaluation error: found no matching overload/);
    expect(out).toContain('read: record.license.declared = null');
    expect(out).toContain('rule: policies/demo.yaml:7:21 (policy demo)');
    expect(out).toContain('FAIL   warning card.limitations: Card lacks limitations');
    expect(out).toContain('WAIVED error   files.few: too many files');
    expect(out).toContain('waived by carol until 2025-12-31: small model');
    expect(out).not.toContain('always.ok');
    expect(out.trimEnd().split('\n').at(-1)).toBe('policy check failed (1 of 1 model)');
    expect(renderEvaluations('text', [evaluation()], { verbose: true })).toContain('PASS   error   always.ok: passed');
  });

  it('json carries the outcome and the evaluations', () => {
    const parsed = JSON.parse(renderEvaluations('json', [evaluation()])) as { outcome: string; evaluations: Evaluation[] };
    expect(parsed.outcome).toBe('failed');
    expect(parsed.evaluations[0]!.results.map((r) => [r.ruleId, r.status])).toEqual([
      ['license.allowed', 'error'],
      ['card.limitations', 'fail'],
      ['files.few', 'waived'],
      ['license.text', 'error'],
      ['always.ok', 'pass'],
    ]);
  });

  it('sarif is valid SARIF 2.1.0 with one result per reported rule, waivers as suppressions', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(SARIF_SCHEMA, 'utf8')) as object);
    for (const ev of [evaluation(true), evaluation(false)]) {
      const sarif = JSON.parse(renderEvaluations('sarif', [ev], { toolVersion: '0.1.0' })) as Record<string, unknown>;
      expect(validate(sarif), JSON.stringify(validate.errors)).toBe(true);
    }
    const sarif = toPolicySarif([evaluation()]) as { runs: { results: { ruleId: string; level: string; locations?: unknown[]; suppressions?: unknown[]; message: { text: string } }[]; tool: { driver: { rules: { id: string }[] } } }[] };
    const results = sarif.runs[0]!.results;
    expect(results.map((r) => [r.ruleId, r.level])).toEqual([
      ['license.allowed', 'error'],
      ['card.limitations', 'warning'],
      ['files.few', 'error'],
      ['license.text', 'error'],
    ]);
    expect(results[0]!.locations).toEqual([{ physicalLocation: { artifactLocation: { uri: 'steward.yaml' }, region: { startLine: 4, startColumn: 5 } } }]);
    expect(results[2]!.suppressions).toEqual([{ kind: 'external', status: 'accepted', justification: 'small model (approved by carol, expires 2025-12-31)' }]);
    expect(results[0]!.message.text).toContain('acme/tiny@1.0.0: License null is not allowed');
    expect(sarif.runs[0]!.tool.driver.rules.map((r) => r.id)).toEqual(['license.allowed', 'card.limitations', 'files.few', 'license.text']);
    // Without a subject, results point at the rule in its (repository) policy file.
    const noSubject = toPolicySarif([evaluation(false)]) as typeof sarif;
    expect(noSubject.runs[0]!.results[0]!.locations).toEqual([{ physicalLocation: { artifactLocation: { uri: 'policies/demo.yaml' }, region: { startLine: 7, startColumn: 21 } } }]);
  });

  it('junit has a suite per model and a case per rule, escaped', () => {
    const out = renderEvaluations('junit', [evaluation()]);
    expect(out.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="steward policy" tests="5" failures="1" errors="2" skipped="1">')).toBe(true);
    expect(out).toContain('<testsuite name="acme/tiny@1.0.0" tests="5" failures="1" errors="2" skipped="1"');
    expect(out).toContain('<error message="[license.allowed] License null is not allowed: &lt;100% &quot;ok&quot;&gt; (evaluation error:');
    expect(out).toContain('<failure message="[card.limitations] Card lacks limitations, 50% done,\nsecond line" type="warning">');
    expect(out).toContain('<skipped message="[files.few] waived by carol until 2025-12-31: small model; too many files"/>');
    expect(out).toContain('<testcase classname="acme/tiny@1.0.0.demo" name="always.ok" file="policies/demo.yaml" line="23"/>');
    // Balanced elements.
    expect(out.match(/<testcase /g)).toHaveLength(5);
    expect((out.match(/<\/testcase>/g) ?? []).length + (out.match(/<testcase [^>]*\/>/g) ?? []).length).toBe(5);
  });

  it('github emits workflow commands with escaped properties and data', () => {
    const lines = renderEvaluations('github', [evaluation()]).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^::error file=steward\.yaml,line=4,col=5,title=acme\/tiny@1\.0\.0%3A license\.allowed::\[license\.allowed\] License null is not allowed: <100%25 "ok">/);
    expect(lines[1]).toBe('::warning file=steward.yaml,line=4,col=5,title=acme/tiny@1.0.0%3A card.limitations::[card.limitations] Card lacks limitations, 50%25 done,%0Asecond line');
    expect(lines[2]).toMatch(/^::notice file=steward\.yaml,line=4,col=5,title=acme\/tiny@1\.0\.0%3A files\.few \(waived\)::\[files\.few\] too many files%0A.*%0Awaived by carol/);
    expect(lines.at(-1)).toBe('steward check failed');
    for (const l of lines.slice(0, -1)) expect(l).not.toMatch(/\n/);
  });

  it('every format reports every failing rule id', () => {
    for (const format of OUTPUT_FORMATS) {
      const out = renderEvaluations(format, [evaluation()]);
      for (const id of ['license.allowed', 'card.limitations', 'files.few', 'license.text']) expect(out, `${format} ${id}`).toContain(id);
    }
  });

  it('lint diagnostics render as compiler-style lines and annotations', () => {
    const { diagnostics } = lintPolicyFiles([{ path: 'p.yaml', text: POLICY.replace('record.files.size()', 'record.filez.size()') }]);
    expect(renderLintText(diagnostics)).toBe('p.yaml:15:28: error: expression does not type-check: No such key: filez (the governance record\'s fields are listed in docs/governance-record.schema.json) [demo/files.few]\n');
    expect(renderLintGithub(diagnostics)).toMatch(/^::error file=p\.yaml,line=15,col=28,title=policy lint \[demo\/files\.few\]::expression does not type-check/);
  });
});
