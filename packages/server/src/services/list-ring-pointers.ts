import type { RingPointer } from '@steward/domain';
import { authorize, type ServiceContext } from './context.js';
import { currentRingPointers, findModel } from './views.js';

export async function listRingPointers({ ctx, input }: { ctx: ServiceContext; input: { org: string; model: string } }): Promise<RingPointer[]> {
  const scope = authorize(ctx, input.org, 'model.read', { model: input.model });
  const model = await findModel(ctx.db, scope.orgId, input.model);
  const pointers = await currentRingPointers(ctx.db, scope.orgId, model.id);
  return pointers.map((p) => ({ ring: p.ring, version: p.version, movedAt: p.movedAt }));
}
