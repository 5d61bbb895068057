import { describe, expect, it } from 'vitest';
import { classifyHeading, type SectionKind } from '../src/index.js';

const cases: [string, SectionKind | null][] = [
  // HF template
  ['Model Details', 'model_details'],
  ['Model description', 'model_details'],
  ['Uses', 'intended_use'],
  ['Direct Use', 'intended_use'],
  ['Downstream Use [optional]', 'intended_use'],
  ['Out-of-Scope Use', 'out_of_scope_use'],
  ['Misuse, Malicious Use, and Out-of-Scope Use', 'out_of_scope_use'],
  ['Bias, Risks, and Limitations', 'limitations'],
  ['Recommendations', 'limitations'],
  ['How to Get Started with the Model', 'how_to_use'],
  ['Usage', 'how_to_use'],
  ['Use with llama.cpp', 'how_to_use'],
  ['Training Details', 'training_procedure'],
  ['Training Data', 'training_data'],
  ['Training Procedure', 'training_procedure'],
  ['Evaluation', 'evaluation'],
  ['Testing Data, Factors & Metrics', 'evaluation'],
  ['Results', 'evaluation'],
  ['Environmental Impact', 'environmental_impact'],
  ['Technical Specifications [optional]', 'technical_specifications'],
  ['Citation [optional]', 'citation'],
  ['BibTeX entry and citation info', 'citation'],
  ['How to cite', 'citation'],
  // Mitchell et al.
  ['Intended Use', 'intended_use'],
  ['Factors', 'factors'],
  ['Evaluation factors', 'factors'],
  ['Metrics', 'evaluation'],
  ['Evaluation Data', 'evaluation'],
  ['Quantitative Analyses', 'evaluation'],
  ['Ethical Considerations', 'ethical_considerations'],
  ['Caveats and Recommendations', 'limitations'],
  // Combined headings: the leading topic wins.
  ['Intended uses & limitations', 'intended_use'],
  ['Limitations and bias', 'limitations'],
  ['Training and evaluation data', 'training_data'],
  ['Intended Usage', 'intended_use'],
  // Formatting noise.
  ['**4.2  EVALUATION RESULTS:**', 'evaluation'],
  ['📊 Evaluation', 'evaluation'],
  ['[Citation](https://example.org/uses)', 'citation'],
  ['`Training data`', 'training_data'],
  // Not sections of interest.
  ['Model Card for bert-base', null],
  ['Model Card Contact', null],
  ['Framework versions', null],
  ['Glossary [optional]', null],
  ['', null],
];

describe('classifyHeading', () => {
  it.each(cases)('%j -> %s', (title, kind) => {
    expect(classifyHeading(title)).toBe(kind);
  });
});
