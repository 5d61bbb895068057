/** Per-model roles and token restrictions (docs/authorization.md, ADR 0015). */
import { z } from 'zod';
import { ModelRoleSchema, NameSchema } from './names.js';
import { IsoDateSchema, ModelParamsSchema } from './api.js';

export const ModelRoleGrantSchema = z.object({
  model: z.string().describe('ORG/NAME'),
  user: z.string(),
  role: ModelRoleSchema,
  grantedBy: z.string(),
  grantedAt: IsoDateSchema,
});
export type ModelRoleGrant = z.infer<typeof ModelRoleGrantSchema>;

export const GrantModelRoleBodySchema = z.object({ role: ModelRoleSchema });
export const ModelUserParamsSchema = ModelParamsSchema.extend({ user: NameSchema });
