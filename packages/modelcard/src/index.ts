/**
 * @steward/modelcard: a pure parser for Hugging Face model cards (README.md with optional
 * YAML front matter). See parseModelCard() for behaviour on malformed input and
 * sections.ts for how headings map to SectionKind.
 */
export { parseModelCard, MAX_FRONT_MATTER_BYTES, RECOMMENDED_SECTIONS } from './parse.js';
export { classifyHeading } from './sections.js';
export type {
  ModelCardMetadata,
  ModelCardProblem,
  ModelCardSection,
  ModelIndexDataset,
  ModelIndexEntry,
  ModelIndexMetric,
  ModelIndexResult,
  ModelIndexSource,
  ModelIndexTask,
  ParsedModelCard,
  RecommendedSectionKind,
  SectionKind,
} from './types.js';
