import { authorize, type ServiceContext } from './context.js';
import { findModel, resolveVersion } from './views.js';
import { signatureRow } from '../signing/signature-view.js';

/** One stored bundle, byte for byte as signed or uploaded (JSON text). */
export async function getSignatureBundle({ ctx, input }: { ctx: ServiceContext; input: { org: string; model: string; ref: string; id: string } }): Promise<{ bundleJson: string; subject: string; fileName: string }> {
  const scope = authorize(ctx, input.org, 'model.read', { model: input.model });
  const model = await findModel(ctx.db, scope.orgId, input.model);
  const v = await resolveVersion(ctx.db, scope.orgId, model, input.ref);
  const row = await signatureRow(ctx.db, scope.orgId, v.id, input.id, `${input.org}/${model.name}@${v.version}`);
  return { bundleJson: row.bundle_json, subject: row.subject, fileName: `${model.name}-${v.version}.${row.subject === 'provenance' ? 'provenance.sig' : 'sig'}` };
}
