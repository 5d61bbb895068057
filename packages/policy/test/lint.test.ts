import { describe, expect, it } from 'vitest';
import { evaluate, lintPolicyFiles, policySetDigest, type CompiledPolicySet, type LintDiagnostic } from '../src/index.js';
import { compile, oneRule, record } from './helpers.js';

function lint(text: string, path = 'p.yaml'): LintDiagnostic[] {
  return lintPolicyFiles([{ path, text }]).diagnostics;
}

/** The 1-based line and column of the first occurrence of `needle` in `text`. */
function where(text: string, needle: string, nth = 0): { line: number; column: number } {
  let at = -1;
  for (let i = 0; i <= nth; i++) at = text.indexOf(needle, at + 1);
  if (at < 0) throw new Error(`${needle} not in text`);
  const before = text.slice(0, at).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

const VALID = `policies:
  - name: licenses
    description: Commercial use
    appliesTo: { rings: [production], riskTiers: [high], models: ["acme/*"] }
    params:
      allowed: { type: list<string>, default: [MIT, Apache-2.0] }
    rules:
      - id: license.ok
        severity: error
        message: "License {{ record.license.declared }} is not allowed"
        expression: licenseAllowed(record.license.declared, params.allowed)
`;

describe('lintPolicyFiles', () => {
  it('compiles a valid file with no diagnostics', () => {
    const r = lintPolicyFiles([{ path: 'p.yaml', text: VALID }]);
    expect(r.diagnostics).toEqual([]);
    expect(r.policySet?.ruleCount).toBe(1);
    expect(r.policySet?.policies[0]?.appliesTo).toEqual({ rings: ['production'], riskTiers: ['high'], models: ['acme/*'] });
    expect(r.policySet?.policies[0]?.rules[0]?.location).toEqual({ file: 'p.yaml', ...where(VALID, 'licenseAllowed') });
  });

  it('reports invalid YAML at its position and compiles nothing', () => {
    const text = 'policies:\n  - name: x\n    rules: [\n';
    const r = lintPolicyFiles([{ path: 'bad.yaml', text }]);
    expect(r.policySet).toBeNull();
    expect(r.diagnostics[0]).toMatchObject({ file: 'bad.yaml', severity: 'error' });
    expect(r.diagnostics[0]!.message).toMatch(/^invalid YAML/);
    expect(r.diagnostics[0]!.line).toBeGreaterThanOrEqual(3);
  });

  it('reports duplicate YAML keys', () => {
    const text = 'policies:\n  - name: x\n    name: y\n    rules: []\n';
    const d = lint(text);
    expect(d[0]!.message).toMatch(/invalid YAML: .*(duplicate|unique)/i);
    expect(d[0]!.line).toBe(3);
  });

  it('reports unknown fields at the key, naming the allowed ones', () => {
    const text = VALID.replace('        severity: error\n', '        severity: error\n        sevrity: warning\n');
    const d = lint(text);
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ policy: 'licenses', ruleId: 'license.ok', ...where(text, 'sevrity') });
    expect(d[0]!.message).toContain('unknown field "sevrity"');
    expect(d[0]!.message).toContain('expected one of: id, severity, message, expression');
  });

  it('reports missing and wrongly typed fields at the node', () => {
    const text = `policies:\n  - name: p\n    rules:\n      - id: a.b\n        severity: fatal\n        expression: "true"\n`;
    const d = lint(text);
    expect(d.map((x) => x.message)).toEqual(expect.arrayContaining([expect.stringMatching(/severity: Invalid option/), expect.stringMatching(/message: required field is missing/)]));
    expect(d.find((x) => x.message.includes('severity'))).toMatchObject(where(text, 'fatal'));
  });

  it('keeps linting the other rules of a file with a schema error', () => {
    const text = `policies:
  - name: p
    rules:
      - id: a.one
        severity: error
        message: m
        expression: "true"
        bogus: 1
      - id: a.two
        severity: error
        message: m
        expression: record.nope == 1
`;
    const d = lint(text);
    expect(d.map((x) => x.ruleId)).toEqual(['a.one', 'a.two']);
    expect(d[1]).toMatchObject(where(text, 'nope'));
  });

  it('reports duplicate rule ids across files and duplicate policy names', () => {
    const a = oneRule('true', { id: 'dup.rule' });
    const b = oneRule('true', { id: 'dup.rule' }).replace('name: test', 'name: other');
    const r = lintPolicyFiles([
      { path: 'a.yaml', text: a },
      { path: 'b.yaml', text: b },
    ]);
    expect(r.policySet).toBeNull();
    expect(r.diagnostics).toEqual([expect.objectContaining({ file: 'b.yaml', ruleId: 'dup.rule', ...where(b, 'dup.rule'), message: 'duplicate rule id "dup.rule" (first defined at a.yaml:4)' })]);
    const c = lintPolicyFiles([
      { path: 'a.yaml', text: a },
      { path: 'c.yaml', text: oneRule('true', { id: 'x.y' }) },
    ]);
    expect(c.diagnostics[0]!.message).toBe('duplicate policy name "test" (first defined at a.yaml:2)');
  });

  it('points parse errors at the offending character in plain, quoted and block scalars', () => {
    const plain = oneRule('x').replace('expression: "x"', 'expression: record.model.name == == "a"');
    expect(lint(plain)[0]).toMatchObject({ ...where(plain, '== "a"'), message: expect.stringMatching(/^expression does not parse/) });

    const quoted = oneRule('record.model.name == == "a"');
    expect(lint(quoted)[0]).toMatchObject(where(quoted, '== \\"a'));

    const block = `policies:
  - name: p
    rules:
      - id: a.b
        severity: error
        message: m
        expression: |
          record.model.name == "a" &&
            record.card.present &&
            record.card.licence == "x"
`;
    expect(lint(block)[0]).toMatchObject({ ...where(block, 'licence'), message: expect.stringContaining('No such key: licence') });
  });

  it('rejects fields absent from the record schema, at any depth, including comprehension variables', () => {
    for (const expr of ['record.modle.name == "x"', 'record.files.all(f, f.szie > 0)', 'record.datasets.exists(d, d.pii.ssns > 0)']) {
      const text = oneRule(expr);
      const d = lint(text);
      expect(d, expr).toHaveLength(1);
      expect(d[0]!.message).toMatch(/No such key: (modle|szie|ssns)/);
    }
  });

  it('rejects type errors and non-boolean expressions', () => {
    expect(lint(oneRule('record.model.name + 1 == 2'))[0]!.message).toMatch(/does not type-check: no such overload/);
    expect(lint(oneRule('record.license.declared'))[0]!.message).toBe('expression must be bool (true = the rule passes), but its type is dyn<string>');
    expect(lint(oneRule('size(record.files)'))[0]!.message).toContain('its type is int');
    expect(lint(oneRule('spdxSatisfies(record.license.declared, "MIT")'))[0]!.message).toContain('expected spdxSatisfies(string, list<string>): bool');
    expect(lint(oneRule('undeclared == 1'))[0]!.message).toMatch(/does not type-check/);
  });

  it('lints message templates, pointing inside the message', () => {
    const text = oneRule('true', { message: 'saw {{ record.card.lisense }} here' });
    expect(lint(text)[0]).toMatchObject({ ...where(text, 'lisense'), message: expect.stringContaining('message template {{ record.card.lisense }} does not type-check') });
    expect(lint(oneRule('true', { message: 'open {{ record.model.name' }))[0]!.message).toBe('message: template hole "{{" is not closed with "}}"');
    expect(lint(oneRule('true', { message: 'count {{ size(record.files) }} and {{{{literal' }))).toEqual([]);
  });

  it('checks parameter defaults and overrides against their declared types', () => {
    const text = oneRule('record.files.size() <= params.maxFiles', { params: '{ maxFiles: { type: int, default: "ten" } }' });
    expect(lint(text)[0]).toMatchObject({ ...where(text, '"ten"'), message: 'params.maxFiles.default: expected int, got "ten"' });

    const good = oneRule('record.files.size() <= params.maxFiles', { params: '{ maxFiles: { type: int, default: 10 } }' });
    const locate = () => ({ line: 7, column: 9 });
    const r = lintPolicyFiles([{ path: 'p.yaml', text: good }], { params: { test: { maxFiles: 2.5, other: 1 }, ghost: {} }, paramsFile: 'steward.yaml', locateParam: locate });
    expect(r.policySet).toBeNull();
    expect(r.diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.message}`)).toEqual([
      'steward.yaml:7:9 params.test.maxFiles: expected int, got 2.5',
      'steward.yaml:7:9 policy "test" has no parameter "other" (its parameters: maxFiles)',
      'steward.yaml:7:9 parameters given for unknown policy "ghost" (policies: test)',
    ]);
  });

  it('type-checks params by their declared types', () => {
    expect(lint(oneRule('params.maxFiles == "x"', { params: '{ maxFiles: { type: int, default: 1 } }' }))[0]!.message).toMatch(/no such overload/);
    expect(lint(oneRule('params.missing == 1', { params: '{ maxFiles: { type: int, default: 1 } }' }))[0]!.message).toMatch(/No such key: missing/);
  });
});

describe('compiled policy sets', () => {
  it('evaluate refuses a policy set that did not come out of lint', () => {
    const real = compile(oneRule('true'));
    const forged = { ...real } as CompiledPolicySet;
    expect(() => evaluate(forged, record())).toThrow(/compiled by lintPolicyFiles/);
    expect(() => evaluate(real, record())).not.toThrow();
  });

  it('has a digest over the files sorted by path, independent of input order', () => {
    const a = { path: 'a.yaml', text: oneRule('true', { id: 'a.a' }).replace('name: test', 'name: a') };
    const b = { path: 'b.yaml', text: oneRule('true', { id: 'b.b' }).replace('name: test', 'name: b') };
    const s1 = compile([a, b]);
    const s2 = compile([b, a]);
    expect(s1.digest).toBe(s2.digest);
    expect(s1.digest).toBe(policySetDigest([a, b]));
    expect(s1.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(compile([a, { ...b, text: `${b.text}# changed\n` }]).digest).not.toBe(s1.digest);
    // Moving text between path and content changes the encoding.
    expect(policySetDigest([{ path: 'ab', text: 'c' }])).not.toBe(policySetDigest([{ path: 'a', text: 'bc' }]));
    expect(s1.files.map((f) => f.path)).toEqual(['a.yaml', 'b.yaml']);
  });

  it('covers parameter overrides: the same files with other values are another set; no overrides keep the files-only digest', () => {
    const files = [{ path: 'p.yaml', text: 'x' }];
    expect(policySetDigest(files, {})).toBe(policySetDigest(files));
    expect(policySetDigest(files, { evaluation: {} })).toBe(policySetDigest(files));
    const a = policySetDigest(files, { evaluation: { minimum: 0.85, metric: 'f1' } });
    expect(a).not.toBe(policySetDigest(files));
    expect(policySetDigest(files, { evaluation: { metric: 'f1', minimum: 0.85 } })).toBe(a);
    expect(policySetDigest(files, { evaluation: { minimum: 0.9, metric: 'f1' } })).not.toBe(a);
  });
});
