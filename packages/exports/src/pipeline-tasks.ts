/**
 * What a Hugging Face `pipeline_tag` says about a model: its field (the Hub's task groups), and
 * the kind of data it takes and gives. The exports use it for CycloneDX inputs/outputs, the SPDX
 * AI domain, the SPDX dataset type and the GPAI modalities. Unknown tags give nothing: a guess
 * would be stated as fact in a compliance document.
 */
export type DataModality = 'text' | 'image' | 'audio' | 'video' | 'tabular' | 'environment';

export interface PipelineTask {
  tag: string;
  /** The Hub's task group, e.g. "Natural Language Processing". */
  domain: string;
  inputs: DataModality[];
  /** Free text as CycloneDX `outputs[].format` takes it ("label", "text", "embedding vector"). */
  outputs: string[];
}

const NLP = 'Natural Language Processing';
const CV = 'Computer Vision';
const AUDIO = 'Audio';
const MULTI = 'Multimodal';
const TABULAR = 'Tabular';
const RL = 'Reinforcement Learning';

const TASKS: Record<string, Omit<PipelineTask, 'tag'>> = {
  'text-classification': { domain: NLP, inputs: ['text'], outputs: ['label'] },
  'token-classification': { domain: NLP, inputs: ['text'], outputs: ['token labels'] },
  'zero-shot-classification': { domain: NLP, inputs: ['text'], outputs: ['label'] },
  'question-answering': { domain: NLP, inputs: ['text'], outputs: ['text span'] },
  'table-question-answering': { domain: NLP, inputs: ['tabular', 'text'], outputs: ['text'] },
  translation: { domain: NLP, inputs: ['text'], outputs: ['text'] },
  summarization: { domain: NLP, inputs: ['text'], outputs: ['text'] },
  'text-generation': { domain: NLP, inputs: ['text'], outputs: ['text'] },
  'text2text-generation': { domain: NLP, inputs: ['text'], outputs: ['text'] },
  'fill-mask': { domain: NLP, inputs: ['text'], outputs: ['token scores'] },
  'feature-extraction': { domain: NLP, inputs: ['text'], outputs: ['embedding vector'] },
  'sentence-similarity': { domain: NLP, inputs: ['text'], outputs: ['similarity score'] },
  'image-classification': { domain: CV, inputs: ['image'], outputs: ['label'] },
  'object-detection': { domain: CV, inputs: ['image'], outputs: ['bounding boxes with labels'] },
  'image-segmentation': { domain: CV, inputs: ['image'], outputs: ['segmentation masks'] },
  'depth-estimation': { domain: CV, inputs: ['image'], outputs: ['depth map'] },
  'image-to-image': { domain: CV, inputs: ['image'], outputs: ['image'] },
  'zero-shot-image-classification': { domain: CV, inputs: ['image', 'text'], outputs: ['label'] },
  'text-to-image': { domain: MULTI, inputs: ['text'], outputs: ['image'] },
  'image-to-text': { domain: MULTI, inputs: ['image'], outputs: ['text'] },
  'image-text-to-text': { domain: MULTI, inputs: ['image', 'text'], outputs: ['text'] },
  'visual-question-answering': { domain: MULTI, inputs: ['image', 'text'], outputs: ['text'] },
  'document-question-answering': { domain: MULTI, inputs: ['image', 'text'], outputs: ['text'] },
  'automatic-speech-recognition': { domain: AUDIO, inputs: ['audio'], outputs: ['text'] },
  'audio-classification': { domain: AUDIO, inputs: ['audio'], outputs: ['label'] },
  'text-to-speech': { domain: AUDIO, inputs: ['text'], outputs: ['audio'] },
  'tabular-classification': { domain: TABULAR, inputs: ['tabular'], outputs: ['label'] },
  'tabular-regression': { domain: TABULAR, inputs: ['tabular'], outputs: ['number'] },
  'reinforcement-learning': { domain: RL, inputs: ['environment'], outputs: ['action'] },
};

export function pipelineTask(tag: string | undefined): PipelineTask | null {
  if (!tag) return null;
  const t = Object.hasOwn(TASKS, tag) ? TASKS[tag] : undefined;
  return t ? { tag, ...t } : null;
}
