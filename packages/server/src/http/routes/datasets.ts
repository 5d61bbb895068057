import { z } from 'zod';
import { DatasetParamsSchema, DatasetSchema, OrgParamsSchema, PageQuerySchema, RegisterDatasetWithPiiBodySchema, pageOf } from '@steward/domain';
import { defineRoute } from '../route.js';
import { registerDataset } from '../../services/register-dataset.js';
import { listDatasets } from '../../services/list-datasets.js';
import { getDataset } from '../../services/get-dataset.js';

export const datasetRoutes = [
  defineRoute({
    method: 'POST',
    url: '/api/v1/orgs/:org/datasets',
    operationId: 'registerDataset',
    summary: 'Register an immutable dataset version (source, license, transform script, approver, sensitivity)',
    tag: 'datasets',
    params: OrgParamsSchema,
    body: RegisterDatasetWithPiiBodySchema,
    response: { status: 201, schema: z.object({ created: z.boolean(), dataset: DatasetSchema }), description: 'Registered (201) or identical one exists (200)' },
    errors: [409],
    handler: async ({ ctx, input, reply }) => {
      const r = await registerDataset({ ctx, input: { org: input.params.org, body: input.body } });
      reply.code(r.created ? 201 : 200);
      return r;
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/datasets',
    operationId: 'listDatasets',
    summary: 'Dataset versions of the org',
    tag: 'datasets',
    params: OrgParamsSchema,
    query: PageQuerySchema,
    response: { status: 200, schema: pageOf(DatasetSchema), description: 'A page of datasets' },
    handler: ({ ctx, input }) => listDatasets({ ctx, input: { org: input.params.org, ...input.query } }),
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/datasets/:dataset/versions/:version',
    operationId: 'getDataset',
    summary: 'One dataset version',
    tag: 'datasets',
    params: DatasetParamsSchema,
    response: { status: 200, schema: DatasetSchema, description: 'The dataset' },
    handler: ({ ctx, input }) => getDataset({ ctx, input: { org: input.params.org, name: input.params.dataset, version: input.params.version } }),
  }),
];
