import { z } from 'zod';
import { GrantModelRoleBodySchema, ModelParamsSchema, ModelRoleGrantSchema, ModelRoleSchema, ModelUserParamsSchema } from '@steward/domain';
import { defineRoute } from '../route.js';
import { grantModelRole } from '../../services/grant-model-role.js';
import { revokeModelRole } from '../../services/revoke-model-role.js';
import { listModelRoles } from '../../services/list-model-roles.js';

export const accessRoutes = [
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/models/:model/roles',
    operationId: 'listModelRoles',
    summary: 'Per-model roles: who is owner, maintainer or contributor of the model',
    tag: 'access',
    params: ModelParamsSchema,
    response: { status: 200, schema: z.object({ items: z.array(ModelRoleGrantSchema) }), description: 'Grants' },
    handler: async ({ ctx, input }) => ({ items: await listModelRoles({ ctx, input: input.params }) }),
  }),
  defineRoute({
    method: 'PUT',
    url: '/api/v1/orgs/:org/models/:model/roles/:user',
    operationId: 'grantModelRole',
    summary: 'Grant a member a role on the model (model owners, org admins)',
    tag: 'access',
    params: ModelUserParamsSchema,
    body: GrantModelRoleBodySchema,
    response: { status: 200, schema: ModelRoleGrantSchema, description: 'The grant' },
    handler: ({ ctx, input }) => grantModelRole({ ctx, input: { ...input.params, role: input.body.role } }),
  }),
  defineRoute({
    method: 'DELETE',
    url: '/api/v1/orgs/:org/models/:model/roles/:user',
    operationId: 'revokeModelRole',
    summary: 'Remove a member\'s role on the model (model owners, org admins)',
    tag: 'access',
    params: ModelUserParamsSchema,
    response: { status: 200, schema: z.object({ model: z.string(), user: z.string(), role: ModelRoleSchema }), description: 'The removed grant' },
    handler: ({ ctx, input }) => revokeModelRole({ ctx, input: input.params }),
  }),
];
