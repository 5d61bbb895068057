/**
 * @steward/policy: policy as code for model governance. Policies are YAML files of CEL rules
 * evaluated against a governance record (record.ts); lint compiles them with positions for every
 * problem, evaluate() runs them, render/ prints results as text, JSON, SARIF, JUnit or GitHub
 * annotations. See docs/policy-library.md.
 */
export * from './record.js';
export { parseGovernanceRecord } from './record-seal.js';
export { recordFromRegistry, type RegistryRecordInput } from './record-registry.js';
export {
  recordFromLocal,
  evaluationsFromResultsFile,
  EvaluationResultsFileSchema,
  type EvaluationResultsFile,
  type LocalRecordInput,
  type LocalDatasetInput,
} from './record-local.js';
export { detectLicense, LICENSE_FILE } from './record-parts.js';
export { lintPolicyFiles, preparePolicyFile, type LintDiagnostic, type LintOptions, type LintResult, type PolicySource, type PreparedPolicyFile } from './lint.js';
export { policySetDigest, stableJson, isCompiledPolicySet, type CompiledPolicySet, type CompiledPolicy, type CompiledRule, type SourceLocation } from './compiled.js';
export { evaluate, waiverExpiry, RULE_STATUSES, type Evaluation, type EvaluateOptions, type RuleResult, type RuleRead, type RuleStatus } from './evaluate.js';
export {
  PolicyFileSchema,
  PolicySchema,
  RuleSchema,
  ParamOverridesSchema,
  PARAM_TYPES,
  type ParamOverrides,
  type ParamType,
  type PolicyFile,
} from './policy-file.js';
export { HELPER_FUNCTIONS, helperFunctionNames, type HelperFunction } from './functions.js';
export { riskTier, mostSensitive, tierRank, RISK_MATRIX, UseCaseImpactSchema, type UseCaseImpact } from './risk.js';
export { spdxSatisfies, licenseAllowed, spdxValid, spdxIds, normalizeSpdx } from './spdx.js';
export { globMatch, globToRegExp } from './glob.js';
export { PII_KINDS, type PiiKind } from './pii/kinds.js';
export * from './render/index.js';
export { builtinPolicyFiles, preparedBuiltinFiles, BUILTIN_PREFIX, PREPARED_LIBRARY_FILE } from './library.js';
export {
  parseStewardConfig,
  splitModelName,
  StewardConfigSchema,
  ModelDeclSchema,
  DatasetDeclSchema,
  type StewardConfig,
  type ModelDecl,
  type DatasetDecl,
  type LoadedConfig,
} from './repo/config.js';
export { parseLock, renderLock, compareWithLock, LockFileSchema, type LockFile, type LockedModel, type LockMismatch } from './repo/lock.js';
export { scanPii, scanPiiText, piiFormatOf, PiiFormatError, PII_FORMATS, type PiiScanResult, type PiiLocation, type ScanPiiOptions, type PiiFormat } from './pii/scan.js';
export { detectPii, isIban, type PiiMatch } from './pii/detect.js';
export { renderPiiText } from './pii/render.js';
export { ALERT_ACTIONS, ALERT_FIGURES, ALERT_SEVERITIES, AlertFileSchema, AlertRuleSchema, NO_DATA_STATES, alertEnvironment, evaluateAlertCondition, isAlertFile, parseDuration, type AlertOutcome, type AlertRuleDecl, type CompiledAlertRule } from './alerts.js';
