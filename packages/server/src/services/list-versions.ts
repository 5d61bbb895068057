import type { VersionSummary } from '@steward/domain';
import { authorize, decodeCursor, encodeCursor, type ServiceContext } from './context.js';
import { currentRingPointers, findModel } from './views.js';

type Cursor = [string, string];
const isCursor = (v: unknown): v is Cursor => Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'string');

/** Newest first (by registration time). */
export async function listVersions({ ctx, input }: { ctx: ServiceContext; input: { org: string; model: string; limit: number; cursor?: string | undefined } }): Promise<{ items: VersionSummary[]; nextCursor: string | null }> {
  const scope = authorize(ctx, input.org, 'model.read', { model: input.model });
  const model = await findModel(ctx.db, scope.orgId, input.model);
  const after = decodeCursor(input.cursor, isCursor);
  let q = ctx.db
    .selectFrom('model_versions')
    .select(['id', 'version', 'manifest_digest', 'file_count', 'total_size', 'created_at', 'created_by'])
    .where('model_id', '=', model.id)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(input.limit + 1);
  if (after) q = q.where((eb) => eb.or([eb('created_at', '<', after[0]), eb.and([eb('created_at', '=', after[0]), eb('id', '<', after[1])])]));
  const rows = await q.execute();
  const page = rows.slice(0, input.limit);
  const pointers = await currentRingPointers(ctx.db, scope.orgId, model.id);
  const last = page.at(-1);
  return {
    items: page.map((v) => ({
      id: v.id,
      version: v.version,
      manifestDigest: v.manifest_digest,
      fileCount: Number(v.file_count),
      totalSize: Number(v.total_size),
      rings: pointers.filter((p) => p.versionId === v.id).map((p) => p.ring),
      createdAt: v.created_at,
      createdBy: v.created_by,
    })),
    nextCursor: rows.length > input.limit && last ? encodeCursor([last.created_at, last.id]) : null,
  };
}
