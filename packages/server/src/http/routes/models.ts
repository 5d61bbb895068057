import {
  LineageSchema,
  ModelParamsSchema,
  ModelSchema,
  OrgParamsSchema,
  PageQuerySchema,
  PushVersionBodySchema,
  PushVersionResponseSchema,
  UpdateModelBodySchema,
  VersionParamsSchema,
  VersionSchema,
  VersionSummarySchema,
  pageOf,
} from '@steward/domain';
import { defineRoute } from '../route.js';
import { listModels } from '../../services/list-models.js';
import { getModel } from '../../services/get-model.js';
import { updateModel } from '../../services/update-model.js';
import { pushVersion } from '../../services/push-version.js';
import { listVersions } from '../../services/list-versions.js';
import { getVersion } from '../../services/get-version.js';
import { getLineage } from '../../services/get-lineage.js';

export const modelRoutes = [
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/models',
    operationId: 'listModels',
    summary: 'Models of the org (cursor-paginated by name)',
    tag: 'models',
    params: OrgParamsSchema,
    query: PageQuerySchema,
    response: { status: 200, schema: pageOf(ModelSchema), description: 'A page of models' },
    handler: ({ ctx, input }) => listModels({ ctx, input: { org: input.params.org, ...input.query } }),
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/models/:model',
    operationId: 'getModel',
    summary: 'One model: owners, description, risk tier, tags, latest version, ring pointers',
    tag: 'models',
    params: ModelParamsSchema,
    response: { status: 200, schema: ModelSchema, description: 'The model' },
    handler: ({ ctx, input }) => getModel({ ctx, input: input.params }),
  }),
  defineRoute({
    method: 'PATCH',
    url: '/api/v1/orgs/:org/models/:model',
    operationId: 'updateModel',
    summary: 'Edit model metadata (maintainer)',
    tag: 'models',
    params: ModelParamsSchema,
    body: UpdateModelBodySchema,
    response: { status: 200, schema: ModelSchema, description: 'The updated model' },
    handler: ({ ctx, input }) => updateModel({ ctx, input: { ...input.params, patch: input.body } }),
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/orgs/:org/models/:model/versions',
    operationId: 'pushVersion',
    summary: 'Register a model version atomically (files must be uploaded first)',
    description: 'Creates the model on first push. Same version and manifest again: 200, nothing changes. Same version, other content: 409 version_exists.',
    tag: 'models',
    params: ModelParamsSchema,
    body: PushVersionBodySchema,
    response: { status: 201, schema: PushVersionResponseSchema, description: 'Registered (201) or already present (200)' },
    errors: [409],
    handler: async ({ ctx, input, reply }) => {
      const result = await pushVersion({ ctx, input: { ...input.params, body: input.body } });
      reply.code(result.created ? 201 : 200);
      return result;
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/models/:model/versions',
    operationId: 'listVersions',
    summary: 'Versions of a model, newest first',
    tag: 'models',
    params: ModelParamsSchema,
    query: PageQuerySchema,
    response: { status: 200, schema: pageOf(VersionSummarySchema), description: 'A page of versions' },
    handler: ({ ctx, input }) => listVersions({ ctx, input: { ...input.params, ...input.query } }),
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/models/:model/versions/:ref',
    operationId: 'getVersion',
    summary: 'One version by semantic version or ring name: manifest, files, lineage links, model card, rings',
    tag: 'models',
    params: VersionParamsSchema,
    response: { status: 200, schema: VersionSchema, description: 'The version' },
    handler: ({ ctx, input }) => getVersion({ ctx, input: input.params }),
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/models/:model/versions/:ref/lineage',
    operationId: 'getLineage',
    summary: 'Ancestry (datasets, base models, commits) and descendants of a version',
    tag: 'models',
    params: VersionParamsSchema,
    response: { status: 200, schema: LineageSchema, description: 'Lineage graph' },
    handler: ({ ctx, input }) => getLineage({ ctx, input: input.params }),
  }),
];
