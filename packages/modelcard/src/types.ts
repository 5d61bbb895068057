export type SectionKind =
  | 'model_details'
  | 'intended_use'
  | 'out_of_scope_use'
  | 'limitations'
  | 'training_data'
  | 'training_procedure'
  | 'evaluation'
  | 'environmental_impact'
  | 'technical_specifications'
  | 'citation'
  | 'ethical_considerations'
  | 'factors'
  | 'how_to_use';

export type RecommendedSectionKind = 'intended_use' | 'limitations' | 'training_data' | 'evaluation';

export interface ModelIndexTask {
  type: string;
  name?: string;
}

export interface ModelIndexDataset {
  type?: string;
  name?: string;
  config?: string;
  split?: string;
  revision?: string;
}

export interface ModelIndexMetric {
  type: string;
  value: number | string;
  name?: string;
  verified?: boolean;
}

export interface ModelIndexSource {
  name?: string;
  url?: string;
}

export interface ModelIndexResult {
  task: ModelIndexTask;
  dataset?: ModelIndexDataset;
  metrics: ModelIndexMetric[];
  source?: ModelIndexSource;
}

export interface ModelIndexEntry {
  name: string;
  results: ModelIndexResult[];
}

export interface ModelCardMetadata {
  /** As written (any SPDX expression), or 'other'. */
  license?: string;
  licenseName?: string;
  licenseLink?: string;
  libraryName?: string;
  pipelineTag?: string;
  language: string[];
  tags: string[];
  datasets: string[];
  metrics: string[];
  /** `base_model`, given as a string or a list. */
  baseModels: string[];
  modelIndex: ModelIndexEntry[];
}

export interface ModelCardSection {
  title: string;
  level: number;
  /** 1-based line of the heading in the file (first line of a setext heading). */
  line: number;
  kind: SectionKind | null;
  /** Body up to the next heading of the same or a higher level (nested subsections included), trimmed. */
  text: string;
}

export interface ModelCardProblem {
  /** 1-based line in the README file. */
  line: number;
  /** 1-based column, when known. */
  column?: number;
  /** Front matter field path, e.g. `model-index[0].results[1].metrics[0].type`. */
  field?: string;
  severity: 'error' | 'warning';
  message: string;
}

export interface ParsedModelCard {
  hasFrontMatter: boolean;
  metadata: ModelCardMetadata;
  /** The raw parsed YAML mapping; null when absent, not a mapping, too large or not parseable. */
  frontMatter: Record<string, unknown> | null;
  sections: ModelCardSection[];
  recognizedSections: SectionKind[];
  missingRecommendedSections: RecommendedSectionKind[];
  /** Sorted by line, then column. */
  problems: ModelCardProblem[];
}
