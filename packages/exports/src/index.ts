/**
 * @steward/exports: pure renderers of a model version's evidence into compliance and
 * documentation formats. Each takes an ExportInput (parsed with zod here), is deterministic for
 * a given input, and returns `{ document, warnings }`, or throws ExportIncompleteError when a
 * field the format requires cannot be filled. See docs/exports.md.
 */
export {
  ExportInputSchema,
  BaseModelRefSchema,
  SignatureSummarySchema,
  PolicyResultSummarySchema,
  ApprovalSummarySchema,
  ExportInputError,
  parseExportInput,
  type ExportInput,
  type ExportInputData,
  type BaseModelRef,
  type SignatureSummary,
  type PolicyResultSummary,
  type ApprovalSummary,
} from './input.js';
export { ExportIncompleteError, type ExportResult, type ExportFormat } from './result.js';
export { toCycloneDx, CYCLONEDX_SPEC_VERSION, type CycloneDxBom, type CdxComponent, type CdxModelCard } from './cyclonedx.js';
export { toSpdx, spdxDateTime, SPDX_CONTEXT, SPDX_SPEC_VERSION, NO_ASSERTION_LICENSE, type SpdxDocument, type SpdxNode } from './spdx.js';
export { toModelCard } from './model-card.js';
export {
  diffVersions,
  type VersionDiff,
  type FileState,
  type FileChange,
  type FileRename,
  type CardFieldChange,
  type MetricValue,
  type MetricChange,
  type DatasetState,
  type DatasetChange,
} from './diff.js';
export { changelog, renderDiff, changeItems } from './changelog.js';
export { toAnnexIv, ANNEX_IV_POINTS, type AnnexIvOptions } from './annex-iv.js';
export { TO_BE_COMPLETED } from './document.js';
export { toGpaiForm, renderGpaiForm, type GpaiForm, type GpaiFormField } from './gpai-form.js';
