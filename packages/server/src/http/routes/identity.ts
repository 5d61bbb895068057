import { z } from 'zod';
import {
  CreateTokenBodySchema,
  CreateUserBodySchema,
  CreatedTokenSchema,
  OrgParamsSchema,
  OrgSchema,
  TokenSchema,
  UserSchema,
  WhoAmISchema,
} from '@steward/domain';
import { defineRoute } from '../route.js';
import { whoAmI } from '../../services/who-am-i.js';
import { listOrgs } from '../../services/list-orgs.js';
import { createUser } from '../../services/create-user.js';
import { listUsers } from '../../services/list-users.js';
import { createToken } from '../../services/create-token.js';
import { listTokens } from '../../services/list-tokens.js';
import { revokeToken } from '../../services/revoke-token.js';

export const identityRoutes = [
  defineRoute({
    method: 'GET',
    url: '/api/v1/whoami',
    operationId: 'whoAmI',
    summary: 'The authenticated user, token and org memberships',
    tag: 'identity',
    response: { status: 200, schema: WhoAmISchema, description: 'Caller identity' },
    handler: ({ ctx }) => whoAmI({ ctx }),
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs',
    operationId: 'listOrgs',
    summary: 'Orgs the caller belongs to, with the caller\'s role in each',
    tag: 'identity',
    response: { status: 200, schema: z.object({ items: z.array(OrgSchema) }), description: 'Orgs' },
    handler: async ({ ctx }) => ({ items: await listOrgs({ ctx }) }),
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/users',
    operationId: 'listUsers',
    summary: 'Members of the org and their roles',
    tag: 'identity',
    params: OrgParamsSchema,
    response: { status: 200, schema: z.object({ items: z.array(UserSchema) }), description: 'Users' },
    handler: async ({ ctx, input }) => ({ items: await listUsers({ ctx, input: { org: input.params.org } }) }),
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/orgs/:org/users',
    operationId: 'createUser',
    summary: 'Create a user (or add an existing one) with a role in the org (admin)',
    tag: 'identity',
    params: OrgParamsSchema,
    body: CreateUserBodySchema,
    response: { status: 201, schema: UserSchema, description: 'The new member' },
    errors: [409],
    handler: ({ ctx, input }) => createUser({ ctx, input: { org: input.params.org, ...input.body } }),
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/tokens',
    operationId: 'listTokens',
    summary: 'Your tokens (admins: every member\'s); never the secret',
    tag: 'identity',
    params: OrgParamsSchema,
    response: { status: 200, schema: z.object({ items: z.array(TokenSchema) }), description: 'Tokens' },
    handler: async ({ ctx, input }) => ({ items: await listTokens({ ctx, input: { org: input.params.org } }) }),
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/orgs/:org/tokens',
    operationId: 'createToken',
    summary: 'Issue an API token (256-bit, shown once, stored as a hash)',
    tag: 'identity',
    params: OrgParamsSchema,
    body: CreateTokenBodySchema,
    response: { status: 201, schema: CreatedTokenSchema, description: 'The token, including its secret (only time it is shown)' },
    handler: ({ ctx, input }) => createToken({ ctx, input: { org: input.params.org, ...input.body } }),
  }),
  defineRoute({
    method: 'DELETE',
    url: '/api/v1/orgs/:org/tokens/:token',
    operationId: 'revokeToken',
    summary: 'Revoke a token by id or display prefix',
    tag: 'identity',
    params: OrgParamsSchema.extend({ token: z.string().min(4).max(128) }),
    response: { status: 200, schema: z.object({ id: z.string(), revokedAt: z.string() }), description: 'Revoked' },
    handler: ({ ctx, input }) => revokeToken({ ctx, input: { org: input.params.org, token: input.params.token } }),
  }),
];
