/** Read-side helpers that turn rows into API shapes. Shared by the read verbs and the push verb's response. */
import { type Kysely } from 'kysely';
import { type LineageRelation, type Model, type Sensitivity, StewardError, type Version, isSemver, semverCompare } from '@steward/domain';
import type { DB, ModelsTable, ModelVersionsTable } from '../db/schema.js';
import { parseJson, type Tx } from './context.js';
import { latestScan, scanStatusView } from '../scanning/scan-view.js';
import { currentPointer } from '../promotion/pointer.js';

type Db = Kysely<DB> | Tx;

export interface RingPointerRow {
  ring: string;
  position: number;
  versionId: string | null;
  version: string | null;
  movedAt: string | null;
}

/** Current pointer of every ring of the org for one model: the newest history entry per ring. */
export async function currentRingPointers(db: Db, orgId: string, modelId: string): Promise<RingPointerRow[]> {
  const rings = await db.selectFrom('rings').select(['id', 'name', 'position']).where('org_id', '=', orgId).orderBy('position').execute();
  const latest = await db
    .selectFrom('ring_history as h')
    .leftJoin('model_versions as v', 'v.id', 'h.version_id')
    .select(['h.ring_id', 'h.version_id', 'v.version', 'h.moved_at'])
    .where('h.seq', 'in', db.selectFrom('ring_history').select((eb) => eb.fn.max('seq').as('seq')).where('model_id', '=', modelId).groupBy('ring_id'))
    .execute();
  const byRing = new Map(latest.map((l) => [l.ring_id, l]));
  return rings.map((r) => {
    const l = byRing.get(r.id);
    return { ring: r.name, position: r.position, versionId: l?.version_id ?? null, version: l?.version ?? null, movedAt: l?.moved_at ?? null };
  });
}

export async function findModel(db: Db, orgId: string, name: string): Promise<ModelsTable> {
  const model = await db.selectFrom('models').selectAll().where('org_id', '=', orgId).where('name', '=', name).executeTakeFirst();
  if (!model) throw new StewardError('not_found', `model "${name}" not found`);
  return model;
}

/** A version by semantic version, or by ring name (the version the ring points at now). */
export async function resolveVersion(db: Db, orgId: string, model: ModelsTable, ref: string): Promise<ModelVersionsTable> {
  if (isSemver(ref)) {
    const v = await db.selectFrom('model_versions').selectAll().where('model_id', '=', model.id).where('version', '=', ref).executeTakeFirst();
    if (!v) throw new StewardError('not_found', `version ${model.name}@${ref} not found`);
    return v;
  }
  const ring = await db.selectFrom('rings').select('id').where('org_id', '=', orgId).where('name', '=', ref).executeTakeFirst();
  if (!ring) throw new StewardError('not_found', `"${ref}" is neither a version of ${model.name} nor a ring`);
  const pointer = await currentPointer(db, model.id, ring.id);
  if (!pointer) throw new StewardError('not_found', `ring "${ref}" of ${model.name} points at no version`);
  return db.selectFrom('model_versions').selectAll().where('id', '=', pointer).executeTakeFirstOrThrow();
}

export async function versionView(db: Db, orgName: string, orgId: string, model: ModelsTable, v: ModelVersionsTable, pointers?: RingPointerRow[]): Promise<Version> {
  const ptrs = pointers ?? (await currentRingPointers(db, orgId, model.id));
  const datasets = await db
    .selectFrom('version_datasets as vd')
    .innerJoin('datasets as d', 'd.id', 'vd.dataset_id')
    .select(['d.name', 'd.version', 'vd.relation', 'd.license', 'd.sensitivity'])
    .where('vd.version_id', '=', v.id)
    .orderBy('vd.relation')
    .orderBy('d.name')
    .orderBy('d.version')
    .execute();
  let baseModel: string | null = null;
  if (v.base_version_id) {
    const b = await db
      .selectFrom('model_versions as bv')
      .innerJoin('models as bm', 'bm.id', 'bv.model_id')
      .innerJoin('orgs as bo', 'bo.id', 'bm.org_id')
      .select(['bo.name as org', 'bm.name as model', 'bv.version'])
      .where('bv.id', '=', v.base_version_id)
      .executeTakeFirstOrThrow();
    baseModel = `${b.org}/${b.model}@${b.version}`;
  }
  return {
    id: v.id,
    org: orgName,
    model: model.name,
    version: v.version,
    manifestDigest: v.manifest_digest,
    manifest: JSON.parse(v.manifest_json),
    fileCount: Number(v.file_count),
    totalSize: Number(v.total_size),
    sourceRepo: v.source_repo,
    sourceCommit: v.source_commit,
    baseModel,
    datasets: datasets.map((d) => ({ name: d.name, version: d.version, relation: d.relation as LineageRelation, license: d.license, sensitivity: d.sensitivity as Sensitivity })),
    card: parseJson(v.card_json, null),
    scan: await latestScan(db, v.id).then((r) => (r ? scanStatusView(r) : null)),
    rings: ptrs.filter((p) => p.versionId === v.id).map((p) => p.ring),
    createdAt: v.created_at,
    createdBy: v.created_by,
  };
}

export async function modelView(db: Db, orgName: string, orgId: string, m: ModelsTable): Promise<Model> {
  const versions = await db.selectFrom('model_versions').select('version').where('model_id', '=', m.id).execute();
  const latest = versions.map((v) => v.version).sort(semverCompare).at(-1) ?? null;
  const pointers = await currentRingPointers(db, orgId, m.id);
  return {
    id: m.id,
    org: orgName,
    name: m.name,
    description: m.description,
    riskTier: m.risk_tier as Model['riskTier'],
    owners: parseJson<string[]>(m.owners_json, []),
    tags: parseJson<string[]>(m.tags_json, []),
    createdAt: m.created_at,
    createdBy: m.created_by,
    latestVersion: latest,
    rings: Object.fromEntries(pointers.map((p) => [p.ring, p.version])),
  };
}
