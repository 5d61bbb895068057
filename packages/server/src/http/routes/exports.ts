import { EXPORT_WARNINGS_HEADER, ExportParamsSchema, ModelParamsSchema } from '@steward/domain';
import type { FastifyRequest } from 'fastify';
import { defineRoute } from '../route.js';
import { exportVersion } from '../../services/export-version.js';
import { exportChangelog } from '../../services/export-changelog.js';

/** Warnings travel in a header (base64url JSON), so the body stays exactly the document. */
const MAX_HEADER_WARNINGS = 50;

/** The server's base URL as this client reached it: download locations in exports point back here. */
function registryUrlOf(req: FastifyRequest): string | undefined {
  try {
    return new URL(`${req.protocol}://${req.host}`).origin;
  } catch {
    return undefined;
  }
}

export const exportRoutes = [
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/models/:model/versions/:ref/exports/:format',
    operationId: 'exportVersion',
    summary: 'A version as CycloneDX 1.6, SPDX 3.0.1, a model card, EU AI Act Annex IV (Markdown or HTML) or the GPAI form (audited)',
    description: `422 unprocessable names what the records lack for a field the format requires. Warnings (what is missing or approximated) come in the ${EXPORT_WARNINGS_HEADER} header: base64url of a JSON array of strings.`,
    tag: 'exports',
    params: ExportParamsSchema,
    response: { status: 200, schema: 'text', description: 'The document (JSON for cyclonedx and spdx, Markdown or HTML otherwise)' },
    errors: [422],
    handler: async ({ ctx, input, req, reply }) => {
      const r = await exportVersion({ ctx, input: { ...input.params, registryUrl: registryUrlOf(req) } });
      reply
        .type(r.contentType)
        .header('content-disposition', `attachment; filename="${r.fileName}"`)
        .header(EXPORT_WARNINGS_HEADER, Buffer.from(JSON.stringify(r.warnings.slice(0, MAX_HEADER_WARNINGS))).toString('base64url'));
      return r.body;
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/models/:model/changelog',
    operationId: 'exportChangelog',
    summary: 'The model\'s changelog in Markdown: every version against the one before, newest first (audited)',
    tag: 'exports',
    params: ModelParamsSchema,
    response: { status: 200, schema: 'text', description: 'Markdown' },
    handler: async ({ ctx, input, reply }) => {
      const r = await exportChangelog({ ctx, input: input.params });
      reply.type('text/markdown; charset=utf-8').header('content-disposition', `attachment; filename="${r.fileName}"`);
      return r.body;
    },
  }),
];
