import { describe, expect, it } from 'vitest';
import { parseModelCard } from '../src/index.js';
import { fixture } from './helpers.js';

const outline = (text: string) => parseModelCard(text).sections.map((s) => [s.line, s.level, s.kind, s.title]);

describe('sections of the HF template card', () => {
  const card = parseModelCard(fixture('hf-template-bert.md'));

  it('finds every heading with its file line, ignoring code fences and HTML comments', () => {
    expect(card.sections.map((s) => [s.line, s.level, s.kind, s.title])).toEqual([
      [53, 1, null, 'Model Card for bert-base-uncased-glue-demo'],
      [59, 2, 'model_details', 'Model Details'],
      [61, 3, 'model_details', 'Model Description'],
      [71, 3, 'model_details', 'Model Sources [optional]'],
      [75, 2, 'intended_use', 'Uses'],
      [77, 3, 'intended_use', 'Direct Use'],
      [81, 3, 'intended_use', 'Downstream Use [optional]'],
      [85, 3, 'out_of_scope_use', 'Out-of-Scope Use'],
      [89, 2, 'limitations', 'Bias, Risks, and Limitations'],
      [93, 3, 'limitations', 'Recommendations'],
      [97, 2, 'how_to_use', 'How to Get Started with the Model'],
      [106, 2, 'training_procedure', 'Training Details'],
      [108, 3, 'training_data', 'Training Data'],
      [112, 3, 'training_procedure', 'Training Procedure'],
      [114, 4, 'training_procedure', 'Preprocessing [optional]'],
      [118, 4, 'training_procedure', 'Training Hyperparameters'],
      [122, 2, 'evaluation', 'Evaluation'],
      [124, 3, 'evaluation', 'Testing Data, Factors & Metrics'],
      [126, 4, 'evaluation', 'Testing Data'],
      [130, 4, 'factors', 'Factors'],
      [134, 4, 'evaluation', 'Metrics'],
      [138, 3, 'evaluation', 'Results'],
      [144, 4, null, 'Summary'],
      [148, 2, 'environmental_impact', 'Environmental Impact'],
      [153, 2, 'technical_specifications', 'Technical Specifications [optional]'],
      [155, 3, 'technical_specifications', 'Model Architecture and Objective'],
      [159, 3, 'technical_specifications', 'Compute Infrastructure'],
      [163, 2, 'citation', 'Citation [optional]'],
      [174, 2, null, 'Model Card Contact'],
    ]);
  });

  it('lists recognized kinds in order of first appearance and misses none', () => {
    expect(card.recognizedSections).toEqual([
      'model_details', 'intended_use', 'out_of_scope_use', 'limitations', 'how_to_use', 'training_procedure',
      'training_data', 'evaluation', 'factors', 'environmental_impact', 'technical_specifications', 'citation',
    ]);
    expect(card.missingRecommendedSections).toEqual([]);
  });

  it('section text runs to the next heading of the same or higher level, nested ones included', () => {
    const byTitle = (t: string) => card.sections.find((s) => s.title === t)?.text;
    expect(byTitle('Uses')).toBe(
      [
        '### Direct Use', '', 'Paraphrase detection on English sentence pairs.', '',
        '### Downstream Use [optional]', '', 'Can be fine-tuned further for sentence-pair classification.', '',
        '### Out-of-Scope Use', '', 'Not for languages other than English.',
      ].join('\n'),
    );
    expect(byTitle('Out-of-Scope Use')).toBe('Not for languages other than English.');
    expect(byTitle('How to Get Started with the Model')).toBe(
      [
        '```python', '# Load the model', 'from transformers import pipeline', '## not a heading either',
        'classifier = pipeline("text-classification", model="example/bert-demo")', '```',
      ].join('\n'),
    );
    expect(byTitle('Model Description')).toBe(
      [
        '<!--', '# This is not a heading: it sits inside a multi-line HTML comment.', '-->', '',
        '- **Developed by:** Example Lab', '- **Model type:** Transformer encoder', '- **License:** apache-2.0',
      ].join('\n'),
    );
    expect(byTitle('Results')).toBe(
      ['| Task | Accuracy | F1 |', '|------|----------|----|', '| MRPC | 86.0     | 90.3 |', '', '#### Summary', '',
        'Competitive with the original BERT paper.'].join('\n'),
    );
    expect(byTitle('Model Card Contact')).toBe('bert-demo@example.org');
  });
});

describe('sections of other card styles', () => {
  it('recognizes the Mitchell et al. sections', () => {
    const card = parseModelCard(fixture('mitchell-smile-detector.md'));
    expect(card.sections.map((s) => [s.line, s.level, s.kind, s.title])).toEqual([
      [7, 1, null, 'Model Card: Smiling Detection in Images'],
      [9, 2, 'model_details', '1. Model Details'],
      [15, 2, 'intended_use', '2. Intended Use'],
      [16, 3, 'intended_use', 'Primary intended uses'],
      [18, 3, 'intended_use', 'Primary intended users'],
      [20, 3, 'out_of_scope_use', 'Out-of-scope use cases'],
      [23, 2, 'factors', '3. Factors'],
      [24, 3, 'factors', 'Relevant factors'],
      [26, 3, 'factors', 'Evaluation factors'],
      [29, 2, 'evaluation', '4. Metrics'],
      [30, 3, 'evaluation', 'Model performance measures'],
      [32, 3, null, 'Decision thresholds'],
      [35, 2, 'evaluation', '5. Evaluation Data'],
      [36, 3, null, 'Datasets'],
      [39, 2, 'training_data', '6. Training Data'],
      [42, 2, 'evaluation', '7. Quantitative Analyses'],
      [43, 3, 'evaluation', 'Unitary results'],
      [45, 3, 'evaluation', 'Intersectional results'],
      [48, 2, 'ethical_considerations', '8. Ethical Considerations'],
      [51, 2, 'limitations', '9. Caveats and Recommendations'],
    ]);
    expect(card.recognizedSections).toEqual([
      'model_details', 'intended_use', 'out_of_scope_use', 'factors', 'evaluation', 'training_data',
      'ethical_considerations', 'limitations',
    ]);
    expect(card.missingRecommendedSections).toEqual([]);
    expect(card.sections[2]?.text).toBe(
      [
        '### Primary intended uses', 'Detecting whether a face in an image is smiling.',
        '### Primary intended users', 'Photo-editing application developers.',
        '### Out-of-scope use cases', 'Inferring emotional state or mental health.',
      ].join('\n'),
    );
  });

  it('classifies a Trainer-generated card by the leading topic of combined headings', () => {
    const card = parseModelCard(fixture('trainer-other-license.md'));
    expect(card.sections.map((s) => [s.line, s.level, s.kind, s.title])).toEqual([
      [21, 1, null, 'llama3-imdb-merge'],
      [27, 2, 'model_details', 'Model description'],
      [31, 2, 'intended_use', 'Intended uses & limitations'],
      [35, 2, 'training_data', 'Training and evaluation data'],
      [39, 2, 'training_procedure', 'Training procedure'],
      [41, 3, 'training_procedure', 'Training hyperparameters'],
      [47, 3, 'training_procedure', 'Training results'],
      [53, 3, null, 'Framework versions'],
    ]);
    expect(card.missingRecommendedSections).toEqual(['limitations', 'evaluation']);
    expect(card.sections[2]?.text).toBe('More information needed');
    // The Trainer's leading HTML comment (two lines) is not part of any section.
    expect(card.sections[0]?.text.startsWith('This model is a fine-tuned version of')).toBe(true);
  });

  it('reads setext headings in a card without front matter', () => {
    const card = parseModelCard(fixture('no-front-matter-setext.md'));
    expect(card.sections).toEqual([
      {
        title: 'Tiny Sentiment Classifier',
        level: 1,
        line: 1,
        kind: null,
        text: [
          'A distilled sentiment model for English product reviews.', '', 'Usage', '-----', '', '```bash',
          'pip install tiny-sentiment', '# Then run:', 'tiny-sentiment "great product"', '```', '',
          '    # Indented code is not a heading either', '    model.predict("text")', '', 'Limitations', '-----------',
          '', 'English only. Sarcasm is', 'frequently misclassified.', '', '---', '', 'Evaluation', '----------', '',
          '92.1% accuracy on the held-out review set.',
        ].join('\n'),
      },
      {
        title: 'Usage',
        level: 2,
        line: 6,
        kind: 'how_to_use',
        text: [
          '```bash', 'pip install tiny-sentiment', '# Then run:', 'tiny-sentiment "great product"', '```', '',
          '    # Indented code is not a heading either', '    model.predict("text")',
        ].join('\n'),
      },
      {
        title: 'Limitations',
        level: 2,
        line: 18,
        kind: 'limitations',
        // A '---' after a blank line is a thematic break, not a heading underline.
        text: 'English only. Sarcasm is\nfrequently misclassified.\n\n---',
      },
      { title: 'Evaluation', level: 2, line: 26, kind: 'evaluation', text: '92.1% accuracy on the held-out review set.' },
    ]);
    expect(card.recognizedSections).toEqual(['how_to_use', 'limitations', 'evaluation']);
    expect(card.missingRecommendedSections).toEqual(['intended_use', 'training_data']);
  });
});

describe('heading edge cases', () => {
  it('follows CommonMark for fences, indentation, closing hashes, containers and multi-line setext', () => {
    const card = parseModelCard(fixture('headings-edge-cases.md'));
    expect(card.sections.map((s) => [s.line, s.level, s.title])).toEqual([
      [1, 1, 'Card'],
      [13, 3, 'Three spaces is fine'],
      [20, 2, 'Multi-line setext title'],
      [25, 2, 'Closing hashes \\#'],
      [26, 1, ''],
    ]);
    expect(card.sections[1]?.text).toBe(
      '- list item\nlazy continuation\n---\n> quoted\n> # quoted heading is not a section',
    );
    expect(card.sections[2]?.text).toBe('Body of setext.\n####### seven hashes is text');
    expect(card.sections[3]?.text).toBe('');
    expect(card.sections[4]?.text).toBe(
      'Last words.\n```\n# unclosed fence swallows the rest\n## so this is not a heading',
    );
    expect(card.problems).toEqual([
      { line: 28, severity: 'warning', message: 'code fence is never closed; the rest of the card is treated as code' },
    ]);
  });

  it('closes a fence only with the same character and at least the same length', () => {
    expect(outline('````\n```\n# a\n~~~~\n# b\n````\n# c')).toEqual([[7, 1, null, 'c']]);
    expect(outline('~~~ python\n# a\n~~~~~~  \n# b')).toEqual([[4, 1, null, 'b']]);
    // A backtick "fence" with a backtick in its info string is inline code, not a fence.
    expect(outline('``` a`b\n# real')).toEqual([[2, 1, null, 'real']]);
  });

  it('distinguishes setext underlines from thematic breaks and list items', () => {
    expect(outline('Title\n=\ntext')).toEqual([[1, 1, null, 'Title']]);
    expect(outline('Uses\n-   \ntext')).toEqual([[1, 2, 'intended_use', 'Uses']]);
    expect(outline('para\n\n---\n\n===\n')).toEqual([]);
    expect(outline('para\n- - -\n')).toEqual([]);
    expect(outline('para\n* item\n---\n')).toEqual([]);
    expect(outline('- item\n\n  Nested\n  ---\n')).toEqual([[3, 2, null, 'Nested']]);
    expect(outline('para\n    ---\n')).toEqual([]);
    expect(outline('<!-- note -->\n===\n')).toEqual([]);
  });

  it('counts lines after front matter from the top of the file', () => {
    const card = parseModelCard('---\nlicense: mit\n---\nCitation\n========\n\n```\n@misc{x}\n```\n');
    expect(card.sections).toEqual([
      { title: 'Citation', level: 1, line: 4, kind: 'citation', text: '```\n@misc{x}\n```' },
    ]);
  });

  it('reports an unclosed HTML comment', () => {
    const card = parseModelCard('# A\n<!-- start\n# hidden\n');
    expect(card.sections.map((s) => s.title)).toEqual(['A']);
    expect(card.problems).toEqual([
      { line: 2, severity: 'warning', message: 'HTML comment is never closed; the rest of the card is treated as a comment' },
    ]);
  });

  it('handles empty input', () => {
    expect(parseModelCard('')).toEqual({
      hasFrontMatter: false,
      metadata: { language: [], tags: [], datasets: [], metrics: [], baseModels: [], modelIndex: [] },
      frontMatter: null,
      sections: [],
      recognizedSections: [],
      missingRecommendedSections: ['intended_use', 'limitations', 'training_data', 'evaluation'],
      problems: [],
    });
  });
});
