import type { SectionKind } from './types.js';

/**
 * Heading classification.
 *
 * The title is reduced to lowercase words (markup, punctuation, emoji, numbering and
 * "[optional]" dropped; "&" read as "and"). Each kind has phrases; the phrase that starts
 * EARLIEST in the title wins, ties going to the longer phrase. So a combined heading is
 * classified by its leading topic: "Intended uses & limitations" -> intended_use,
 * "Bias, Risks, and Limitations" -> limitations, "Testing Data, Factors & Metrics" ->
 * evaluation, "Training and evaluation data" -> training_data (explicit phrase).
 * Phrases marked exact only match a title consisting of exactly that phrase.
 */
interface Phrase {
  words: string[];
  kind: SectionKind;
  exact: boolean;
}

const RULES: Record<SectionKind, string[]> = {
  model_details: [
    'model details', 'model detail', 'model description', 'model summary', 'model information', 'model info',
    'model overview', 'model card details', 'model type', 'model sources', 'overview', '=details',
    '=description', '=about', '=model',
  ],
  intended_use: [
    'intended use', 'intended uses', 'intended usage', 'intended purpose', 'intended purposes', 'intended users',
    'intended', 'uses', 'use cases', 'use case', 'direct use', 'direct uses', 'downstream use', 'downstream uses',
    'primary intended uses', 'applications', '=use',
  ],
  out_of_scope_use: [
    'out of scope', 'misuse', 'misuses', 'malicious use', 'malicious uses', 'prohibited use',
    'prohibited uses', 'unintended use', 'unintended uses',
  ],
  limitations: [
    'limitations', 'limitation', 'bias', 'biases', 'risks', 'risk', 'caveats', 'caveat', 'recommendations',
    'known issues', 'safety',
  ],
  training_data: [
    'training data', 'training dataset', 'training datasets', 'training corpus', 'training and evaluation data',
    'pretraining data', 'pre training data', 'fine tuning data', 'finetuning data',
  ],
  training_procedure: [
    'training', 'training procedure', 'training details', 'training hyperparameters', 'training regime',
    'training setup', 'pretraining', 'pre training', 'fine tuning', 'finetuning', 'preprocessing', 'hyperparameters',
  ],
  evaluation: [
    'evaluation', 'evaluations', 'eval', 'evaluation data', 'evaluation results', 'results', 'result',
    'quantitative analyses', 'quantitative analysis', 'metrics', 'metric', 'testing data', 'test data',
    'testing', 'benchmarks', 'benchmark', 'performance',
  ],
  environmental_impact: ['environmental impact', 'environmental', 'carbon', 'co2', 'emissions', 'energy'],
  technical_specifications: [
    'technical specifications', 'technical specification', 'technical specs', 'technical details',
    'model architecture', 'architecture', 'compute infrastructure',
  ],
  citation: ['citation', 'citations', 'cite', 'how to cite', 'citing', 'bibtex', 'bibliography'],
  ethical_considerations: ['ethical considerations', 'ethical', 'ethics'],
  factors: ['factors', 'relevant factors', 'evaluation factors'],
  how_to_use: [
    'how to get started', 'how to use', 'how to run', 'usage', 'example usage', 'usage example', 'usage examples',
    'getting started', 'get started', 'quick start', 'quickstart', 'use with', 'using the model', 'inference',
  ],
};

const PHRASES: Phrase[] = Object.entries(RULES).flatMap(([kind, phrases]) =>
  phrases.map((p) => {
    const exact = p.startsWith('=');
    return { words: (exact ? p.slice(1) : p).split(' '), kind: kind as SectionKind, exact };
  }),
);

// Titles are classified on a bounded prefix so pathological headings stay cheap.
const MAX_TITLE_CHARS = 200;

export function titleWords(title: string): string[] {
  const t = title
    .slice(0, MAX_TITLE_CHARS)
    .toLowerCase()
    .replace(/\]\([^)]*\)/g, ' ') // link targets
    .replace(/\[optional\]/g, ' ')
    .replace(/&/g, ' and ');
  // Keep letters and digits (any script); everything else separates words.
  return t.split(/[^\p{L}\p{N}]+/u).filter((w) => w !== '' && !/^\d+$/.test(w));
}

export function classifyHeading(title: string): SectionKind | null {
  const words = titleWords(title);
  for (let i = 0; i < words.length; i++) {
    let best: Phrase | undefined;
    for (const p of PHRASES) {
      if (p.exact && (i !== 0 || p.words.length !== words.length)) continue;
      if (best && p.words.length <= best.words.length) continue;
      if (matchesAt(words, i, p.words)) best = p;
    }
    if (best) return best.kind;
  }
  return null;
}

function matchesAt(words: string[], i: number, phrase: string[]): boolean {
  if (i + phrase.length > words.length) return false;
  for (let j = 0; j < phrase.length; j++) if (words[i + j] !== phrase[j]) return false;
  return true;
}
