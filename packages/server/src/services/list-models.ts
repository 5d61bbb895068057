import type { Model } from '@steward/domain';
import { authorize, decodeCursor, encodeCursor, type ServiceContext } from './context.js';
import { modelView } from './views.js';

const isCursor = (v: unknown): v is string => typeof v === 'string';

/** Models of the org by name. */
export async function listModels({ ctx, input }: { ctx: ServiceContext; input: { org: string; limit: number; cursor?: string | undefined } }): Promise<{ items: Model[]; nextCursor: string | null }> {
  const scope = authorize(ctx, input.org, 'model.read');
  const after = decodeCursor(input.cursor, isCursor);
  let q = ctx.db.selectFrom('models').selectAll().where('org_id', '=', scope.orgId).orderBy('name').limit(input.limit + 1);
  if (after !== undefined) q = q.where('name', '>', after);
  const rows = await q.execute();
  const page = rows.slice(0, input.limit);
  const items: Model[] = [];
  for (const m of page) items.push(await modelView(ctx.db, input.org, scope.orgId, m));
  return { items, nextCursor: rows.length > input.limit ? encodeCursor(page.at(-1)!.name) : null };
}
