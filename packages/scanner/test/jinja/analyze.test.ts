import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { analyzeTemplate, RULES } from '../../src/jinja/analyze.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const expected: { benign: string[]; malicious: Record<string, string>; invalid: string[] } = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8'));
const read = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const rules = (src: string) => [...new Set(analyzeTemplate(src).issues.map((i) => i.ruleId))].sort();
const worst = (src: string) => {
  const order = ['safe', 'unknown', 'inconclusive', 'unsafe'];
  return analyzeTemplate(src).issues.reduce((w, i) => (order.indexOf(i.verdict) > order.indexOf(w) ? i.verdict : w), 'safe');
};

describe('benign chat templates (Llama 3, ChatML, Qwen 2.5 tools, Qwen 3, Mistral, Gemma, Zephyr, DeepSeek, Phi-3)', () => {
  test.each(expected.benign)('%s has no finding', (name) => {
    const a = analyzeTemplate(read(name));
    expect(a.parsed).toBe(true);
    expect(a.issues).toEqual([]);
  });

  test('legitimate uses of globals: namespace(), cycler(), joiner(), range(), dict(), raise_exception', () => {
    for (const src of [
      '{% set ns = namespace(found=false, idx=0) %}{% for m in messages %}{% if m.role == "system" %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }}',
      "{% set c = cycler('a', 'b') %}{{ c.next() }}{% set j = joiner() %}{{ j() }}",
      '{% for i in range(messages|length) %}{{ messages[i].content }}{% endfor %}',
      "{% set d = dict(role='user') %}{{ d.role }}{{ raise_exception('bad role') }}",
      "{% for key in tool.parameters %}{{ tool.parameters[key] }}{% endfor %}",
      '{{ messages[loop.index0 - 1] if loop is defined else messages[-1] }}',
      "{{ message.get('content', '') | trim }}{{ (message.content | string)[:100] }}",
      "{% for m in messages %}{% if loop.previtem and roles[loop.previtem.role] %}{{ roles[loop.nextitem['role']] }}{% endif %}{% endfor %}",
      "{% set c = message['content'] if message['content'] is string else message['content'] | map(attribute='text') | join('') %}{{ c }}",
      // Recursive macro over a JSON schema (Hermes-style tool templates): parameters reach a fixed point.
      "{% macro t(spec) %}{% set m = {'string': 'str'} %}{{ m[spec.type] }}{% for s in spec.type %}{{ t({'type': s}) }}{% endfor %}{{ t(spec.items) }}{% endmacro %}{{ t(tool) }}",
      "{% set d = {'role': message.role, 'text': message.content} %}{{ roles[d.role] }}{{ roles[d['text']] }}{{ roles[d.get('role')] }}",
    ]) {
      expect(analyzeTemplate(src).issues, src).toEqual([]);
    }
  });
});

describe('malicious templates: exact rule and verdict', () => {
  test.each(Object.entries(expected.malicious))('%s -> %s', (name, rule) => {
    const a = analyzeTemplate(read(name));
    const hit = a.issues.find((i) => i.ruleId === rule);
    expect(hit, JSON.stringify(a.issues)).toBeDefined();
    const def = Object.values(RULES).find((r) => r.ruleId === rule)!;
    expect(hit!.verdict).toBe(def.verdict);
    expect(hit!.line).toBe(1);
  });

  test('CVE-2024-34359 payload is unsafe and critical', () => {
    const a = analyzeTemplate(read('cve-2024-34359.jinja'));
    expect(a.issues.filter((i) => i.ruleId === 'template.dunder-attribute').map((i) => i.message)).toEqual(
      expect.arrayContaining([expect.stringContaining('"__init__"'), expect.stringContaining('"__globals__"'), expect.stringContaining('"__builtins__"'), expect.stringContaining('"__import__"')]),
    );
    expect(a.issues.every((i) => i.ruleId !== 'template.dunder-attribute' || i.severity === 'critical')).toBe(true);
  });

  test('line numbers point at the payload inside a long template', () => {
    const src = read('llama3.jinja') + "\n{{ ''.__class__.__mro__ }}";
    const lines = read('llama3.jinja').split('\n').length + 1;
    const a = analyzeTemplate(src);
    expect(a.issues.map((i) => i.line)).toEqual([lines, lines]);
  });
});

describe('obfuscated names are folded to the dunder they build', () => {
  const cases: [string, string][] = [
    ['concat ~', "{{ x|attr('__cla' ~ 'ss__') }}"],
    ['concat +', "{{ x['__cla' + 'ss__'] }}"],
    ['implicit string concatenation', "{{ x['__cla' 'ss__'] }}"],
    ['repetition', "{{ x|attr('_' * 2 ~ 'class' ~ '_' * 2) }}"],
    ['hex escapes', "{{ x['\\x5f\\x5fclass\\x5f\\x5f'] }}"],
    ['unicode and octal escapes', "{{ x['\\u005f\\137class\\U0000005f\\x5f'] }}"],
    ['\\N{LOW LINE}', "{{ x['\\N{LOW LINE}\\N{LOW LINE}class\\N{LOW LINE}\\N{LOW LINE}'] }}"],
    ['join filter', "{{ x|attr(['__', 'class', '__']|join) }}"],
    ['join with separator', "{{ x|attr(['', 'class', '']|join('__')) }}"],
    ['str.join', "{{ x|attr(''.join(['__', 'class', '__'])) }}"],
    ['printf %', "{{ x|attr('%sclass%s' % ('__', '__')) }}"],
    ['format filter with %c', "{{ x|attr('%c%cclass%c%c'|format(95, 95, 95, 95)) }}"],
    ['str.format', "{{ x|attr('{}class{}'.format('__', '__')) }}"],
    ['reverse filter', "{{ x|attr('__ssalc__'|reverse) }}"],
    ['slice reversal', "{{ x|attr('__ssalc__'[::-1]) }}"],
    ['slicing', "{{ x|attr('xx__class__yy'[2:-2]) }}"],
    ['replace', "{{ x|attr('AAclassAA'|replace('A', '_')) }}"],
    ['str.replace', "{{ x|attr('AAclassAA'.replace('A', '_')) }}"],
    ['lower', "{{ x|attr('__CLASS__'|lower) }}"],
    ['str.lower', "{{ x|attr('__CLASS__'.lower()) }}"],
    ['first of list', "{{ x|attr(['__class__', 'y']|first) }}"],
    ['dict lookup', "{{ x|attr({'k': '__class__'}['k']) }}"],
    ['dict attribute', "{{ x|attr({'k': '__class__'}.k) }}"],
    ['set variable', "{% set a = '__cla' %}{% set b = a ~ 'ss__' %}{{ x[b] }}"],
    ['tuple unpacking', "{% set a, b = '__cla', 'ss__' %}{{ x[a ~ b] }}"],
    ['block set', '{% set k %}__class__{% endset %}{{ x|attr(k) }}'],
    ['block set with whitespace control', '{%- set k -%}\n  __class__\n{%- endset %}{{ x|attr(k) }}'],
    ['block set through filter', '{% set k | lower %}__CLASS__{% endset %}{{ x|attr(k) }}'],
    ['macro output', '{% macro u() %}__class__{% endmacro %}{{ x|attr(u()) }}'],
    ['macro parameter', "{% macro g(o, k) %}{{ o[k] }}{% endmacro %}{{ g(x, '__class__') }}"],
    ['macro default', "{% macro g(o, k='__class__') %}{{ o[k] }}{% endmacro %}{{ g(x) }}"],
    ['macro keyword argument', "{% macro g(o, k) %}{{ o[k] }}{% endmacro %}{{ g(o=x, k='__class__') }}"],
    ['loop variable', "{% for k in ['__class__'] %}{{ x[k] }}{% endfor %}"],
    ['loop over string chars', "{% for c in '_' %}{{ x[c * 2 ~ 'class' ~ c * 2] }}{% endfor %}"],
    ['with', "{% with k = '__class__' %}{{ x[k] }}{% endwith %}"],
    ['dict literal with data values', "{% set d = {'k': '__class__', 'j': message} %}{{ x[d.k] }}"],
    ['dict items unpacking', "{% set d = {'k': '__class__', 'j': message} %}{% for a, b in d|items %}{{ x[b] }}{% endfor %}"],
    ['recursive macro parameter', "{% macro g(o, k) %}{% if o %}{{ g(o.next, k) }}{% endif %}{{ o[k] }}{% endmacro %}{{ g(x, '__class__') }}"],
    ['loop-carried variable', "{% set ns = namespace(k='') %}{% for p in ['__cla', 'ss__'] %}{% set ns.k = ns.k ~ p %}{% endfor %}{{ x[ns.k] }}"],
    ['loop.previtem', "{% for k in ['__class__', 'a'] %}{{ x[loop.previtem] }}{% endfor %}"],
    ['namespace attribute', "{% set ns = namespace(k='__class__') %}{{ x[ns.k] }}"],
    ['namespace assignment', "{% set ns = namespace() %}{% set ns.k = '__class__' %}{{ x[ns.k] }}"],
    ['conditional', "{{ x[('__class__' if a else 'y')] }}"],
    ['or', "{{ x[y or '__class__'] }}"],
    ['default filter', "{{ x[y|default('__class__')] }}"],
    ['random filter', "{{ x[['__class__', '__base__']|random] }}"],
    ['map attribute path', "{{ [x]|map(attribute='a.__class__')|list }}"],
    ["map('attr')", "{{ [x]|map('attr', '__class__')|list }}"],
    ['selectattr', "{{ [x]|selectattr('__class__')|list }}"],
    ['sort attribute', "{{ [x]|sort(attribute='__class__') }}"],
    ['groupby', "{{ [x]|groupby('__class__') }}"],
    ['sum attribute', "{{ [x]|sum(attribute='__class__') }}"],
    ['str.format field', "{{ '{0.__class__}'.format(x) }}"],
    ['str.format nested field in spec', "{{ '{0:{1.__class__}}'.format(x, y) }}"],
    ['format_map', "{{ '{a.__class__}'.format_map(d) }}"],
    ['getattr then call', '{{ x.__class__() }}'],
    ['numeric attribute then dunder', '{{ x.0.__class__ }}'],
  ];
  test.each(cases)('%s', (_label, src) => {
    expect(worst(src)).toBe('unsafe');
    expect(rules(src)).toContain('template.dunder-attribute');
  });

  test('private and internal attributes', () => {
    expect(rules('{{ self._TemplateReference__context }}')).toContain('template.private-attribute');
    expect(rules("{{ x['_private'] }}")).toContain('template.private-attribute');
    expect(rules('{{ x.mro() }}')).toContain('template.internal-attribute');
    expect(rules('{{ g.gi_frame.f_globals }}')).toContain('template.internal-attribute');
  });

  test('dunder identifiers anywhere', () => {
    expect(rules('{{ __builtins__ }}')).toContain('template.dunder-name');
    expect(rules('{{ dict(__class__=1) }}')).toContain('template.dunder-name');
    expect(rules('{% macro __init__() %}{% endmacro %}')).toContain('template.dunder-name');
    expect(rules('{% set __x__ = 1 %}')).toContain('template.dunder-name');
    expect(rules('{% set ns.__x__ = 1 %}')).toContain('template.dunder-attribute');
  });
});

describe('names that cannot be proved harmless are unknown', () => {
  test.each([
    ['characters cut from an object repr', '{% set u = (()|select|string)[24] %}{{ x|attr(u ~ u ~ "class" ~ u ~ u) }}'],
    ['subscript with a repr-derived key', '{{ x[(lipsum|string)[0:2] ~ "class"] }}'],
    ['attr() with a data key', '{{ x|attr(message.content) }}'],
    ['attr() with a loop variable over data', '{% for k in message %}{{ x|attr(k) }}{% endfor %}'],
    ['macro passed around (aliased)', "{% macro g(o, k) %}{{ o[k] }}{% endmacro %}{% set f = g %}{{ f(x, (()|select|string)[24]) }}"],
    ['format string built at render time', "{{ (message.content ~ '{0}').format(x) }}"],
    ['undecodable \\N escape', "{{ x['\\N{SNOWMAN}'] }}"],
  ])('%s', (_label, src) => {
    expect(rules(src)).toContain(src.includes('.format(') ? 'template.computed-format-string' : 'template.computed-attribute');
    expect(worst(src)).not.toBe('safe');
  });

  test('catch-all: a dunder string that reaches no known sink', () => {
    expect(rules("{% set a = '__globals__' %}{{ a }}")).toEqual(['template.dunder-string']);
  });

  test('app globals and Jinja global objects', () => {
    expect(rules('{{ config.items() }}')).toEqual(['template.app-global']);
    expect(rules('{{ request.args }}')).toEqual(['template.app-global']);
    expect(rules('{{ self }}')).toEqual(['template.app-global']);
    expect(rules('{{ lipsum|string }}')).toEqual(['template.object-global']);
    expect(rules('{{ cycler.next }}')).toEqual(['template.object-global']);
    // Bound names are template variables, not the globals.
    expect(rules('{% for g in groups %}{{ g }}{% endfor %}{% set config = 1 %}{{ config }}')).toEqual([]);
  });

  test('file access and resource exhaustion', () => {
    expect(rules("{% include 'x' %}")).toEqual(['template.file-access']);
    expect(rules("{% import 'x' as y %}")).toEqual(['template.file-access']);
    expect(rules("{% from 'x' import y %}")).toEqual(['template.file-access']);
    expect(rules("{% extends 'x' %}")).toEqual(['template.file-access']);
    expect(rules('{% for i in range(100001) %}{% endfor %}')).toEqual(['template.resource-exhaustion']);
    expect(rules('{% for i in range(0, 10**9, 2) %}{% endfor %}')).toEqual(['template.resource-exhaustion']);
    expect(rules("{{ 'a' * 100000000 }}")).toEqual(['template.resource-exhaustion']);
    expect(rules('{{ 9 ** 9999999 }}')).toEqual(['template.resource-exhaustion']);
    expect(rules('{% for i in range(100000) %}{% endfor %}')).toEqual([]);
  });
});

describe('parse failures and limits', () => {
  test('a syntax error is unknown; escape material in it is still unsafe', () => {
    const a = analyzeTemplate('{% if %}');
    expect(a.parsed).toBe(false);
    expect(a.issues).toEqual([expect.objectContaining({ ruleId: 'template.syntax-error', verdict: 'unknown', line: 1 })]);
    const b = analyzeTemplate("ok\n{{ x.__class__ }}\n{% if %}");
    expect(b.issues.map((i) => [i.ruleId, i.verdict])).toEqual([
      ['template.syntax-error', 'unknown'],
      ['template.suspicious-token', 'unsafe'],
    ]);
    expect(rules("{{ x['\\x5f\\x5fa'] }}{% bad %}")).toContain('template.suspicious-token');
  });

  test('limits give inconclusive', () => {
    const deep = analyzeTemplate('{{ ' + '['.repeat(1000) + ']'.repeat(1000) + ' }}');
    expect(deep.issues.map((i) => i.verdict)).toEqual(['inconclusive']);
    const many = analyzeTemplate('{{ m }}'.repeat(100), { maxNodes: 50 });
    expect(many.issues.map((i) => i.ruleId)).toEqual(['template.limit']);
  });

  test('deeply chained variables do not exhaust the stack', () => {
    let src = "{% set v0 = '__cla' %}";
    for (let i = 1; i < 3000; i++) src += `{% set v${i} = v${i - 1} %}`;
    src += "{{ x[v2999 ~ 'ss__'] }}";
    expect(worst(src)).not.toBe('safe');
  });

  test('self-referencing variables terminate (a fixed point, or unknown)', () => {
    // Flow-insensitively, s can be built up to '__': underscore names are reachable.
    expect(worst("{% set s = '' %}{% for c in ['_', 'c'] %}{% set s = s ~ c %}{% endfor %}{{ x[s] }}")).toBe('unsafe');
    expect(worst("{% set s = '' %}{% for c in ['a', 'b'] %}{% set s = s ~ c %}{% endfor %}{{ x[s] }}")).toBe('unknown');
    expect(worst("{% set s = '' %}{% for m in messages %}{% set s = s ~ m.content %}{% endfor %}{{ s }}")).toBe('safe');
  });

  test('many dunder candidates make one finding per rule and line', () => {
    const a = analyzeTemplate("{% set ns = namespace(k='') %}{% for p in ['__cla', 'ss__'] %}{% set ns.k = ns.k ~ p %}{% endfor %}{{ x[ns.k] }}");
    expect(a.issues.filter((i) => i.ruleId === 'template.dunder-attribute')).toHaveLength(1);
    expect(a.issues.find((i) => i.ruleId === 'template.dunder-attribute')!.message).toContain('"__class__"');
  });

  test('pathological inputs stay linear (4 MiB each)', () => {
    const M = 4 * 1024 * 1024;
    for (const src of [
      '{# c #}'.repeat(M / 7),
      '{{ a }}'.repeat(M / 7),
      ' '.repeat(M) + 'x{%- if a %}{% endif %}',
      ('a' + ' '.repeat(1000)).repeat(M / 1000) + '{%- if a %}{% endif %}',
      "{% set x = [" + "'a',".repeat(M / 8) + '] %}{{ y[x|first] }}',
      '{{ ' + '1'.repeat(M) + ' }}',
      "{{ '" + 'a'.repeat(M),
    ]) {
      const t0 = performance.now();
      analyzeTemplate(src);
      expect(performance.now() - t0).toBeLessThan(5000);
    }
  });

  test('a large benign template is analysed quickly', () => {
    const src = read('qwen25-tools.jinja').repeat(200);
    const t0 = performance.now();
    expect(analyzeTemplate(src).issues).toEqual([]);
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});
