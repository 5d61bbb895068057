import { describe, expect, it } from 'vitest';
import { MAX_FRONT_MATTER_BYTES, parseModelCard } from '../src/index.js';
import { fixture } from './helpers.js';

const EMPTY_METADATA = { language: [], tags: [], datasets: [], metrics: [], baseModels: [], modelIndex: [] };

describe('front matter: well-formed cards', () => {
  it('normalizes a full HF-template card with model-index results', () => {
    const card = parseModelCard(fixture('hf-template-bert.md'));
    expect(card.hasFrontMatter).toBe(true);
    expect(card.problems).toEqual([]);
    expect(card.metadata).toEqual({
      license: 'apache-2.0',
      libraryName: 'transformers',
      pipelineTag: 'fill-mask',
      language: ['en'],
      tags: ['exbert', 'bert'],
      datasets: ['bookcorpus', 'wikipedia'],
      metrics: ['accuracy', 'f1'],
      baseModels: ['google-bert/bert-base-uncased'],
      modelIndex: [
        {
          name: 'bert-base-uncased-glue-demo',
          results: [
            {
              task: { type: 'text-classification', name: 'Text Classification' },
              dataset: { type: 'glue', name: 'GLUE MRPC', config: 'mrpc', split: 'validation', revision: '5c8a0c1d' },
              metrics: [
                { type: 'accuracy', value: 0.8603, name: 'Accuracy', verified: true },
                { type: 'f1', value: 0.9026 },
              ],
              source: { name: 'Open LLM Leaderboard', url: 'https://huggingface.co/spaces/demo/leaderboard' },
            },
            {
              task: { type: 'question-answering' },
              dataset: { type: 'squad', name: 'SQuAD v1.1' },
              metrics: [
                { type: 'exact_match', value: 80.9 },
                { type: 'squad_f1', value: '88.5 (dev)' },
              ],
            },
          ],
        },
      ],
    });
  });

  it('keeps the raw YAML object, unknown fields included', () => {
    const card = parseModelCard(fixture('hf-template-bert.md'));
    expect(card.frontMatter?.['some_unknown_field']).toEqual({ nested: [1, 2, 3] });
    expect(card.frontMatter?.['license']).toBe('apache-2.0');
    expect(Object.keys(card.frontMatter ?? {})).toEqual([
      'language', 'license', 'library_name', 'pipeline_tag', 'tags', 'datasets', 'metrics', 'base_model',
      'model-index', 'some_unknown_field',
    ]);
  });

  it('accepts any SPDX expression and string-valued list fields (Mitchell-style card)', () => {
    const card = parseModelCard(fixture('mitchell-smile-detector.md'));
    expect(card.problems).toEqual([]);
    expect(card.metadata).toEqual({
      ...EMPTY_METADATA,
      license: 'MIT OR Apache-2.0',
      language: ['en'],
      tags: ['image-classification'],
      pipelineTag: 'image-classification',
    });
  });

  it('reads base_model as a list and license other with name and link', () => {
    const card = parseModelCard(fixture('trainer-other-license.md'));
    expect(card.problems).toEqual([]);
    expect(card.metadata).toEqual({
      ...EMPTY_METADATA,
      license: 'other',
      licenseName: 'llama3',
      licenseLink: 'https://llama.meta.com/llama3/license/',
      libraryName: 'peft',
      tags: ['generated_from_trainer', 'merge'],
      datasets: ['imdb'],
      baseModels: ['meta-llama/Meta-Llama-3-8B', 'mistralai/Mistral-7B-v0.1'],
      modelIndex: [{ name: 'llama3-imdb-merge', results: [] }],
    });
  });

  it('handles a card without front matter', () => {
    const card = parseModelCard(fixture('no-front-matter-setext.md'));
    expect(card.hasFrontMatter).toBe(false);
    expect(card.frontMatter).toBeNull();
    expect(card.metadata).toEqual(EMPTY_METADATA);
    expect(card.problems).toEqual([]);
  });

  it('accepts gpl-2.0-or-later and treats null fields as absent', () => {
    const card = parseModelCard('---\nlicense: gpl-2.0-or-later\nlibrary_name:\ntags:\n- \n- nlp\n---\n');
    expect(card.problems).toEqual([]);
    expect(card.metadata).toEqual({ ...EMPTY_METADATA, license: 'gpl-2.0-or-later', tags: ['nlp'] });
  });

  it('reports empty front matter as a warning and yields an empty object', () => {
    const card = parseModelCard('---\n# only a comment\n---\n# Title\n');
    expect(card.hasFrontMatter).toBe(true);
    expect(card.frontMatter).toEqual({});
    expect(card.problems).toEqual([{ line: 1, severity: 'warning', message: 'front matter is empty' }]);
    expect(card.sections.map((s) => [s.line, s.title])).toEqual([[4, 'Title']]);
  });
});

describe('front matter: malformed cards', () => {
  it('reports a YAML syntax error at its README line and parses no metadata', () => {
    const card = parseModelCard(fixture('bad-yaml-syntax.md'));
    expect(card.hasFrontMatter).toBe(true);
    expect(card.frontMatter).toBeNull();
    expect(card.metadata).toEqual(EMPTY_METADATA);
    // The unclosed flow sequence on line 5 is detected where the next key starts.
    expect(card.problems).toEqual([
      {
        line: 6,
        column: 1,
        severity: 'error',
        message: 'Flow sequence in block collection must be sufficiently indented and end with a ]',
      },
    ]);
    // The body is still parsed.
    expect(card.sections.map((s) => [s.line, s.title, s.kind])).toEqual([
      [9, 'broken-yaml-model', null],
      [11, 'Uses', 'intended_use'],
    ]);
  });

  it('offsets other YAML errors by the opening delimiter line', () => {
    const card = parseModelCard('---\nlicense: mit\nname: "unterminated\n---\n');
    expect(card.problems.map((p) => [p.line, p.severity])).toEqual([[3, 'error']]);
    const tabs = parseModelCard('---\nlicense: mit\ncard:\n\tkey: 1\n---\n');
    expect(tabs.problems).toEqual([
      { line: 4, column: 1, severity: 'error', message: 'Tabs are not allowed as indentation' },
    ]);
  });

  it('reports unterminated front matter at line 1 and still finds headings', () => {
    const card = parseModelCard(fixture('bad-unterminated.md'));
    expect(card.hasFrontMatter).toBe(false);
    expect(card.frontMatter).toBeNull();
    expect(card.metadata).toEqual(EMPTY_METADATA);
    expect(card.problems).toEqual([
      { line: 1, severity: 'error', message: "front matter starting at line 1 has no closing '---' line" },
    ]);
    expect(card.sections.map((s) => [s.line, s.title])).toEqual([
      [6, 'whisper-tiny-demo'],
      [8, 'Evaluation'],
    ]);
  });

  it('rejects front matter that is not a mapping', () => {
    const card = parseModelCard(fixture('bad-not-mapping.md'));
    expect(card.frontMatter).toBeNull();
    expect(card.metadata).toEqual(EMPTY_METADATA);
    expect(card.problems).toEqual([
      { line: 2, column: 1, severity: 'error', message: 'front matter must be a YAML mapping of fields, got a list' },
    ]);
    const scalar = parseModelCard('---\n\njust some text\n---\n');
    expect(scalar.problems).toEqual([
      { line: 3, column: 1, severity: 'error', message: 'front matter must be a YAML mapping of fields, got a scalar' },
    ]);
  });

  it('reports duplicate keys at the second occurrence', () => {
    const card = parseModelCard(fixture('bad-duplicate-keys.md'));
    expect(card.frontMatter).toBeNull();
    expect(card.metadata).toEqual(EMPTY_METADATA);
    expect(card.problems).toEqual([{ line: 6, column: 1, severity: 'error', message: 'Map keys must be unique' }]);
  });

  it('names the field path and line of every wrongly typed field', () => {
    const card = parseModelCard(fixture('bad-field-types.md'));
    expect(card.problems.map((p) => [p.line, p.column, p.field, p.severity])).toEqual([
      [2, 10, 'license', 'error'],
      [4, 7, 'tags', 'error'],
      [7, 3, 'language[1]', 'error'],
      [9, 3, 'base_model', 'error'],
      [10, 15, 'pipeline_tag', 'error'],
      [18, 14, 'model-index[0].results[0].dataset.split', 'error'],
      [22, 17, 'model-index[0].results[0].metrics[0].verified', 'error'],
      [24, 7, 'model-index[0].results[1].task.type', 'error'],
      [31, 7, 'model-index[0].results[2].metrics[0].type', 'error'],
      [36, 14, 'model-index[0].results[2].metrics[2].value', 'error'],
      [37, 3, 'model-index[1].name', 'error'],
      [43, 3, 'model-index[2].results', 'error'],
      [44, 3, 'model-index[3]', 'error'],
    ]);
    expect(card.problems[0]?.message).toBe('license must be a string, got a list');
    expect(card.problems[1]?.message).toBe('tags must be a string or a list of strings, got the number 5');
    expect(card.problems[8]?.message).toBe('model-index[0].results[2].metrics[0].type is required');
    expect(card.problems[9]?.message).toBe(
      'model-index[0].results[2].metrics[2].value must be a finite number or a non-empty string, got a list',
    );
    expect(card.problems[10]?.message).toBe('model-index[1].name is required');
  });

  it('keeps what is valid next to wrongly typed fields', () => {
    const card = parseModelCard(fixture('bad-field-types.md'));
    expect(card.metadata).toEqual({
      ...EMPTY_METADATA,
      libraryName: 'transformers',
      language: ['en'],
      modelIndex: [
        {
          name: 'good-entry',
          results: [
            // Wrongly typed optional fields are dropped, the rest is kept.
            { task: { type: 'text-classification' }, dataset: { type: 'imdb' }, metrics: [{ type: 'accuracy', value: 0.93 }] },
            // Result without task.type dropped; metric without type and metric with a list value dropped.
            { task: { type: 'summarization' }, metrics: [{ type: 'rouge1', value: '45.1 ± 0.3' }] },
          ],
        },
        // Entry without a name dropped; entry without results kept with none.
        { name: 'no-results', results: [] },
      ],
    });
    expect(card.frontMatter?.['license']).toEqual([1, 2]);
  });

  it('warns when license is other without license_name and license_link', () => {
    const card = parseModelCard(fixture('bad-license-other.md'));
    expect(card.metadata.license).toBe('other');
    expect(card.problems).toEqual([
      {
        line: 3,
        column: 10,
        field: 'license_name',
        severity: 'warning',
        message: "license is 'other' but license_name is missing; name the licence and link to its text",
      },
      {
        line: 3,
        column: 10,
        field: 'license_link',
        severity: 'warning',
        message: "license is 'other' but license_link is missing; name the licence and link to its text",
      },
    ]);
    const withName = parseModelCard('---\nlicense: other\nlicense_name: acme-1.0\n---\n');
    expect(withName.problems.map((p) => [p.line, p.field])).toEqual([[2, 'license_link']]);
  });

  it('reports YAML warnings without dropping metadata', () => {
    const card = parseModelCard('---\nlicense: mit\ntags: !custom [a, b]\n---\n');
    expect(card.metadata.tags).toEqual(['a', 'b']);
    expect(card.problems).toEqual([
      { line: 3, column: 7, severity: 'warning', message: 'Unresolved tag: !custom' },
    ]);
  });

  it('reports an unresolved alias at its line', () => {
    const card = parseModelCard('---\nlicense: mit\ntags: *missing\n---\n');
    expect(card.frontMatter).toBeNull();
    expect(card.problems).toEqual([
      {
        line: 3,
        column: 7,
        severity: 'error',
        message: 'unresolved alias *missing (the anchor must be defined before it is used)',
      },
    ]);
  });

  it('resolves aliases and reports problems where the alias is used', () => {
    const card = parseModelCard('---\nbase: &b org/base\nbase_model: *b\nnum: &n 3\ntags: *n\n---\n');
    expect(card.metadata.baseModels).toEqual(['org/base']);
    expect(card.problems.map((p) => [p.line, p.field])).toEqual([[5, 'tags']]);
  });

  it('refuses alias bombs', () => {
    const lines = ['---', 'a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    lines.push('tags: *j', '---', '# Bomb');
    const card = parseModelCard(lines.join('\n'));
    expect(card.frontMatter).toBeNull();
    expect(card.metadata).toEqual(EMPTY_METADATA);
    expect(card.problems).toHaveLength(1);
    expect(card.problems[0]).toMatchObject({ line: 2, severity: 'error' });
    expect(card.problems[0]?.message).toMatch(/^front matter could not be converted: Excessive alias count/);
    expect(card.sections.map((s) => s.line)).toEqual([14]);
  });

  it('refuses front matter over 256 KiB without parsing it', () => {
    const value = 'é'.repeat(MAX_FRONT_MATTER_BYTES / 2); // 2 bytes each in UTF-8
    const card = parseModelCard(`---\nlicense: mit\nnote: ${value}\n---\n# Big\n`);
    expect(card.hasFrontMatter).toBe(true);
    expect(card.frontMatter).toBeNull();
    expect(card.metadata).toEqual(EMPTY_METADATA);
    const bytes = 'license: mit\nnote: '.length + MAX_FRONT_MATTER_BYTES;
    expect(card.problems).toEqual([
      { line: 1, severity: 'error', message: `front matter is ${bytes} bytes, over the 262144-byte limit; metadata not parsed` },
    ]);
    expect(card.sections.map((s) => [s.line, s.title])).toEqual([[5, 'Big']]);

    const justUnder = parseModelCard(`---\nn: ${'a'.repeat(MAX_FRONT_MATTER_BYTES - 3)}\n---\n`);
    expect(justUnder.problems).toEqual([]);
  });
});

describe('line endings and BOM', () => {
  it('parses a CRLF card with a UTF-8 BOM exactly like the LF original', () => {
    const lf = fixture('hf-template-bert.md');
    const crlf = '\uFEFF' + lf.replace(/\n/g, '\r\n');
    expect(crlf.includes('\r\n')).toBe(true);
    const a = parseModelCard(lf);
    const b = parseModelCard(crlf);
    expect(b).toEqual(a);
    expect(b.hasFrontMatter).toBe(true);
    expect(b.metadata.license).toBe('apache-2.0');
    expect(b.sections[0]).toMatchObject({ line: 53, title: 'Model Card for bert-base-uncased-glue-demo' });
    expect(b.sections.find((s) => s.title === 'Direct Use')?.text).toBe('Paraphrase detection on English sentence pairs.');
  });

  it('reports errors in a CRLF + BOM card at the same lines', () => {
    const crlf = '\uFEFF' + fixture('bad-field-types.md').replace(/\n/g, '\r\n');
    const lf = parseModelCard(fixture('bad-field-types.md'));
    expect(parseModelCard(crlf).problems).toEqual(lf.problems);
    const dup = '\uFEFF' + fixture('bad-duplicate-keys.md').replace(/\n/g, '\r\n');
    expect(parseModelCard(dup).problems).toEqual([
      { line: 6, column: 1, severity: 'error', message: 'Map keys must be unique' },
    ]);
  });

  it('accepts delimiters with trailing whitespace', () => {
    const card = parseModelCard('---  \r\nlicense: mit\r\n--- \r\n## Uses\r\nChat.\r\n');
    expect(card.metadata.license).toBe('mit');
    expect(card.sections).toEqual([{ title: 'Uses', level: 2, line: 4, kind: 'intended_use', text: 'Chat.' }]);
  });
});
