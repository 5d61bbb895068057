import { StewardError, type PiiReport } from '@steward/domain';
import { PII_KINDS } from '@steward/policy';
import type { z } from 'zod';
import type { PiiReportBodySchema } from '@steward/domain';
import type { DatasetPiiReportsTable, DatasetsTable } from '../db/schema.js';
import { audit, newId, parseJson, type ServiceContext, type Tx } from './context.js';

type PiiReportBody = z.infer<typeof PiiReportBodySchema>;

/** Refuses kinds the scanner does not produce, so a typo cannot hide a count from "no SSNs" rules. */
export function checkPiiKinds(body: PiiReportBody, field: string): void {
  const known = new Set<string>(PII_KINDS);
  const bad = (counts: Record<string, number>, where: string) => {
    for (const k of Object.keys(counts)) {
      if (!known.has(k)) throw new StewardError('validation_failed', `${where}: "${k}" is not a PII kind (${PII_KINDS.join(', ')})`, { field: where });
    }
  };
  bad(body.counts, `${field}.counts`);
  body.files.forEach((f, i) => bad(f.counts, `${field}.files[${i}].counts`));
}

/** Writes a dataset's PII report and its audit event in the caller's transaction. */
export async function insertPiiReport(trx: Tx, ctx: ServiceContext, org: string, dataset: DatasetsTable, body: PiiReportBody): Promise<PiiReport> {
  const counts = Object.fromEntries(PII_KINDS.map((k) => [k, body.counts[k] ?? 0]));
  const row: DatasetPiiReportsTable = {
    id: newId(),
    dataset_id: dataset.id,
    counts_json: JSON.stringify(counts),
    report_json: JSON.stringify({ files: body.files, scannedAt: body.scannedAt ?? null, tool: body.tool ?? null }),
    created_at: ctx.now().toISOString(),
    created_by: ctx.actor.userName,
  };
  await trx.insertInto('dataset_pii_reports').values(row).execute();
  await audit(trx, ctx, {
    orgId: dataset.org_id,
    action: 'dataset.pii_reported',
    targetType: 'dataset',
    targetId: dataset.id,
    details: { dataset: `${dataset.name}@${dataset.version}`, reportId: row.id, counts, files: body.files.length },
  });
  return piiReportView(row, org, dataset);
}

export function piiReportView(row: DatasetPiiReportsTable, _org: string, dataset: DatasetsTable): PiiReport {
  const rest = parseJson<{ files: PiiReport['files']; scannedAt: string | null; tool: string | null }>(row.report_json, { files: [], scannedAt: null, tool: null });
  return {
    id: row.id,
    dataset: dataset.name,
    version: dataset.version,
    counts: parseJson<Record<string, number>>(row.counts_json, {}),
    files: rest.files,
    ...(rest.scannedAt ? { scannedAt: rest.scannedAt } : {}),
    ...(rest.tool ? { tool: rest.tool } : {}),
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
}
