import type { Dataset } from '@steward/domain';
import { authorize, decodeCursor, encodeCursor, type ServiceContext } from './context.js';
import { datasetView } from './dataset-view.js';

type Cursor = [string, string];
const isCursor = (v: unknown): v is Cursor => Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'string');

export async function listDatasets({ ctx, input }: { ctx: ServiceContext; input: { org: string; limit: number; cursor?: string | undefined } }): Promise<{ items: Dataset[]; nextCursor: string | null }> {
  const scope = authorize(ctx, input.org, 'dataset.read');
  const after = decodeCursor(input.cursor, isCursor);
  let q = ctx.db.selectFrom('datasets').selectAll().where('org_id', '=', scope.orgId).orderBy('name').orderBy('version').limit(input.limit + 1);
  if (after) q = q.where((eb) => eb.or([eb('name', '>', after[0]), eb.and([eb('name', '=', after[0]), eb('version', '>', after[1])])]));
  const rows = await q.execute();
  const page = rows.slice(0, input.limit);
  const items: Dataset[] = [];
  for (const d of page) items.push(await datasetView(ctx.db, input.org, d));
  const last = page.at(-1);
  return { items, nextCursor: rows.length > input.limit && last ? encodeCursor([last.name, last.version]) : null };
}
