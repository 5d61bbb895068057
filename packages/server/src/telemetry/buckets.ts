/**
 * Telemetry buckets in the database (ADR 0021): every flush merges its deltas into the minute, the
 * hour and the day bucket at once, so coarser buckets never need a roll-up job and a window is
 * read from the coarsest buckets that tile it. Retention drops minute, then hour, then day rows.
 */
import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { Tx } from '../services/context.js';
import { cloneSeries, decodeSeries, encodeSeries, mergeSeries, type SeriesValue } from './series.js';

export type Granularity = 'm' | 'h' | 'd';
export const GRANULARITY_MS: Record<Granularity, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };
const COARSER: Granularity[] = ['m', 'h', 'd'];

/** Deltas of one deployment: bucket start (ms, minute-aligned) -> series -> value. */
export type DeploymentDeltas = Map<number, Map<string, SeriesValue>>;

export function floorTo(ms: number, g: Granularity): number {
  return Math.floor(ms / GRANULARITY_MS[g]) * GRANULARITY_MS[g];
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Merges one deployment's minute deltas into its m/h/d rows, in the caller's transaction. On
 * Postgres the deployment's advisory lock serializes the read-merge-write against other servers.
 */
export async function mergeDeltas(trx: Tx, dbKind: 'sqlite' | 'postgres', deploymentId: string, deltas: DeploymentDeltas): Promise<number> {
  if (dbKind === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${deploymentId}))`.execute(trx);
  let rows = 0;
  for (const g of COARSER) {
    // Minute deltas falling in the same hour or day are merged here first: one row write each.
    const byBucket = new Map<number, Map<string, SeriesValue>>();
    for (const [minute, series] of deltas) {
      const start = floorTo(minute, g);
      let target = byBucket.get(start);
      if (!target) byBucket.set(start, (target = new Map()));
      for (const [name, value] of series) {
        const have = target.get(name);
        if (have) target.set(name, mergeSeries(have, value));
        else target.set(name, g === 'm' ? value : cloneSeries(value));
      }
    }
    const starts = [...byBucket.keys()].map(iso);
    const existing = await trx
      .selectFrom('telemetry_buckets')
      .select(['bucket_start', 'series', 'kind', 'data'])
      .where('deployment_id', '=', deploymentId)
      .where('granularity', '=', g)
      .where('bucket_start', 'in', starts)
      .execute();
    const stored = new Map(existing.map((r) => [`${r.bucket_start}\u0000${r.series}`, r]));
    const writes: { deployment_id: string; granularity: string; bucket_start: string; series: string; kind: string; data: Uint8Array }[] = [];
    for (const [start, series] of byBucket) {
      const startIso = iso(start);
      for (const [name, delta] of series) {
        const row = stored.get(`${startIso}\u0000${name}`);
        let merged = delta;
        // Another server accepted this series as the other kind first: the stored one stands.
        if (row && row.kind !== delta.kind) continue;
        if (row) merged = mergeSeries(decodeSeries(row.kind, toBytes(row.data)), delta);
        writes.push({ deployment_id: deploymentId, granularity: g, bucket_start: startIso, series: name, kind: merged.kind, data: encodeSeries(merged) });
      }
    }
    for (let i = 0; i < writes.length; i += 200) {
      await trx
        .insertInto('telemetry_buckets')
        .values(writes.slice(i, i + 200))
        .onConflict((oc) => oc.columns(['deployment_id', 'granularity', 'bucket_start', 'series']).doUpdateSet((eb) => ({ kind: eb.ref('excluded.kind'), data: eb.ref('excluded.data') })))
        .execute();
    }
    rows += writes.length;
  }
  return rows;
}

/** pg returns Buffers, better-sqlite3 Buffers too; a plain view for the sketch decoders. */
export function toBytes(data: Uint8Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export interface WindowPiece {
  granularity: Granularity;
  from: number;
  to: number;
}

/**
 * The coarsest buckets that tile [from, to): whole days, then whole hours at the edges, then
 * minutes. Both ends are minute-aligned by the caller.
 */
export function coverWindow(from: number, to: number, g: Granularity = 'd'): WindowPiece[] {
  if (from >= to) return [];
  const size = GRANULARITY_MS[g];
  const start = Math.ceil(from / size) * size;
  const end = Math.floor(to / size) * size;
  const finer: Granularity | null = g === 'd' ? 'h' : g === 'h' ? 'm' : null;
  if (start >= end) return finer ? coverWindow(from, to, finer) : [];
  const pieces: WindowPiece[] = [{ granularity: g, from: start, to: end }];
  if (finer) pieces.push(...coverWindow(from, start, finer), ...coverWindow(end, to, finer));
  return pieces;
}

type Db = Kysely<DB> | Tx;

/** Every series of the deployment over [from, to), merged. */
export async function readWindow(db: Db, deploymentId: string, from: number, to: number, only?: (series: string) => boolean): Promise<Map<string, SeriesValue>> {
  const out = new Map<string, SeriesValue>();
  for (const piece of coverWindow(from, to)) {
    const rows = await db
      .selectFrom('telemetry_buckets')
      .select(['series', 'kind', 'data'])
      .where('deployment_id', '=', deploymentId)
      .where('granularity', '=', piece.granularity)
      .where('bucket_start', '>=', iso(piece.from))
      .where('bucket_start', '<', iso(piece.to))
      .execute();
    for (const r of rows) {
      if (only && !only(r.series)) continue;
      const value = decodeSeries(r.kind, toBytes(r.data));
      const have = out.get(r.series);
      if (!have) out.set(r.series, value);
      else if (have.kind === value.kind) out.set(r.series, mergeSeries(have, value));
    }
  }
  return out;
}

/** Buckets of one granularity over [from, to), by bucket start: for trends. */
export async function readBuckets(db: Db, deploymentId: string, g: Granularity, from: number, to: number, only?: (series: string) => boolean): Promise<Map<number, Map<string, SeriesValue>>> {
  const rows = await db
    .selectFrom('telemetry_buckets')
    .select(['bucket_start', 'series', 'kind', 'data'])
    .where('deployment_id', '=', deploymentId)
    .where('granularity', '=', g)
    .where('bucket_start', '>=', iso(floorTo(from, g)))
    .where('bucket_start', '<', iso(to))
    .execute();
  const out = new Map<number, Map<string, SeriesValue>>();
  for (const r of rows) {
    if (only && !only(r.series)) continue;
    const t = Date.parse(r.bucket_start);
    let m = out.get(t);
    if (!m) out.set(t, (m = new Map()));
    m.set(r.series, decodeSeries(r.kind, toBytes(r.data)));
  }
  return out;
}

/** Drops buckets past their granularity's retention. */
export async function applyRetention(db: Kysely<DB>, nowMs: number, retention: Record<Granularity, number>): Promise<number> {
  let removed = 0;
  for (const g of COARSER) {
    const r = await db.deleteFrom('telemetry_buckets').where('granularity', '=', g).where('bucket_start', '<', iso(nowMs - retention[g])).executeTakeFirst();
    removed += Number(r.numDeletedRows);
  }
  return removed;
}
