/**
 * Prepared policy files (preparePolicyFile, the built-in library's build-time index): linting a
 * prepared file gives exactly what parsing it gives (diagnostics with their positions, the policy
 * set's digest, files and every policy and rule location), including files whose errors are only
 * found after YAML (schema, duplicates, type errors), for which the YAML is then parsed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtinPolicyFiles, lintPolicyFiles, preparePolicyFile, type LintOptions, type LintResult, type PolicySource, type PreparedPolicyFile } from '../src/index.js';
import { oneRule } from './helpers.js';

function index(sources: readonly PolicySource[]): Map<string, PreparedPolicyFile> {
  const m = new Map<string, PreparedPolicyFile>();
  for (const s of sources) {
    const p = preparePolicyFile(s.text);
    if (p) m.set(p.sha256, p);
  }
  return m;
}

/** What lint produced, without the compiled CEL programs. */
function shape(r: LintResult) {
  const set = r.policySet;
  return {
    diagnostics: r.diagnostics,
    set: set && {
      digest: set.digest,
      files: set.files,
      ruleCount: set.ruleCount,
      policies: set.policies.map((p) => ({ ...p, rules: p.rules.map((x) => ({ id: x.id, location: x.location, reads: x.reads.map((rd) => rd.source), template: x.template.map((t) => (t.kind === 'text' ? t : t.source)) })) })),
    },
  };
}

function both(sources: PolicySource[], options: LintOptions = {}) {
  const prepared = index(sources);
  return { parsed: shape(lintPolicyFiles(sources, { ...options, prepared: new Map() })), prepared: shape(lintPolicyFiles(sources, { ...options, prepared })), used: prepared.size };
}

describe('prepared policy files', () => {
  it('the built-in library: the same policy set, locations and digest as parsing it', () => {
    const files = builtinPolicyFiles();
    const r = both(files);
    expect(r.used).toBe(files.length);
    expect(r.parsed.set?.ruleCount).toBeGreaterThan(20);
    expect(r.prepared).toEqual(r.parsed);
  });

  it('the built-in library with parameter overrides, good and bad', () => {
    const locate = () => ({ line: 3, column: 5 });
    const good = both(builtinPolicyFiles(), { params: { 'export-control': { parameterThreshold: 5 } }, paramsFile: 'steward.yaml', locateParam: locate });
    expect(good.prepared).toEqual(good.parsed);
    const bad = both(builtinPolicyFiles(), { params: { 'export-control': { parameterThreshold: 'many' }, nope: {} }, paramsFile: 'steward.yaml', locateParam: locate });
    expect(bad.parsed.diagnostics.length).toBeGreaterThan(0);
    expect(bad.prepared).toEqual(bad.parsed);
  });

  it('files valid as YAML but not as policies: schema errors, duplicates, type errors, bad templates, bad defaults', () => {
    const block = `policies:
  - name: blocky
    rules:
      - id: b.one
        severity: error
        message: m
        expression: |
          record.model.name == "a" &&
            record.card.licence == "x"
`;
    const cases: PolicySource[][] = [
      [{ path: 'schema.yaml', text: oneRule('true').replace('severity: error', 'severity: error\n        colour: red') }],
      [{ path: 'missing.yaml', text: 'policies:\n  - name: x\n    rules:\n      - id: a.b\n        severity: error\n' }],
      [
        { path: 'a.yaml', text: oneRule('true', { id: 'dup.rule' }) },
        { path: 'b.yaml', text: oneRule('true', { id: 'dup.rule' }) },
      ],
      [{ path: 'type.yaml', text: oneRule('record.model.name + 1 == 2') }],
      [{ path: 'block.yaml', text: block }],
      [{ path: 'template.yaml', text: oneRule('true', { message: 'saw {{ record.card.lisense }} here' }) }],
      [{ path: 'default.yaml', text: oneRule('record.files.size() <= params.maxFiles', { params: '{ maxFiles: { type: int, default: "ten" } }' }) }],
      [{ path: 'crlf.yaml', text: oneRule('record.modle.name == "x"').replace(/\n/g, '\r\n') }],
    ];
    for (const sources of cases) {
      const r = both(sources);
      expect(r.used, sources[0]!.path).toBeGreaterThan(0);
      expect(r.parsed.diagnostics.length, sources[0]!.path).toBeGreaterThan(0);
      expect(r.prepared, sources[0]!.path).toEqual(r.parsed);
    }
  });

  it('is not made for YAML with errors or warnings', () => {
    expect(preparePolicyFile('policies: [')).toBeNull();
    expect(preparePolicyFile('a: 1\na: 2\n')).toBeNull();
    expect(preparePolicyFile(oneRule('true'))).not.toBeNull();
  });

  it('is used only for the text it was made from', () => {
    const text = oneRule('true');
    const stale = preparePolicyFile(text)!;
    const changed = text.replace('id: test.rule', 'id: test.other');
    // An index entry filed under the new text's digest but made from the old text is ignored too.
    const r = lintPolicyFiles([{ path: 'p.yaml', text: changed }], { prepared: new Map([[preparePolicyFile(changed)!.sha256, stale]]) });
    expect(r.diagnostics).toEqual([]);
    expect(r.policySet!.policies[0]!.rules[0]!.id).toBe('test.other');
  });

  it('the build wrote the index of the current library (npm run build)', () => {
    const file = fileURLToPath(new URL('../dist/library-index.json', import.meta.url));
    expect(existsSync(file), 'packages/policy/dist/library-index.json: run npm run build').toBe(true);
    const built = JSON.parse(readFileSync(file, 'utf8')) as { files: PreparedPolicyFile[] };
    expect(built.files).toEqual(builtinPolicyFiles().map((f) => preparePolicyFile(f.text)));
  });
});
