/** Deployments (ADR 0021): registered by `steward deploy`, or implied by telemetry naming a ring. */
import { type Deployment, StewardError } from '@steward/domain';
import type { Kysely } from 'kysely';
import type { DB, DeploymentsTable } from '../db/schema.js';
import { newId, parseJson, type Tx } from '../services/context.js';
import { findRing } from '../services/ring-history-rows.js';
import { currentPointer } from '../promotion/pointer.js';

type Db = Kysely<DB> | Tx;

export interface ResolvedDeployment {
  row: DeploymentsTable;
  versionName: string;
  /** The ring points at the deployment's version now. */
  inRing: boolean;
  /** This call created the row. */
  created: boolean;
}

/**
 * The deployment a batch belongs to: (model, version, ring, environment). Without a version, the
 * version the ring points at now (an implied deployment); naming a version the ring does not point
 * at is allowed (a canary, a lagging server) but flagged.
 */
export async function resolveDeployment(
  trx: Tx,
  input: { orgId: string; modelId: string; modelName: string; ring: string; environment: string; version?: string | undefined; actor: string; at: string },
): Promise<ResolvedDeployment> {
  const ring = await findRing(trx, input.orgId, input.ring);
  const pointer = await currentPointer(trx, input.modelId, ring.id);
  let versionId: string;
  let versionName: string;
  if (input.version !== undefined) {
    const v = await trx.selectFrom('model_versions').select(['id', 'version']).where('model_id', '=', input.modelId).where('version', '=', input.version).executeTakeFirst();
    if (!v) throw new StewardError('not_found', `version ${input.modelName}@${input.version} not found`);
    versionId = v.id;
    versionName = v.version;
  } else {
    if (!pointer) throw new StewardError('conflict', `ring "${input.ring}" of ${input.modelName} points at no version; name the version serving (version: ...)`);
    const v = await trx.selectFrom('model_versions').select(['id', 'version']).where('id', '=', pointer).executeTakeFirstOrThrow();
    versionId = v.id;
    versionName = v.version;
  }
  let row = await trx
    .selectFrom('deployments')
    .selectAll()
    .where('model_id', '=', input.modelId)
    .where('version_id', '=', versionId)
    .where('ring_id', '=', ring.id)
    .where('environment', '=', input.environment)
    .executeTakeFirst();
  let created = false;
  if (!row) {
    const values: DeploymentsTable = {
      id: newId(),
      org_id: input.orgId,
      model_id: input.modelId,
      version_id: versionId,
      ring_id: ring.id,
      environment: input.environment,
      source: 'implied',
      created_at: input.at,
      created_by: input.actor,
      reference_json: null,
      last_seen_at: null,
      flagged_points: 0,
      last_flag: null,
      sample_seen: 0,
    };
    const inserted = await trx.insertInto('deployments').values(values).onConflict((oc) => oc.columns(['model_id', 'version_id', 'ring_id', 'environment']).doNothing()).executeTakeFirst();
    // Another server may have inserted it first (Postgres); then that row is the one.
    created = Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
    row = await trx.selectFrom('deployments').selectAll().where('model_id', '=', input.modelId).where('version_id', '=', versionId).where('ring_id', '=', ring.id).where('environment', '=', input.environment).executeTakeFirstOrThrow();
  }
  return { row, versionName, inRing: pointer === versionId, created };
}

export type DeploymentReference = { kind: 'dataset'; dataset: string; datasetId: string } | { kind: 'baseline'; from: string; to: string };

export function referenceOf(row: Pick<DeploymentsTable, 'reference_json'>): DeploymentReference | null {
  return parseJson<DeploymentReference | null>(row.reference_json, null);
}

/** Deployment rows as the API shows them (model, version and ring by name; whether the ring still points at it). */
export async function deploymentViews(db: Db, rows: DeploymentsTable[]): Promise<Deployment[]> {
  if (rows.length === 0) return [];
  const models = await db.selectFrom('models as m').innerJoin('orgs as o', 'o.id', 'm.org_id').select(['m.id', 'm.name', 'o.name as org']).where('m.id', 'in', [...new Set(rows.map((r) => r.model_id))]).execute();
  const versions = await db.selectFrom('model_versions').select(['id', 'version']).where('id', 'in', [...new Set(rows.map((r) => r.version_id))]).execute();
  const rings = await db.selectFrom('rings').select(['id', 'name']).where('id', 'in', [...new Set(rows.map((r) => r.ring_id))]).execute();
  const modelBy = new Map(models.map((m) => [m.id, m]));
  const versionBy = new Map(versions.map((v) => [v.id, v.version]));
  const ringBy = new Map(rings.map((r) => [r.id, r.name]));
  const out: Deployment[] = [];
  for (const r of rows) {
    const pointer = await currentPointer(db, r.model_id, r.ring_id);
    const m = modelBy.get(r.model_id);
    const ref = referenceOf(r);
    out.push({
      id: r.id,
      model: m ? `${m.org}/${m.name}` : r.model_id,
      version: versionBy.get(r.version_id) ?? r.version_id,
      ring: ringBy.get(r.ring_id) ?? r.ring_id,
      environment: r.environment,
      source: r.source === 'registered' ? 'registered' : 'implied',
      createdAt: r.created_at,
      createdBy: r.created_by,
      reference: ref === null ? null : ref.kind === 'dataset' ? { kind: 'dataset', dataset: ref.dataset } : ref,
      lastSeenAt: r.last_seen_at,
      inRing: pointer === r.version_id,
      flaggedPoints: Number(r.flagged_points),
      lastFlag: r.last_flag,
    });
  }
  return out;
}
