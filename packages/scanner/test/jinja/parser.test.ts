import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import type { Stmt } from '../../src/jinja/ast.js';
import { decodePythonEscapes, Lexer, TemplateSyntaxError } from '../../src/jinja/lexer.js';
import { parseTemplate, TemplateLimitError } from '../../src/jinja/parser.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const jinja2: { jinja2: string; parses: Record<string, boolean> } = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'jinja2-parse.json'), 'utf8'));

function parses(src: string): boolean {
  try {
    parseTemplate(src);
    return true;
  } catch (err) {
    if (err instanceof TemplateSyntaxError) return false;
    throw err;
  }
}

function tokens(src: string): string[] {
  const lx = new Lexer(src, { trimBlocks: true, lstripBlocks: true });
  const out: string[] = [];
  for (let t = lx.next(); t.type !== 'eof'; t = lx.next()) out.push(t.type === 'data' ? `data:${JSON.stringify(t.value)}` : t.type === 'name' || t.type === 'string' ? `${t.type}:${t.value}` : t.type);
  return out;
}

describe('jinja parser agrees with Jinja2', () => {
  test.each(Object.entries(jinja2.parses))(`%s parses in Jinja2 ${jinja2.jinja2}: %s`, (name, ok) => {
    expect(parses(fs.readFileSync(path.join(FIXTURES, name), 'utf8'))).toBe(ok);
  });

  // Each line was checked against jinja2 3.1 (Environment().parse).
  const accepted = [
    "{{ a.b.c[0]['d'](1, x=2, *args, **kw)|f(3)|g is h(4) }}",
    '{{ 1 if a else 2 if b else 3 }}',
    '{{ a if b }}',
    '{{ (1, 2) }}{{ () }}{{ (1,) }}{{ [1, 2,] }}{{ {1: 2,} }}',
    "{{ 'a' 'b' \"c\" }}",
    '{{ 1_000 + 0x_ff + 0b1_0 + 0o17 + 1.5e3 + 2E-2 }}',
    '{{ a[1:2] }}{{ a[::-1] }}{{ a[:] }}{{ a[1:] }}{{ a[1:2:3] }}{{ a[1, 2] }}',
    '{{ not a in b }}{{ a not in b }}{{ a is not none }}{{ a is divisibleby 3 }}{{ a is sameas false }}',
    '{{ a.0.1 }}',
    '{{ a[] }}',
    "{{ {'a': {'b': 1}} }}",
    '{% set a, b = 1, 2 %}{% set ns.x = 1 %}{% set c | upper %}x{% endset %}',
    '{% for a, b in x|items if a recursive %}{{ loop(b) }}{% else %}none{% endfor %}',
    '{% macro m(a, b=1) %}{{ caller(a) }}{% endmacro %}{% call(x) m(1) %}{{ x }}{% endcall %}',
    '{% filter upper|replace("A", "B") %}a{% endfilter %}',
    '{% with a = 1, b = 2 %}{{ a }}{% endwith %}',
    '{% block body scoped %}x{% endblock body %}',
    '{% autoescape true %}x{% endautoescape %}',
    "{% include 'a' ignore missing with context %}{% import 'b' as c without context %}{% from 'd' import e as f, g with context %}{% extends 'h' %}",
    '{% print a, b %}',
    '{% if a %}1{% elif b %}2{% elif c %}3{% else %}4{% endif %}',
    '{%- if a -%} x {%+ if b %}y{% endif %}{% endif %}',
    '{% raw %}{{ {% %} }}{% endraw %}',
    '{# {{ comment }} #}{#- trimmed -#}',
    '{{ a|f.g.h }}{{ a is t.u }}',
    '{{- a -}}{{+ a }}',
    "{{ '}}' }}{{ \"%}\" }}",
    '{{ a ~ b ~ c }}{{ -a }}{{ +a }}{{ a ** -b }}{{ a // b % c }}',
  ];
  test.each(accepted)('accepts %s', (src) => expect(parses(src)).toBe(true));

  const rejected = [
    '{{ }}',
    '{{ a b }}',
    '{{ a. }}',
    '{% endif %}',
    '{% for in x %}{% endfor %}',
    '{% set 1 = 2 %}',
    '{% set true = 1 %}',
    '{% macro m(a=1, b) %}{% endmacro %}',
    '{{ f(a=1, 2) }}',
    '{{ f(**a, *b) }}',
    "{{ 'abc }}",
    '{{ a ! b }}',
    '{% call m %}{% endcall %}',
    '{% block a-b %}{% endblock %}',
    '{% from "x" import _private %}',
    "{{ '\\x4' }}",
    '{% raw %}never closed',
    '{{ a )',
  ];
  test.each(rejected)('rejects %s', (src) => expect(parses(src)).toBe(false));
});

describe('jinja lexer', () => {
  test('whitespace control and trim/lstrip blocks as transformers configures them', () => {
    expect(tokens('a  {%- if x -%}  b  {% endif %}\n  c')).toEqual(['data:"a"', 'block_begin', 'name:if', 'name:x', 'block_end', 'data:"b  "', 'block_begin', 'name:endif', 'block_end', 'data:"  c"']);
    expect(tokens('line\n    {% if x %}\nbody')).toEqual(['data:"line\\n"', 'block_begin', 'name:if', 'name:x', 'block_end', 'data:"body"']);
    expect(tokens('  {%+ if x %}')).toEqual(['data:"  "', 'block_begin', 'name:if', 'name:x', 'block_end']);
  });

  test('bracket balancing: }} inside a dict does not end the tag', () => {
    expect(tokens("{{ {'a': {'b': 1}} }}")).toContain('rbrace');
    expect(parses("{{ {'a': {'b': 1}}['a'] }}")).toBe(true);
  });

  test('comments and raw blocks produce no code', () => {
    expect(tokens('{# {{ x.__class__ }} #}a{% raw %}{{ y }}{% endraw %}')).toEqual(['data:"a"', 'data:"{{ y }}"']);
  });

  test('Python string escapes are decoded like Jinja (unicode-escape)', () => {
    expect(decodePythonEscapes('\\x5f\\x5fclass\\u005f\\U0000005f\\137', 1).value).toBe('__class___');
    expect(decodePythonEscapes('\\N{LOW LINE}\\N{latin small letter a}', 1)).toEqual({ value: '_a', exact: true });
    expect(decodePythonEscapes('\\N{SNOWMAN}', 1).exact).toBe(false);
    expect(decodePythonEscapes('\\q\\n\\t\\\\', 1).value).toBe('\\q\n\t\\');
    expect(() => decodePythonEscapes('\\x4', 1)).toThrow(TemplateSyntaxError);
  });

  test('line numbers count every newline (data, tags, strings, comments)', () => {
    const t = parseTemplate("a\n{# c\n #}\n{{ 'x\ny' }}\n{% if\n z %}{{ w }}{% endif %}");
    const lines: number[] = [];
    const walk = (b: Stmt[]) => {
      for (const s of b) {
        lines.push(s.line);
        if (s.type === 'If') walk(s.body);
      }
    };
    walk(t.body);
    // Jinja2: TemplateData 1, Const 4, TemplateData 5, If 6 (its body starts on line 7).
    expect(lines).toEqual([1, 4, 5, 6, 7]);
  });
});

describe('jinja parser limits', () => {
  test('deep nesting is a limit, not a stack overflow', () => {
    expect(() => parseTemplate('{{ ' + '('.repeat(5000) + '1' + ')'.repeat(5000) + ' }}')).toThrow(TemplateLimitError);
    expect(() => parseTemplate('{{ ' + Array(5000).fill('a').join(' + ') + ' }}')).toThrow(TemplateLimitError);
    expect(() => parseTemplate('{% if a %}'.repeat(2000) + '{% endif %}'.repeat(2000))).toThrow(TemplateLimitError);
    expect(() => parseTemplate('{{ a' + '|f'.repeat(5000) + ' }}')).toThrow(TemplateLimitError);
  });

  test('node count is bounded', () => {
    expect(() => parseTemplate('{{ a }}'.repeat(1000), { maxNodes: 500 })).toThrow(TemplateLimitError);
  });

  test('long elif chains and long templates parse (no recursion per branch)', () => {
    let src = '{% if a == 0 %}0';
    for (let i = 1; i < 3000; i++) src += `{% elif a == ${i} %}${i}`;
    expect(parses(src + '{% endif %}')).toBe(true);
    expect(parses('{{ message }}\n'.repeat(50_000))).toBe(true);
  });
});
