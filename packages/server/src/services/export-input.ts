/**
 * Everything the registry knows about one version, assembled as @steward/exports' ExportInput:
 * the model, the version, full dataset records, the base model with its manifest digest, the
 * version line and the version before, ring history, signatures (trust decided now), the newest
 * policy evaluation per ring, and the model card's text from the blob store.
 */
import { PolicyRuleResultSchema, type RingHistoryEntry, semverCompare } from '@steward/domain';
import type { ApprovalSummary, ExportInputData, PolicyResultSummary, SignatureSummary } from '@steward/exports';
import { z } from 'zod';
import type { ModelsTable, ModelVersionsTable } from '../db/schema.js';
import { type OrgScope, type ServiceContext } from './context.js';
import { datasetView, linkedDatasetRows } from './dataset-view.js';
import { toEntry } from './ring-history-rows.js';
import { MAX_MODEL_CARD_BYTES } from './read-model-card.js';
import { currentRingPointers, modelView, versionView } from './views.js';
import { signatureViews } from '../signing/signature-view.js';
import { TOOL } from '../signing/tool.js';

const RuleResultsSchema = z.array(PolicyRuleResultSchema);

function compareSemverSafe(a: string, b: string): number {
  try {
    return semverCompare(a, b);
  } catch {
    return a < b ? -1 : a > b ? 1 : 0;
  }
}

async function ringHistory(ctx: ServiceContext, modelId: string): Promise<RingHistoryEntry[]> {
  const rows = await ctx.db
    .selectFrom('ring_history as h')
    .innerJoin('rings as r', 'r.id', 'h.ring_id')
    .leftJoin('model_versions as v', 'v.id', 'h.version_id')
    .leftJoin('model_versions as pv', 'pv.id', 'h.previous_version_id')
    .select(['h.seq', 'r.name as ring', 'h.version_id', 'v.version', 'pv.version as previous_version', 'h.kind', 'h.moved_at', 'h.moved_by', 'h.reason'])
    .where('h.model_id', '=', modelId)
    .orderBy('h.seq')
    .execute();
  return rows.map(toEntry);
}

/** The newest evaluation per ring (null ring: the push-time checks), every rule that ran. */
/** Reviews of the version's promotion requests: who approved or rejected entering which ring, when, why. */
async function approvals(ctx: ServiceContext, versionId: string): Promise<ApprovalSummary[]> {
  const rows = await ctx.db
    .selectFrom('promotion_reviews as r')
    .innerJoin('promotion_requests as p', 'p.id', 'r.request_id')
    .innerJoin('rings as g', 'g.id', 'p.ring_id')
    .select(['r.reviewer', 'r.reviewer_role', 'r.decision', 'r.comment', 'r.created_at', 'g.name as ring'])
    .where('p.version_id', '=', versionId)
    .where('r.decision', 'in', ['approve', 'reject'])
    .orderBy('r.created_at')
    .execute();
  return rows.map((r) => ({
    by: `${r.reviewer} (${r.reviewer_role})`,
    at: r.created_at,
    subject: `promotion to ${r.ring}`,
    decision: r.decision === 'approve' ? ('approved' as const) : ('rejected' as const),
    comment: r.comment,
  }));
}

async function policyResults(ctx: ServiceContext, orgId: string, versionId: string): Promise<PolicyResultSummary[]> {
  const rows = await ctx.db
    .selectFrom('policy_evaluations')
    .select(['ring', 'results_json', 'evaluated_at', 'id'])
    .where('org_id', '=', orgId)
    .where('version_id', '=', versionId)
    .orderBy('evaluated_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  const seen = new Set<string>();
  const out: PolicyResultSummary[] = [];
  for (const row of rows) {
    const ring = row.ring ?? '';
    if (seen.has(ring)) continue;
    seen.add(ring);
    let parsed: z.infer<typeof RuleResultsSchema>;
    try {
      parsed = RuleResultsSchema.parse(JSON.parse(row.results_json));
    } catch {
      out.push({ policy: `evaluation ${row.id}`, outcome: 'unreadable', message: 'the stored results are not readable', evaluatedAt: row.evaluated_at });
      continue;
    }
    for (const r of parsed) {
      if (r.status === 'skipped') continue;
      const message = r.message ?? r.error ?? (r.waiver ? `waived by ${r.waiver.approver} until ${r.waiver.expires}: ${r.waiver.reason}` : null);
      out.push({
        policy: `${r.ruleId} (${row.ring ? `ring ${row.ring}` : 'push checks'})`,
        outcome: r.status,
        ...(message ? { message } : {}),
        evaluatedAt: row.evaluated_at,
      });
    }
  }
  return out.sort((a, b) => (a.policy < b.policy ? -1 : a.policy > b.policy ? 1 : 0));
}

async function cardText(ctx: ServiceContext, v: ModelVersionsTable, card: { path: string; sha256: string } | null): Promise<string | undefined> {
  if (!card) return undefined;
  const file = await ctx.db.selectFrom('version_files').select('size').where('version_id', '=', v.id).where('path', '=', card.path).executeTakeFirst();
  if (!file || Number(file.size) > MAX_MODEL_CARD_BYTES) return undefined;
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of await ctx.blobs.get(card.sha256)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  } catch {
    // A missing card blob leaves the section texts out; the export says so in its warnings.
    return undefined;
  }
}

export async function assembleExportInput(ctx: ServiceContext, scope: OrgScope, m: ModelsTable, v: ModelVersionsTable, registryUrl: string | undefined): Promise<ExportInputData> {
  const db = ctx.db;
  const pointers = await currentRingPointers(db, scope.orgId, m.id);
  const version = await versionView(db, scope.orgName, scope.orgId, m, v, pointers);

  const datasetRows = await linkedDatasetRows(db, v.id);
  const unique = [...new Map(datasetRows.map((d) => [d.id, d])).values()];
  const datasets = await Promise.all(unique.map((d) => datasetView(db, scope.orgName, d)));

  const baseModels = [];
  if (v.base_version_id && version.baseModel) {
    const b = await db.selectFrom('model_versions').select('manifest_digest').where('id', '=', v.base_version_id).executeTakeFirstOrThrow();
    baseModels.push({ ref: version.baseModel, manifestDigest: b.manifest_digest });
  }

  const lineRows = await db.selectFrom('model_versions').select(['id', 'version', 'manifest_digest', 'file_count', 'total_size', 'created_at', 'created_by']).where('model_id', '=', m.id).execute();
  const versions = lineRows.map((r) => ({
    id: r.id,
    version: r.version,
    manifestDigest: r.manifest_digest,
    fileCount: Number(r.file_count),
    totalSize: Number(r.total_size),
    rings: pointers.filter((p) => p.versionId === r.id).map((p) => p.ring),
    createdAt: r.created_at,
    createdBy: r.created_by,
  }));
  const earlier = lineRows.filter((r) => compareSemverSafe(r.version, v.version) < 0).sort((a, b) => compareSemverSafe(a.version, b.version)).at(-1);
  const previousRow = earlier ? await db.selectFrom('model_versions').selectAll().where('id', '=', earlier.id).executeTakeFirstOrThrow() : undefined;

  const signatures: SignatureSummary[] = (await signatureViews(db, scope.orgId, v.id)).map((s) => ({
    kind: s.kind,
    signer: `${s.signer}${s.subject === 'provenance' ? ' (SLSA provenance)' : ''}, ${s.source === 'server' ? 'org key' : 'uploaded'}, ${s.trusted ? 'trusted' : 'not trusted'}`,
    verified: s.status === 'valid',
    bundleDigest: s.bundleDigest,
  }));

  return {
    org: scope.orgName,
    model: await modelView(db, scope.orgName, scope.orgId, m),
    version,
    datasets,
    baseModels,
    versions,
    ...(previousRow ? { previousVersion: await versionView(db, scope.orgName, scope.orgId, m, previousRow, pointers) } : {}),
    ringHistory: await ringHistory(ctx, m.id),
    signatures,
    policyResults: await policyResults(ctx, scope.orgId, v.id),
    approvals: await approvals(ctx, v.id),
    ...(await cardText(ctx, v, version.card).then((t) => (t === undefined ? {} : { cardText: t }))),
    ...(registryUrl ? { registryUrl } : {}),
    generatedAt: ctx.now().toISOString(),
    tool: { name: TOOL.name, version: TOOL.version },
  };
}
