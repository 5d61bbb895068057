import { changelog } from '@steward/exports';
import { audit, authorize, type ServiceContext } from './context.js';
import { exportRefusal } from './export-version.js';
import { currentRingPointers, findModel, versionView } from './views.js';

/** The model's changelog (Markdown, newest version first), every version against the one before. Recorded like every export. */
export async function exportChangelog({ ctx, input }: { ctx: ServiceContext; input: { org: string; model: string } }): Promise<{ body: string; fileName: string }> {
  const scope = authorize(ctx, input.org, 'model.read', { model: input.model });
  const model = await findModel(ctx.db, scope.orgId, input.model);
  const rows = await ctx.db.selectFrom('model_versions').selectAll().where('model_id', '=', model.id).orderBy('created_at').orderBy('id').execute();
  const pointers = await currentRingPointers(ctx.db, scope.orgId, model.id);
  const versions = [];
  for (const r of rows) versions.push(await versionView(ctx.db, input.org, scope.orgId, model, r, pointers));
  let body: string;
  try {
    body = changelog(versions);
  } catch (err) {
    throw exportRefusal(err, `the changelog of ${input.org}/${model.name}`);
  }
  await audit(ctx.db, ctx, { orgId: scope.orgId, action: 'model.changelog_exported', targetType: 'model', targetId: model.id, details: { model: `${input.org}/${model.name}`, versions: versions.length } });
  return { body, fileName: `${model.name}-CHANGELOG.md` };
}
