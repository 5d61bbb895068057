import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { jinjaTemplateHandler } from '../../src/formats/jinja-template.js';
import { TopLevelKeyScanner, tokenizerConfigHandler } from '../../src/formats/tokenizer-config.js';
import { ruleIds, scan } from './engine.js';
import { fuzzSeconds, fuzzSeed, reportFailures } from './fuzz-core.js';
import { fuzzJinja } from './fuzz-lib.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name));

describe('tokenizer_config.json and chat_template.json', () => {
  test('benign configs: the template sits beyond the 4 KiB head and is still found', async () => {
    const buf = fixture('tokenizer_config.benign.json');
    expect(buf.indexOf('chat_template')).toBeGreaterThan(4096);
    const r = await scan(buf, 'tokenizer_config.json');
    expect(r.format).toBe('tokenizer-config');
    expect(r.verdict).toBe('safe');
    expect(r.details).toMatchObject({ chatTemplates: ['default'] });
    const c = await scan(fixture('chat_template.json'), 'chat_template.json');
    expect([c.format, c.verdict]).toEqual(['tokenizer-config', 'safe']);
  });

  test('a malicious chat_template is unsafe, located by JSON path, byte offset and template line', async () => {
    const buf = fixture('tokenizer_config.malicious.json');
    const r = await scan(buf, 'tokenizer_config.json');
    expect(r.verdict).toBe('unsafe');
    const f = r.findings.find((x) => x.ruleId === 'template.dunder-attribute')!;
    expect(f.location).toMatchObject({ path: 'chat_template', line: 1 });
    expect(buf.subarray(f.location!.offset!, f.location!.offset! + 5).toString()).toBe('"{{ s');
  });

  test('named templates (a list of {name, template}): each is analysed', async () => {
    const r = await scan(fixture('tokenizer_config.named.json'), 'tokenizer_config.json');
    expect(r.verdict).toBe('unsafe');
    expect(r.details).toMatchObject({ chatTemplates: ['default', 'tool_use'] });
    const f = r.findings.find((x) => x.ruleId === 'template.dunder-attribute')!;
    expect(f.location).toMatchObject({ path: 'chat_template[1].template', line: 2 });
    expect(f.message).toContain('chat_template "tool_use"');
  });

  test('an escaped key (chat\\u005ftemplate) is the same key', async () => {
    const r = await scan(fixture('tokenizer_config.escaped-key.json'), 'tokenizer_config.json');
    expect(r.verdict).toBe('unsafe');
  });

  test('a JSON object without chat_template is plain json', async () => {
    const r = await scan(fixture('tokenizer_config.no-template.json'), 'tokenizer_config.json');
    expect([r.format, r.verdict, r.findings]).toEqual(['json', 'safe', []]);
    const nested = await scan('{"a": {"chat_template": "{{ x.__class__ }}"}}', 'config.json');
    expect(nested.format).toBe('json');
  });

  test('Python json dialect, duplicates, bad shapes, invalid JSON', async () => {
    const nan = await scan('{"x": NaN, "chat_template": "{{ messages }}"}', 'tokenizer_config.json');
    expect([nan.format, nan.verdict]).toEqual(['tokenizer-config', 'safe']);
    const dup = await scan('{"chat_template": "{{ messages }}", "chat_template": "{{ x.__class__ }}"}', 'tokenizer_config.json');
    expect(dup.verdict).toBe('unsafe');
    expect(ruleIds(dup)).toContain('tokenizer-config.duplicate-key');
    const dup2 = await scan('{"chat_template": "{{ x.__class__ }}", "chat_template": "{{ messages }}"}', 'tokenizer_config.json');
    expect(dup2.verdict).toBe('unsafe');
    const mapping = await scan('{"chat_template": {"default": "{{ messages }}", "rag": "{{ x.__class__ }}"}}', 'tokenizer_config.json');
    expect(mapping.verdict).toBe('unsafe');
    expect(mapping.findings.find((f) => f.ruleId === 'template.dunder-attribute')!.location).toMatchObject({ path: 'chat_template.rag', line: 1 });
    const bad = await scan('{"chat_template": 42}', 'tokenizer_config.json');
    expect([bad.verdict, ruleIds(bad)]).toEqual(['unknown', ['tokenizer-config.invalid-chat-template']]);
    const badItem = await scan('{"chat_template": [{"name": "a"}]}', 'tokenizer_config.json');
    expect(ruleIds(badItem)).toEqual(['tokenizer-config.invalid-chat-template']);
    const broken = await scan('{"chat_template": "{{ messages }}", ', 'tokenizer_config.json');
    expect([broken.verdict, ruleIds(broken)]).toEqual(['unknown', ['tokenizer-config.invalid-json']]);
    const nul = await scan('{"chat_template": null}', 'tokenizer_config.json');
    expect(nul.verdict).toBe('safe');
  });

  test('a config larger than the text limit with a chat_template is inconclusive; without one it is json', async () => {
    const big = Buffer.from(JSON.stringify({ pad: 'x'.repeat(5000), chat_template: '{{ messages }}' }));
    const r = await scan(big, 'tokenizer_config.json', { limits: { maxTextBytes: 1000 } });
    expect([r.verdict, ruleIds(r)]).toEqual(['inconclusive', ['limit.maxTextBytes']]);
    const plain = await scan(Buffer.from(JSON.stringify({ pad: 'x'.repeat(5000) })), 'config.json', { limits: { maxTextBytes: 1000 } });
    expect([plain.format, plain.verdict]).toEqual(['json', 'safe']);
  });

  test('the streaming key scanner follows strings, escapes and nesting across chunks', () => {
    const doc = Buffer.from('{"a": "chat_template", "b": {"chat_template": 1}, "c\\"": ["chat_template"], "chat\\u005ftemplate" : 1}');
    for (const size of [1, 3, 7, doc.length]) {
      const s = new TopLevelKeyScanner('chat_template');
      for (let i = 0; i < doc.length; i += size) s.push(doc.subarray(i, i + size));
      expect(s.found).toBe(true);
    }
    const s = new TopLevelKeyScanner('chat_template');
    s.push(Buffer.from('{"a": "chat_template", "b": {"chat_template": 1}, "c": ["chat_template"]}'));
    expect(s.found).toBe(false);
  });

  test('detection: JSON objects only (templates starting with {% or {{ are not claimed)', () => {
    expect(tokenizerConfigHandler.detect(Buffer.from('\uFEFF  {\n  "a": 1}'), 10, 'x')).toBe(true);
    expect(tokenizerConfigHandler.detect(Buffer.from('{}'), 2, 'x')).toBe(true);
    expect(tokenizerConfigHandler.detect(Buffer.from('{% for m in messages %}'), 10, 'x.json')).toBe(false);
    expect(tokenizerConfigHandler.detect(Buffer.from('{{ bos_token }}'), 10, 'x.json')).toBe(false);
    expect(tokenizerConfigHandler.detect(Buffer.from('[1, 2]'), 6, 'x.json')).toBe(false);
  });
});

describe('.jinja files and template detection', () => {
  test('a .jinja file is a template even without tags (name as tie-break)', async () => {
    const r = await scan('You are a helpful assistant.', 'chat_template.jinja');
    expect([r.format, r.verdict]).toEqual(['jinja-template', 'safe']);
  });

  test('templates are recognized by content, whatever the name', async () => {
    const r = await scan(fixture('chatml.jinja'), 'template.txt');
    expect([r.format, r.verdict]).toEqual(['jinja-template', 'safe']);
    const m = await scan(fixture('cve-2024-34359.jinja'), 'notes.txt');
    expect([m.format, m.verdict]).toEqual(['jinja-template', 'unsafe']);
    const l = await scan(fixture('llama3.jinja'), 'x');
    expect(l.format).toBe('jinja-template');
  });

  test('a README with {{ placeholders }} is text', async () => {
    const r = await scan('# Model\n\nUse `{{ name }}` and {{ version }} in your config.\n', 'README.md');
    expect(r.format).toBe('text');
  });

  test('a model card quoting an incomplete template is text, a complete one is a (safe) template', async () => {
    const partial = await scan('# Chat format\n\n```\n{% for message in messages %}\n{{ message.content }}\n```\n', 'README.md');
    expect([partial.format, partial.verdict, ruleIds(partial)]).toEqual(['text', 'safe', ['template.unparsed-text']]);
    const full = await scan('# Chat format\n\n```\n' + fixture('chatml.jinja').toString() + '\n```\n', 'README.md');
    expect([full.format, full.verdict]).toEqual(['jinja-template', 'safe']);
  });

  test('an unparsable .jinja file is unknown; unparsable content with escape material is unsafe', async () => {
    const r = await scan(fixture('unclosed-if.jinja'), 'chat_template.jinja');
    expect([r.verdict, ruleIds(r)]).toEqual(['unknown', ['template.syntax-error']]);
    const m = await scan('{% for m in messages %}{{ m.__class__ }}', 'doc.md');
    expect([m.format, m.verdict]).toEqual(['jinja-template', 'unsafe']);
  });

  test('python source and JSON are left to their handlers', async () => {
    const py = await scan('import os\nTEMPLATE = "{% for m in messages %}{{ m }}{% endfor %}"\n', 'tpl.py');
    expect(py.format).toBe('python-source');
    expect(jinjaTemplateHandler.detect(Buffer.from('{"chat_template": "{% if x %}"}'), 10, 'tokenizer_config.json')).toBe(false);
    expect(jinjaTemplateHandler.detect(Buffer.from([0x7b, 0x25, 0, 0x25, 0x7d]), 5, 'x.jinja')).toBe(false);
  });

  test('a template over the text limit is inconclusive', async () => {
    const r = await scan(fixture('llama3.jinja'), 'chat_template.jinja', { limits: { maxTextBytes: 100 } });
    expect([r.verdict, ruleIds(r)]).toEqual(['inconclusive', ['template.limit']]);
  });
});

describe('jinja fuzzing', () => {
  test('mutated templates never crash the analyzer or the handlers, never hang, always get a verdict', async () => {
    const r = await fuzzJinja(fuzzSeconds(3), fuzzSeed(0x1a2b));
    expect(r.cases).toBeGreaterThan(100);
    expect(r.formats['jinja-template'] ?? 0).toBeGreaterThan(r.cases / 3);
    expect(reportFailures('fuzzJinja', r)).toEqual([]);
  });
});

describe('templates that start like JSON', () => {
  test('a chat_template.jinja rendering JSON is analysed as a template (not taken for a JSON document)', async () => {
    const evil = '{"role": "{{ messages[0].role }}", "x": "{{ cycler.__init__.__globals__.os.popen(\'id\').read() }}"}';
    const r = await scan(evil, 'chat_template.jinja');
    expect(r.verdict).toBe('unsafe');
    expect(ruleIds(r)).toContain('template.dunder-attribute');
    const benign = await scan('{"messages": [{% for m in messages %}{{ m | tojson }}{% if not loop.last %}, {% endif %}{% endfor %}]}', 'additional_chat_templates/json.jinja');
    expect([benign.verdict, benign.findings]).toEqual(['safe', []]);
    expect(jinjaTemplateHandler.detect(Buffer.from('{"a": "{{ x }}"}'), 16, 'chat_template.jinja')).toBe(true);
  });
});
