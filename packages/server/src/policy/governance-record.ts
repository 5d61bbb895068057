/**
 * The governance record of one registry version, assembled from what the server stores: the same
 * record shape `steward check` builds from a repository, so one policy file judges both.
 */
import type { Kysely } from 'kysely';
import { canonicalJson } from '@steward/ledger';
import { blockingAlerts } from '../alerts/blocking.js';
import { PII_KINDS, recordFromRegistry, waiverExpiry, type GovernanceRecord, type SignatureInfo, type Waiver } from '@steward/policy';
import { parseModelVersionRef, type Dataset, type Version } from '@steward/domain';
import type { DB, ModelsTable, ModelVersionsTable } from '../db/schema.js';
import { parseJson, type Tx } from '../services/context.js';
import { datasetView, linkedDatasetRows } from '../services/dataset-view.js';
import { findModel, modelView, resolveVersion, versionView } from '../services/views.js';
import { latestScan, scanStatusView } from '../scanning/scan-view.js';
import { sha256Text } from './policy-sets.js';

type Db = Kysely<DB> | Tx;

export interface RecordSubject {
  orgId: string;
  orgName: string;
  model: ModelsTable;
  version: ModelVersionsTable;
}

export interface RecordExtras {
  /** The ring being entered; null for the push-time checks. */
  targetRing: string | null;
  requestedBy?: string | null;
  approvals?: readonly { by: string; role?: string | null; at?: string | null }[];
  /** Signature status of the version (issue 7's store); empty when none are attached. */
  signatures?: readonly SignatureInfo[];
  /** Judge time, for waiver expiry. */
  now: Date;
}

/** Active (unrevoked, unexpired at `now`) waivers of a version, in the record's shape. */
export async function activeWaivers(db: Db, versionId: string, now: Date): Promise<Waiver[]> {
  const rows = await db.selectFrom('policy_waivers').selectAll().where('version_id', '=', versionId).where('revoked_at', 'is', null).orderBy('created_at').execute();
  return rows
    .map((w) => ({ ruleId: w.rule_id, reason: w.reason, approver: w.approver, expires: w.expires }))
    .filter((w) => waiverExpiry(w) > now.getTime());
}

/** PII counts of the datasets the version links, from their newest attached reports. */
async function datasetPii(db: Db, datasetIds: readonly string[]): Promise<Map<string, Record<string, number>>> {
  const out = new Map<string, Record<string, number>>();
  if (datasetIds.length === 0) return out;
  const rows = await db.selectFrom('dataset_pii_reports').select(['dataset_id', 'counts_json', 'created_at']).where('dataset_id', 'in', datasetIds).orderBy('created_at', 'desc').execute();
  for (const r of rows) if (!out.has(r.dataset_id)) out.set(r.dataset_id, parseJson<Record<string, number>>(r.counts_json, {}));
  return out;
}

/** Base model versions resolved in the registry (the version's own base link and the card's `base_model` refs). */
async function resolveBaseModels(db: Db, orgName: string, version: Version): Promise<{ ref: string; version: Version | null }[]> {
  const refs = new Set<string>();
  if (version.baseModel) refs.add(version.baseModel);
  const cardBases = (version.card?.metadata as Record<string, unknown> | undefined)?.baseModels;
  if (Array.isArray(cardBases)) for (const b of cardBases) if (typeof b === 'string') refs.add(b);
  const out: { ref: string; version: Version | null }[] = [];
  for (const ref of refs) {
    let parsed: ReturnType<typeof parseModelVersionRef> | null = null;
    try {
      parsed = parseModelVersionRef(ref, 'baseModel');
    } catch {
      parsed = null; // a Hub id or URL: not in this registry
    }
    // Another org's versions are read only through the link the pusher was authorized to make.
    if (!parsed || parsed.kind !== 'version' || (parsed.org !== orgName && ref !== version.baseModel)) {
      out.push({ ref, version: null });
      continue;
    }
    const row = await db
      .selectFrom('model_versions as v')
      .innerJoin('models as m', 'm.id', 'v.model_id')
      .innerJoin('orgs as o', 'o.id', 'm.org_id')
      .selectAll('v')
      .select(['o.name as orgName', 'o.id as orgId'])
      .where('o.name', '=', parsed.org)
      .where('m.name', '=', parsed.model)
      .where('v.version', '=', parsed.ref)
      .executeTakeFirst();
    if (!row) {
      out.push({ ref, version: null });
      continue;
    }
    const model = await db.selectFrom('models').selectAll().where('id', '=', row.model_id).executeTakeFirstOrThrow();
    out.push({ ref, version: await versionView(db, row.orgName, row.orgId, model, row) });
  }
  return out;
}

export async function buildGovernanceRecord(db: Db, subject: RecordSubject, extras: RecordExtras): Promise<GovernanceRecord> {
  const { orgId, orgName, model, version } = subject;
  const [modelApi, versionApi] = await Promise.all([modelView(db, orgName, orgId, model), versionView(db, orgName, orgId, model, version)]);
  const scanRow = await latestScan(db, version.id);
  const linked = await linkedDatasetRows(db, version.id);
  const datasets: Dataset[] = [];
  for (const d of linked) datasets.push(await datasetView(db, orgName, d));
  const pii = await datasetPii(db, linked.map((d) => d.id));
  const piiByRef: Record<string, Partial<Record<string, number>>> = {};
  for (const d of linked) {
    const counts = pii.get(d.id);
    if (counts) piiByRef[`${d.name}@${d.version}`] = Object.fromEntries(PII_KINDS.map((k) => [k, counts[k] ?? 0]));
  }
  return recordFromRegistry({
    model: modelApi,
    version: versionApi,
    datasets,
    scan: scanRow ? { ...scanStatusView(scanRow), report: parseJson<Record<string, unknown> | null>(scanRow.report_json, null) } : null,
    baseModels: await resolveBaseModels(db, orgName, versionApi),
    signatures: extras.signatures ?? [],
    targetRing: extras.targetRing,
    requestedBy: extras.requestedBy ?? null,
    approvals: extras.approvals ?? [],
    blockingAlerts: await blockingAlerts(db, orgId, model.id),
    waivers: await activeWaivers(db, version.id, extras.now),
    pii: piiByRef,
  });
}

/** `sha256:<hex>` of the record's canonical JSON (RFC 8785): which facts an evaluation judged. */
export function recordDigest(record: GovernanceRecord): string {
  return `sha256:${sha256Text(canonicalJson(record))}`;
}

/** Resolves ORG/NAME@VERSION-or-RING inside an authorized org scope. */
export async function recordSubject(db: Db, scope: { orgId: string; orgName: string }, modelName: string, ref: string): Promise<RecordSubject> {
  const model = await findModel(db, scope.orgId, modelName);
  const version = await resolveVersion(db, scope.orgId, model, ref);
  return { orgId: scope.orgId, orgName: scope.orgName, model, version };
}
