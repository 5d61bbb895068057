import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { buildReport } from '../src/scan.js';
import { exitCodeFor, renderText, toSarif } from '../src/render.js';
import type { FileReport } from '../src/types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const schemaPath = path.resolve(here, '../../../../shared/vectors/schemas/sarif-schema-2.1.0.json');

function file(over: Partial<FileReport>): FileReport {
  return { path: 'x', format: 'data', size: 1, sha256: null, verdict: 'safe', findings: [], ...over };
}

const evilMember = file({
  path: 'model.pt!archive/data.pkl',
  format: 'pickle',
  verdict: 'unsafe',
  imports: [
    { module: 'collections', name: 'OrderedDict', verdict: 'safe', reason: 'allowlist', opcode: 'GLOBAL', offset: 2, pickleIndex: 0 },
    { module: 'os', name: 'system', verdict: 'unsafe', reason: 'denied: runs a shell command', opcode: 'STACK_GLOBAL', offset: 41, pickleIndex: 0 },
  ],
});
const zip = file({
  path: 'model.pt',
  format: 'pytorch-zip',
  verdict: 'unsafe',
  findings: [{ ruleId: 'zip.name-mismatch', severity: 'high', verdict: 'unsafe', message: 'local header name differs', location: { member: 'archive/data.pkl', offset: 0 } }],
  children: [evilMember],
});
const template = file({
  path: 'tokenizer_config.json',
  format: 'tokenizer-config',
  verdict: 'unknown',
  findings: [
    { ruleId: 'template.dynamic-attribute', severity: 'medium', verdict: 'unknown', message: 'computed attribute name', location: { line: 3, path: 'chat_template' } },
    { ruleId: 'format.note', severity: 'info', verdict: 'safe', message: 'info only' },
  ],
});
const slow = file({ path: 'big.pkl', format: 'pickle', verdict: 'inconclusive', findings: [{ ruleId: 'limit.time', severity: 'medium', verdict: 'inconclusive', message: 'time budget exceeded' }] });

describe('SARIF', () => {
  it('is valid SARIF 2.1.0 per the OASIS schema, one result per non-info finding and non-safe import', () => {
    const report = buildReport([zip, template, slow], {});
    const sarif = toSarif(report) as any;
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaPath, 'utf8')));
    const ok = validate(sarif);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    const results = sarif.runs[0].results;
    expect(results.map((r: any) => `${r.ruleId}:${r.level}`)).toEqual(['zip.name-mismatch:error', 'pickle.unsafe-import:error', 'template.dynamic-attribute:warning', 'limit.time:warning']);
    const imp = results[1];
    expect(imp.locations[0].physicalLocation.artifactLocation.uri).toBe('model.pt');
    expect(imp.properties.member).toBe('archive/data.pkl');
    expect(imp.message.text).toContain('os.system');
    expect(results[2].locations[0].physicalLocation.region).toEqual({ startLine: 3 });
    const rules = sarif.runs[0].tool.driver.rules.map((r: any) => r.id);
    expect(rules).toEqual(['zip.name-mismatch', 'pickle.unsafe-import', 'template.dynamic-attribute', 'limit.time']);
    for (const r of results) expect(rules[r.ruleIndex]).toBe(r.ruleId);
  });

  it('a clean scan is valid SARIF with no results', () => {
    const sarif = toSarif(buildReport([file({ path: 'ok.safetensors', format: 'safetensors' })], {})) as any;
    const ajv = new Ajv({ strict: false });
    addFormats(ajv);
    expect(ajv.validate(JSON.parse(fs.readFileSync(schemaPath, 'utf8')), sarif)).toBe(true);
    expect(sarif.runs[0].results).toEqual([]);
  });
});

describe('exit codes', () => {
  it('1 for unsafe, 1 for unknown under --fail-on unknown, 3 for inconclusive, 0 otherwise', () => {
    expect(exitCodeFor(buildReport([zip], {}), 'unsafe')).toBe(1);
    expect(exitCodeFor(buildReport([template], {}), 'unknown')).toBe(1);
    expect(exitCodeFor(buildReport([template], {}), 'unsafe')).toBe(0);
    expect(exitCodeFor(buildReport([slow], {}), 'unknown')).toBe(3);
    expect(exitCodeFor(buildReport([slow, template], {}), 'unknown')).toBe(1);
    expect(exitCodeFor(buildReport([file({})], {}), 'unknown')).toBe(0);
  });
});

describe('text', () => {
  it('shows what is not safe, members nested, and a summary line', () => {
    const lines = renderText(buildReport([zip, template], {}));
    expect(lines[0]).toBe('UNSAFE       model.pt  [pytorch-zip]');
    expect(lines).toContain('  high     zip.name-mismatch: local header name differs (member archive/data.pkl, offset 0)');
    expect(lines).toContain('  UNSAFE       model.pt!archive/data.pkl  [pickle]');
    expect(lines).toContain('    import   unsafe  os.system (STACK_GLOBAL at 41; denied: runs a shell command)');
    expect(lines).toContain('    imports  1 safe (collections.OrderedDict)');
    expect(lines.join('\n')).not.toContain('info only');
    expect(lines.at(-1)).toBe('verdict: unsafe (2 files, 1 members: 1 unsafe, 0 inconclusive, 1 unknown, 0 safe)');
  });
});
