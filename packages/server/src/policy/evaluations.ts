/**
 * Evaluating a version against the org's active policy set, and storing the result. One function
 * computes (reads only), another writes inside the caller's transaction with its audit event, so
 * the scan worker and the request verbs store evaluations the same way.
 */
import type { Kysely } from 'kysely';
import { evaluate, type Evaluation, type GovernanceRecord } from '@steward/policy';
import type { PolicyEvaluation, PolicyRuleResult } from '@steward/domain';
import type { DB, PolicyEvaluationsTable, PolicySetsTable } from '../db/schema.js';
import { audit, newId, parseJson, type AuditContext, type Tx } from '../services/context.js';
import { activePolicySet, compiledPolicySet } from './policy-sets.js';
import { buildGovernanceRecord, recordDigest, type RecordExtras, type RecordSubject } from './governance-record.js';
import { signatureInfosForVersion } from '../services/signature-infos.js';

type Db = Kysely<DB> | Tx;
export type EvaluationTrigger = PolicyEvaluation['trigger'];

export interface ComputedEvaluation {
  setRow: PolicySetsTable;
  record: GovernanceRecord;
  recordDigest: string;
  evaluation: Evaluation;
}

/** Evaluates the version for a ring with the org's active set; null when the org has pushed no policy set. */
export async function computeEvaluation(db: Db, subject: RecordSubject, extras: Omit<RecordExtras, 'signatures'>): Promise<ComputedEvaluation | null> {
  const setRow = await activePolicySet(db, subject.orgId);
  if (!setRow) return null;
  const set = compiledPolicySet(setRow);
  const record = await buildGovernanceRecord(db, subject, { ...extras, signatures: await signatureInfosForVersion(db, subject.orgId, subject.version.id) });
  const evaluation = evaluate(set, record, { ring: extras.targetRing, now: extras.now });
  return { setRow, record, recordDigest: recordDigest(record), evaluation };
}

/** Error-severity rules that failed or errored without a waiver: what blocks promotion. */
export function blockingRules(results: readonly { ruleId: string; severity: string; status: string }[]): string[] {
  return results.filter((r) => r.severity === 'error' && (r.status === 'fail' || r.status === 'error')).map((r) => r.ruleId);
}

function resultsOf(evaluation: Evaluation): PolicyRuleResult[] {
  return evaluation.results.map((r) => ({
    ruleId: r.ruleId,
    policy: r.policy,
    severity: r.severity,
    status: r.status,
    waivedStatus: r.waivedStatus,
    message: r.message,
    error: r.error,
    reads: r.reads.map((x) => ({ source: x.source, value: x.value })),
    waiver: r.waiver ? { ruleId: r.waiver.ruleId, reason: r.waiver.reason, approver: r.waiver.approver, expires: r.waiver.expires } : null,
    expiredWaiver: r.expiredWaiver ? { ruleId: r.expiredWaiver.ruleId, reason: r.expiredWaiver.reason, approver: r.expiredWaiver.approver, expires: r.expiredWaiver.expires } : null,
    skipReason: r.skipReason,
    location: r.location ? { file: r.location.file, line: r.location.line, column: r.location.column } : null,
  }));
}

/** The API shape of a computed evaluation (stored or a dry run). */
export function evaluationView(
  c: ComputedEvaluation,
  meta: { id: string; org: string; model: string; version: string; trigger: EvaluationTrigger; evaluatedBy: string },
): PolicyEvaluation {
  const results = resultsOf(c.evaluation);
  return {
    id: meta.id,
    org: meta.org,
    model: meta.model,
    version: meta.version,
    trigger: meta.trigger,
    ring: c.evaluation.ring,
    outcome: c.evaluation.outcome,
    blocking: blockingRules(results),
    policySetDigest: c.setRow.digest,
    recordDigest: c.recordDigest,
    counts: { ...c.evaluation.counts },
    results,
    evaluatedAt: c.evaluation.evaluatedAt,
    evaluatedBy: meta.evaluatedBy,
  };
}

export function storedEvaluationView(row: PolicyEvaluationsTable, names: { org: string; model: string; version: string }): PolicyEvaluation {
  const results = parseJson<PolicyRuleResult[]>(row.results_json, []);
  return {
    id: row.id,
    org: names.org,
    model: names.model,
    version: names.version,
    trigger: row.trigger as EvaluationTrigger,
    ring: row.ring,
    outcome: row.outcome as PolicyEvaluation['outcome'],
    blocking: blockingRules(results),
    policySetDigest: row.policy_set_digest,
    recordDigest: row.record_digest,
    counts: parseJson<PolicyEvaluation['counts']>(row.counts_json, { pass: 0, fail: 0, error: 0, waived: 0, skipped: 0 }),
    results,
    evaluatedAt: row.evaluated_at,
    evaluatedBy: row.evaluated_by,
  };
}

/** Writes the evaluation and its `policy.evaluated` audit event in the caller's transaction. */
export async function storeEvaluation(
  trx: Tx,
  auditCtx: AuditContext,
  subject: RecordSubject,
  c: ComputedEvaluation,
  meta: { trigger: EvaluationTrigger; evaluatedBy: string },
): Promise<PolicyEvaluation> {
  const id = newId();
  const view = evaluationView(c, { id, org: subject.orgName, model: subject.model.name, version: subject.version.version, ...meta });
  await trx
    .insertInto('policy_evaluations')
    .values({
      id,
      org_id: subject.orgId,
      version_id: subject.version.id,
      policy_set_id: c.setRow.id,
      policy_set_digest: c.setRow.digest,
      trigger: meta.trigger,
      ring: view.ring,
      outcome: view.outcome,
      counts_json: JSON.stringify(view.counts),
      results_json: JSON.stringify(view.results),
      record_digest: c.recordDigest,
      evaluated_at: view.evaluatedAt,
      evaluated_by: meta.evaluatedBy,
    })
    .execute();
  await audit(trx, auditCtx, {
    orgId: subject.orgId,
    action: 'policy.evaluated',
    targetType: 'model_version',
    targetId: subject.version.id,
    details: {
      model: `${subject.orgName}/${subject.model.name}`,
      version: subject.version.version,
      evaluationId: id,
      trigger: meta.trigger,
      ring: view.ring,
      outcome: view.outcome,
      blocking: view.blocking,
      counts: view.counts,
      policySetDigest: view.policySetDigest,
      recordDigest: view.recordDigest,
    },
  }, view.evaluatedAt);
  return view;
}

/** The rings of an org, lowest first. */
export async function orgRings(db: Db, orgId: string): Promise<string[]> {
  return (await db.selectFrom('rings').select('name').where('org_id', '=', orgId).orderBy('position').execute()).map((r) => r.name);
}
