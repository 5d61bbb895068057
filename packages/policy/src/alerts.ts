/**
 * Alert rules as code (docs/monitoring.md): files in the policy set whose top level is `alerts:`,
 * linted and compiled with the CEL policies, so a rule is reviewed, versioned and pushed the same
 * way and `steward check` refuses a broken one before the server does. A rule's condition is a CEL
 * expression over the monitored figures of one deployment in one window (ALERT_FIGURES).
 */
import { Environment, type ParseResult } from '@marcbachmann/cel-js';
import { z } from 'zod';
import type { SourceLocation } from './compiled.js';
import { RuleIdSchema } from './policy-file.js';

/** `30s`, `5m`, `1h30m`, `7d`: a sum of whole units. */
export function parseDuration(text: string): number | null {
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (!m || text.trim() === '') return null;
  const [, d, h, mi, s] = m;
  return Number(d ?? 0) * 86_400 + Number(h ?? 0) * 3600 + Number(mi ?? 0) * 60 + Number(s ?? 0);
}

const DurationSchema = (min: number, max: number) =>
  z
    .string()
    .refine((v) => parseDuration(v) !== null, 'must be a duration such as 30s, 5m, 1h or 1d')
    .refine((v) => (parseDuration(v) ?? 0) >= min, `must be at least ${min} s`)
    .refine((v) => (parseDuration(v) ?? 0) <= max, `must be at most ${max / 86_400} days`);

export const ALERT_ACTIONS = ['notify', 'freeze', 'rollback', 'incident'] as const;
export const ALERT_SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
/** What a rule does when its window has no data (Grafana's choices): stay no-data, fire, resolve, or keep the state. */
export const NO_DATA_STATES = ['nodata', 'alerting', 'ok', 'keep'] as const;

export const AlertRuleSchema = z
  .object({
    id: RuleIdSchema,
    description: z.string().optional(),
    condition: z.string().min(1).describe('CEL over the window\'s figures, e.g. latency.p99 > 800'),
    models: z.array(z.string().min(1)).default(['*']).describe('Model name globs (NAME or ORG/NAME)'),
    rings: z.array(z.string().min(1)).default([]).describe('Rings the rule watches; empty: all'),
    environments: z.array(z.string().min(1)).default([]).describe('Environments the rule watches; empty: all'),
    window: DurationSchema(60, 30 * 86_400).default('5m'),
    for: DurationSchema(0, 7 * 86_400).default('0s').describe('How long the condition must hold before the alert fires'),
    severity: z.enum(ALERT_SEVERITIES).default('high'),
    noData: z.enum(NO_DATA_STATES).default('nodata'),
    minRequests: z.number().int().min(0).default(1).describe('Fewer requests in the window than this is no data'),
    actions: z.array(z.enum(ALERT_ACTIONS)).default(['notify']),
    blocksPromotion: z.boolean().default(false).describe('While firing, promotions of the model are refused'),
    toxicityThreshold: z.number().min(0).max(1).default(0.5),
    positiveLabel: z.string().min(1).default('1').describe('The label counted as positive for precision, recall and fairness'),
    runbook: z.string().url().optional(),
    drift: z
      .object({
        method: z.enum(['ks', 'chisquare', 'z', 'psi', 'wasserstein', 'jensenshannon']).optional().describe('Instead of the default test by type and sample size'),
        threshold: z.number().positive().optional().describe('p-value below which (tests) or distance from which (psi, wasserstein, jensenshannon) a feature drifted'),
        share: z.number().min(0).max(1).optional().describe('Share of drifted features from which the dataset drifted (default 0.5)'),
        binning: z.enum(['evidently', 'reference-quantiles']).optional().describe('Numeric PSI and Jensen-Shannon: Evidently\'s equal-width bins, or bins of equal reference mass'),
      })
      .strict()
      .optional(),
  })
  .strict();

export const AlertFileSchema = z.object({ alerts: z.array(AlertRuleSchema).min(1) }).strict();
export type AlertRuleDecl = z.infer<typeof AlertRuleSchema>;

export interface CompiledAlertRule extends Omit<AlertRuleDecl, 'window' | 'for'> {
  window: string;
  for: string;
  windowSeconds: number;
  forSeconds: number;
  location: SourceLocation;
  run: ParseResult;
}

/**
 * The figures a condition can name. Each is absent from a window that cannot compute it (no labels:
 * no accuracy); a condition that reads an absent figure is treated as no data.
 */
export const ALERT_FIGURES: Record<string, { type: string; description: string }> = {
  requests: { type: 'double', description: 'Prediction records (and OTLP requests) in the window' },
  errors: { type: 'double', description: 'Requests that failed' },
  error_rate: { type: 'double', description: 'errors / requests' },
  latency: { type: 'map<string, double>', description: 'Milliseconds: p50, p95, p99, mean, max' },
  accuracy: { type: 'double', description: 'From joined labels' },
  precision: { type: 'double', description: 'Of the positive label (binary), else macro' },
  recall: { type: 'double', description: 'Of the positive label (binary), else macro' },
  f1: { type: 'double', description: 'Of the positive label (binary), else macro' },
  toxicity: { type: 'map<string, double>', description: 'rate (share with score >= toxicityThreshold), low, high (95% Wilson interval), n' },
  fairness: { type: 'map<string, double>', description: 'dpd (demographic parity difference), eod (equalized odds difference)' },
  drift: { type: 'dyn', description: 'share, count, total, drifted (bool), features: {NAME: {statistic, p_value, drifted}}, output: {statistic, drifted}' },
  gpu_memory: { type: 'map<string, double>', description: 'MB: mean, max, p95' },
  tokens: { type: 'map<string, double>', description: 'per_request, input, output (totals)' },
  scores: { type: 'map<string, dyn>', description: 'Evaluator scores by name: {mean, p95, n}' },
};

let alertEnv: Environment | null = null;

export function alertEnvironment(): Environment {
  if (alertEnv) return alertEnv;
  const env = new Environment({ homogeneousAggregateLiterals: true, limits: { maxAstNodes: 2_000, maxDepth: 32 } });
  for (const [name, f] of Object.entries(ALERT_FIGURES)) env.registerVariable(name, f.type, { description: f.description });
  return (alertEnv = env);
}

/** What lintPolicyFiles gives the alert linter: where things are written in the file. */
export interface AlertFileLinter {
  report(offset: number, message: string, policy?: string | null, ruleId?: string | null, severity?: 'error' | 'warning'): void;
  startOf(path: readonly (string | number)[]): number;
  keyStart(path: readonly (string | number)[], key: string): number;
  locationOf(path: readonly (string | number)[]): SourceLocation;
  offsetIn(path: readonly (string | number)[], index: number): number;
}

/** Lints one `alerts:` file; returns the rules that compiled (diagnostics go to the linter). */
export function lintAlertFile(file: AlertFileLinter, js: unknown, ruleIds: Map<string, SourceLocation>): CompiledAlertRule[] {
  const parsed = AlertFileSchema.safeParse(js);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
      const id = alertIdAt(js, path);
      const where = path.length ? `${path.join('.')}: ` : '';
      if (issue.code === 'unrecognized_keys') {
        const known = path.length === 0 ? ['alerts'] : Object.keys(AlertRuleSchema.shape);
        for (const key of issue.keys) file.report(file.keyStart(path, key), `${where}unknown field "${key}" (expected one of: ${known.join(', ')})`, null, id);
        continue;
      }
      const missing = issue.code === 'invalid_type' && valueAt(js, path) === undefined;
      file.report(file.startOf(path), `${where}${missing ? 'required field is missing' : issue.message}`, null, id);
    }
    return [];
  }
  const out: CompiledAlertRule[] = [];
  parsed.data.alerts.forEach((rule, i) => {
    const location = file.locationOf(['alerts', i]);
    const seen = ruleIds.get(rule.id);
    if (seen) {
      file.report(file.startOf(['alerts', i, 'id']), `alert rule id "${rule.id}" is already used at ${seen.file}:${seen.line}:${seen.column}`, null, rule.id);
      return;
    }
    ruleIds.set(rule.id, location);
    let run: ParseResult;
    try {
      run = alertEnvironment().parse(rule.condition);
    } catch (e) {
      const err = e as { range?: { start: number }; summary?: string; message: string };
      file.report(file.offsetIn(['alerts', i, 'condition'], err.range?.start ?? 0), `condition does not parse: ${err.summary ?? firstLine(err.message)}`, null, rule.id);
      return;
    }
    const checked = run.check();
    if (!checked.valid) {
      const err = checked.error as { range?: { start: number }; summary?: string; message: string } | undefined;
      const text = err ? (err.summary ?? firstLine(err.message)) : 'unknown type error';
      const hint = /Unknown variable/.test(text) ? ` (figures: ${Object.keys(ALERT_FIGURES).join(', ')})` : '';
      file.report(file.offsetIn(['alerts', i, 'condition'], err?.range?.start ?? 0), `condition does not type-check: ${text}${hint}`, null, rule.id);
      return;
    }
    if (checked.type !== 'bool' && checked.type !== 'dyn') {
      file.report(file.startOf(['alerts', i, 'condition']), `condition must be a bool expression (it is ${checked.type})`, null, rule.id);
      return;
    }
    if (rule.actions.includes('rollback') && rule.rings.length === 0) {
      file.report(file.startOf(['alerts', i, 'actions']), 'a rule that rolls back must name its rings (rings: [...])', null, rule.id);
      return;
    }
    out.push({ ...rule, windowSeconds: parseDuration(rule.window)!, forSeconds: parseDuration(rule.for)!, location, run });
  });
  return out;
}

/** Whether a parsed YAML document is an alert file (and so is linted as one). */
export function isAlertFile(js: unknown): boolean {
  return typeof js === 'object' && js !== null && !Array.isArray(js) && 'alerts' in js && !('policies' in js);
}

export type AlertOutcome = { kind: 'value'; value: boolean } | { kind: 'nodata'; reason: string } | { kind: 'error'; message: string };

/** Runs a condition over a window's figures; a figure the window lacks makes it no data. */
export function evaluateAlertCondition(rule: Pick<CompiledAlertRule, 'run'>, figures: Record<string, unknown>): AlertOutcome {
  try {
    const v = rule.run(figures);
    if (typeof v !== 'boolean') return { kind: 'error', message: `condition gave ${typeof v}, not a bool` };
    return { kind: 'value', value: v };
  } catch (e) {
    const msg = firstLine((e as Error).message);
    if (/No such key|Unknown variable|no such/i.test(msg)) return { kind: 'nodata', reason: msg };
    return { kind: 'error', message: msg };
  }
}

function alertIdAt(js: unknown, path: readonly (string | number)[]): string | null {
  if (path[0] !== 'alerts' || typeof path[1] !== 'number') return null;
  const id = (valueAt(js, ['alerts', path[1], 'id']) as unknown) ?? null;
  return typeof id === 'string' ? id : null;
}

function valueAt(js: unknown, path: readonly (string | number)[]): unknown {
  let v: unknown = js;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}
