import { type ExportFormatName, StewardError } from '@steward/domain';
import { ExportIncompleteError, ExportInputError } from '@steward/exports';
import { audit, authorize, type ServiceContext } from './context.js';
import { assembleExportInput } from './export-input.js';
import { EXPORT_FORMAT_DEFS } from './export-formats.js';
import { findModel, resolveVersion } from './views.js';

/** An export the records cannot support, as a 422 naming what is missing. */
export function exportRefusal(err: unknown, what: string): unknown {
  if (err instanceof ExportIncompleteError) {
    return new StewardError('unprocessable', `cannot export ${what} as ${err.format}: missing ${err.missing.join('; ')}`, { format: err.format, missing: err.missing });
  }
  if (err instanceof ExportInputError) {
    return new StewardError('unprocessable', `cannot export ${what}: the registry's records do not make a valid export input (${err.issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')})`, { issues: err.issues });
  }
  return err;
}

/**
 * Renders one version in a compliance or documentation format (any member; recorded in the audit
 * log, as every export is). `registryUrl` is the server's base URL as the client reached it.
 */
export async function exportVersion({ ctx, input }: { ctx: ServiceContext; input: { org: string; model: string; ref: string; format: ExportFormatName; registryUrl?: string | undefined } }): Promise<{
  body: string;
  contentType: string;
  fileName: string;
  warnings: string[];
}> {
  const scope = authorize(ctx, input.org, 'model.read', { model: input.model });
  const model = await findModel(ctx.db, scope.orgId, input.model);
  const v = await resolveVersion(ctx.db, scope.orgId, model, input.ref);
  const def = EXPORT_FORMAT_DEFS[input.format];
  const data = await assembleExportInput(ctx, scope, model, v, input.registryUrl);
  let rendered;
  try {
    rendered = def.render(data);
  } catch (err) {
    throw exportRefusal(err, `${input.org}/${model.name}@${v.version}`);
  }
  // Exports are sensitive reads: recorded before the document leaves, or not served.
  await audit(ctx.db, ctx, {
    orgId: scope.orgId,
    action: 'version.exported',
    targetType: 'model_version',
    targetId: v.id,
    details: { model: `${input.org}/${model.name}`, version: v.version, format: input.format, warnings: rendered.warnings.length },
  });
  return { body: rendered.body, contentType: def.contentType, fileName: `${model.name}-${v.version}${def.suffix}`, warnings: rendered.warnings };
}
