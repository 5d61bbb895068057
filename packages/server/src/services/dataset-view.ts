import type { Kysely } from 'kysely';
import type { Dataset, Sensitivity } from '@steward/domain';
import type { DB, DatasetsTable } from '../db/schema.js';
import type { Tx } from './context.js';

/** The dataset rows linked to a version, one per link (a dataset linked with two relations comes twice). */
export function linkedDatasetRows(db: Kysely<DB> | Tx, versionId: string): Promise<DatasetsTable[]> {
  return db.selectFrom('version_datasets as vd').innerJoin('datasets as d', 'd.id', 'vd.dataset_id').selectAll('d').where('vd.version_id', '=', versionId).execute();
}

export async function datasetView(db: Kysely<DB> | Tx, orgName: string, d: DatasetsTable): Promise<Dataset> {
  let approvedBy: string | null = null;
  if (d.approved_by_user_id) {
    approvedBy = (await db.selectFrom('users').select('name').where('id', '=', d.approved_by_user_id).executeTakeFirstOrThrow()).name;
  }
  return {
    id: d.id,
    org: orgName,
    name: d.name,
    version: d.version,
    sourceUri: d.source_uri,
    license: d.license,
    transformScript:
      d.transform_script_sha256 && d.transform_script_name
        ? { name: d.transform_script_name, sha256: d.transform_script_sha256, size: Number(d.transform_script_size ?? 0) }
        : null,
    approvedBy,
    sensitivity: d.sensitivity as Sensitivity,
    digest: d.digest,
    description: d.description,
    createdAt: d.created_at,
    createdBy: d.created_by,
  };
}
