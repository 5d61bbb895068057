/**
 * Evaluates a compiled policy set against one governance record.
 *
 * Per rule: skipped (the policy does not apply to this ring, tier or model), pass, fail, error (the
 * expression threw, e.g. on missing data: never counted as a pass) or waived (failed or errored,
 * but an unexpired waiver names the rule). The outcome is failed when any error-severity rule
 * failed or errored without a waiver.
 */
import { StewardError } from '@steward/domain/core';
import { isCompiledPolicySet, type CompiledPolicy, type CompiledPolicySet, type CompiledRule, type SourceLocation } from './compiled.js';
import { recordToCel } from './environment.js';
import { globMatch } from './glob.js';
import { validatedRecord } from './record-seal.js';
import { WaiverSchema, type GovernanceRecord, type Waiver } from './record.js';
import { renderValue, toPlain } from './template.js';

export type RuleStatus = 'pass' | 'fail' | 'error' | 'waived' | 'skipped';
export const RULE_STATUSES: readonly RuleStatus[] = ['pass', 'fail', 'error', 'waived', 'skipped'];

export interface RuleRead {
  /** CEL source of the value, e.g. `record.license.declared`. */
  source: string;
  /** JSON-compatible value (integers as numbers), or `{ error }` when it could not be read. */
  value: unknown;
}

export interface RuleResult {
  ruleId: string;
  policy: string;
  severity: 'error' | 'warning';
  status: RuleStatus;
  /** For waived: what the rule did before the waiver (fail or error). */
  waivedStatus: 'fail' | 'error' | null;
  /** The rendered message, for fail, error and waived; null otherwise. */
  message: string | null;
  /** The evaluation error, for error (and waived errors). */
  error: string | null;
  /** The values the rule read, for fail, error and waived. */
  reads: RuleRead[];
  waiver: Waiver | null;
  /** A waiver that named the rule but has expired (so did not apply). */
  expiredWaiver: Waiver | null;
  skipReason: string | null;
  expression: string;
  /** Where the rule's expression is written. */
  location: SourceLocation;
}

export interface EvaluateOptions {
  /** The target ring; default the record's targetRing. */
  ring?: string | null;
  /** Waivers in addition to the record's own. */
  waivers?: readonly Waiver[];
  /** Evaluation time (waiver expiry, `now` in expressions); default the current time. */
  now?: Date;
  /** Where results point in the repository (e.g. the model's entry in steward.yaml); null: the rule's own file. */
  subject?: SourceLocation | null;
}

export interface Evaluation {
  outcome: 'passed' | 'failed';
  model: string;
  ring: string | null;
  riskTier: string | null;
  policySet: { digest: string; files: { path: string; sha256: string }[] };
  evaluatedAt: string;
  counts: Record<RuleStatus, number>;
  results: RuleResult[];
  subject: SourceLocation | null;
}

/** A bare date (YYYY-MM-DD) is valid through the end of that day, UTC. */
export function waiverExpiry(w: Waiver): number {
  const t = Date.parse(w.expires);
  return /^\d{4}-\d{2}-\d{2}$/.test(w.expires) ? t + 86_400_000 : t;
}

function skipReason(policy: CompiledPolicy, ring: string | null, record: GovernanceRecord): string | null {
  const { rings, riskTiers, models } = policy.appliesTo;
  // Unknown ring or tier: apply the policy (fail closed rather than skip checks).
  if (rings && ring !== null && !rings.includes(ring)) return `policy ${policy.name} applies to rings ${rings.join(', ')}, not ${ring}`;
  const tier = record.model.riskTier;
  if (riskTiers && tier !== null && !riskTiers.includes(tier)) return `policy ${policy.name} applies to risk tiers ${riskTiers.join(', ')}, not ${tier}`;
  if (models) {
    const name = record.model.org ? `${record.model.org}/${record.model.name}` : record.model.name;
    if (!models.some((m) => globMatch(m, name))) return `policy ${policy.name} applies to models ${models.join(', ')}, not ${name}`;
  }
  return null;
}

function errorText(e: unknown): string {
  const err = e as { summary?: string; message?: string };
  return (err.summary ?? err.message ?? String(e)).split('\n')[0]!;
}

function renderMessage(rule: CompiledRule, ctx: Record<string, unknown>): string {
  let out = '';
  for (const part of rule.template) {
    if (part.kind === 'text') out += part.text;
    else {
      try {
        out += renderValue(part.run(ctx));
      } catch (e) {
        out += `<${part.source}: ${errorText(e)}>`;
      }
    }
  }
  return out;
}

function readValues(rule: CompiledRule, ctx: Record<string, unknown>): RuleRead[] {
  return rule.reads.map((r) => {
    try {
      return { source: r.source, value: toPlain(r.run(ctx)) };
    } catch (e) {
      return { source: r.source, value: { error: errorText(e) } };
    }
  });
}

export function evaluate(policySet: CompiledPolicySet, record: GovernanceRecord, options: EvaluateOptions = {}): Evaluation {
  if (!isCompiledPolicySet(policySet)) {
    throw new StewardError('bad_request', 'evaluate() needs a policy set compiled by lintPolicyFiles() (with no lint errors)');
  }
  const rec = validatedRecord(record);
  const now = options.now ?? new Date();
  const nowMs = now.getTime();
  const ring = options.ring !== undefined ? options.ring : rec.targetRing;
  const waivers = [...rec.waivers, ...(options.waivers ?? []).map((w, i) => parseWaiver(w, i))];
  const celRecord = recordToCel(rec);

  const results: RuleResult[] = [];
  const counts: Record<RuleStatus, number> = { pass: 0, fail: 0, error: 0, waived: 0, skipped: 0 };
  let failed = false;
  for (const policy of policySet.policies) {
    const skip = skipReason(policy, ring, rec);
    const ctx = { record: celRecord, params: policy.params, ring, now };
    for (const rule of policy.rules) {
      const result: RuleResult = {
        ruleId: rule.id,
        policy: policy.name,
        severity: rule.severity,
        status: 'pass',
        waivedStatus: null,
        message: null,
        error: null,
        reads: [],
        waiver: null,
        expiredWaiver: null,
        skipReason: skip,
        expression: rule.expression,
        location: rule.location,
      };
      results.push(result);
      if (skip) {
        result.status = 'skipped';
        counts.skipped++;
        continue;
      }
      let status: 'pass' | 'fail' | 'error';
      try {
        const value: unknown = rule.run(ctx);
        if (value === true) status = 'pass';
        else if (value === false) status = 'fail';
        else {
          status = 'error';
          result.error = `expression returned ${renderValue(value)}, not a bool`;
        }
      } catch (e) {
        status = 'error';
        result.error = errorText(e);
      }
      if (status === 'pass') {
        counts.pass++;
        continue;
      }
      result.message = renderMessage(rule, ctx);
      result.reads = readValues(rule, ctx);
      let waiver: Waiver | null = null;
      for (const w of waivers) {
        if (w.ruleId !== rule.id && !globMatch(w.ruleId, rule.id)) continue;
        if (waiverExpiry(w) > nowMs) {
          waiver = w;
          break;
        }
        result.expiredWaiver ??= w;
      }
      if (waiver) {
        result.status = 'waived';
        result.waivedStatus = status;
        result.waiver = waiver;
        counts.waived++;
      } else {
        result.status = status;
        counts[status]++;
        if (rule.severity === 'error') failed = true;
      }
    }
  }
  return {
    outcome: failed ? 'failed' : 'passed',
    model: rec.model.ref,
    ring,
    riskTier: rec.model.riskTier,
    policySet: { digest: policySet.digest, files: policySet.files },
    evaluatedAt: now.toISOString(),
    counts,
    results,
    subject: options.subject ?? null,
  };
}

function parseWaiver(w: Waiver, index: number): Waiver {
  const r = WaiverSchema.safeParse(w);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new StewardError('validation_failed', `waivers[${index}].${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return r.data;
}
