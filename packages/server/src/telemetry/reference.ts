/**
 * A deployment's drift reference: the dataset profile it names, a baseline window of its own
 * traffic, or by default the profile of the version's evaluated_on (else trained_on) dataset.
 */
import { FrequencySketch, KllSketch } from '@steward/monitor';
import { type DatasetProfile } from '@steward/domain';
import type { Kysely } from 'kysely';
import type { DB, DeploymentsTable } from '../db/schema.js';
import type { Tx } from '../services/context.js';
import { readWindow } from './buckets.js';
import { referenceOf } from './deployments.js';
import { SERIES, type SeriesValue } from './series.js';

type Db = Kysely<DB> | Tx;

export interface LoadedReference {
  kind: 'dataset' | 'baseline';
  description: string;
  rows: number;
  series: Map<string, SeriesValue>;
}

/** Decoded profiles by their SHA-256: immutable content, so decoding once per process is enough. */
const profileCache = new Map<string, Map<string, SeriesValue>>();

export function profileSeries(profile: DatasetProfile): Map<string, SeriesValue> {
  const out = new Map<string, SeriesValue>();
  for (const [name, f] of Object.entries(profile.features)) {
    const bytes = new Uint8Array(Buffer.from(f.sketch, 'base64'));
    out.set(SERIES.feature(name), f.kind === 'numeric' ? { kind: 'numeric', sketch: KllSketch.fromBytes(bytes) } : { kind: 'categorical', sketch: FrequencySketch.fromBytes(bytes) });
  }
  return out;
}

async function datasetReference(db: Db, datasetId: string, label: string): Promise<LoadedReference | null> {
  const row = await db.selectFrom('dataset_profiles').selectAll().where('dataset_id', '=', datasetId).executeTakeFirst();
  if (!row) return null;
  let series = profileCache.get(row.sha256);
  if (!series) {
    series = profileSeries(JSON.parse(row.profile_json) as DatasetProfile);
    if (profileCache.size > 200) profileCache.clear();
    profileCache.set(row.sha256, series);
  }
  return { kind: 'dataset', description: `dataset ${label}`, rows: Number(row.rows), series };
}

export async function loadReference(db: Db, deployment: DeploymentsTable): Promise<LoadedReference | null> {
  const ref = referenceOf(deployment);
  if (ref?.kind === 'dataset') return datasetReference(db, ref.datasetId, ref.dataset);
  if (ref?.kind === 'baseline') {
    const series = await readWindow(db, deployment.id, Date.parse(ref.from), Date.parse(ref.to));
    const stats = series.get(SERIES.stats);
    return { kind: 'baseline', description: `baseline ${ref.from} .. ${ref.to}`, rows: stats?.kind === 'stats' ? stats.stats.requests : 0, series };
  }
  const linked = await db
    .selectFrom('version_datasets as l')
    .innerJoin('datasets as d', 'd.id', 'l.dataset_id')
    .innerJoin('dataset_profiles as p', 'p.dataset_id', 'd.id')
    .select(['d.id', 'd.name', 'd.version', 'l.relation'])
    .where('l.version_id', '=', deployment.version_id)
    .execute();
  const pick = linked.find((l) => l.relation === 'evaluated_on') ?? linked.find((l) => l.relation === 'trained_on');
  return pick ? datasetReference(db, pick.id, `${pick.name}@${pick.version} (${pick.relation})`) : null;
}
