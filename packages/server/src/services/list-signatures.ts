import type { Signature } from '@steward/domain';
import { authorize, type ServiceContext } from './context.js';
import { findModel, resolveVersion } from './views.js';
import { signatureViews } from '../signing/signature-view.js';

/** A version's signatures (model and provenance), oldest first, with trust decided now. */
export async function listSignatures({ ctx, input }: { ctx: ServiceContext; input: { org: string; model: string; ref: string; subject?: 'model' | 'provenance' | undefined } }): Promise<{ items: Signature[] }> {
  const scope = authorize(ctx, input.org, 'model.read', { model: input.model });
  const model = await findModel(ctx.db, scope.orgId, input.model);
  const v = await resolveVersion(ctx.db, scope.orgId, model, input.ref);
  return { items: await signatureViews(ctx.db, scope.orgId, v.id, input.subject) };
}
