import type { Kysely } from 'kysely';
import type { ScanStatus } from '@steward/domain';
import type { DB, ScanReportsTable } from '../db/schema.js';
import { parseJson, type Tx } from '../services/context.js';

export function scanStatusView(r: ScanReportsTable): ScanStatus {
  return {
    id: r.id,
    status: r.status as ScanStatus['status'],
    trigger: r.trigger as ScanStatus['trigger'],
    verdict: r.verdict as ScanStatus['verdict'],
    summary: parseJson(r.summary_json, null),
    allowlist: parseJson<string[]>(r.allowlist_json, []),
    scannerVersion: r.scanner_version,
    error: r.error,
    requestedAt: r.requested_at,
    requestedBy: r.requested_by,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

export async function latestScan(db: Kysely<DB> | Tx, versionId: string): Promise<ScanReportsTable | undefined> {
  return db.selectFrom('scan_reports').selectAll().where('version_id', '=', versionId).orderBy('requested_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
}

/** The org's extra allowlist entries, sorted: what a new scan will be judged against. */
export async function orgAllowlist(db: Kysely<DB> | Tx, orgId: string): Promise<string[]> {
  const rows = await db.selectFrom('scanner_allowlist').select('entry').where('org_id', '=', orgId).orderBy('entry').execute();
  return rows.map((r) => r.entry);
}
