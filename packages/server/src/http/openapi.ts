import { z } from 'zod';
import { ERROR_CODES } from '@steward/domain';
import type { RouteDef } from './route.js';

const ErrorEnvelopeSchema = z.object({
  error: z.object({ code: z.enum(ERROR_CODES as [string, ...string[]]), message: z.string(), details: z.unknown().optional() }),
});

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const s = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete s.$schema;
  return s;
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query') {
  if (!schema) return [];
  const js = jsonSchema(schema, 'input') as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (js.required ?? []).includes(name),
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
    schema: s,
  }));
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Invalid input (validation_failed, bad_request, invalid_path, digest_mismatch)',
  401: 'Missing, unknown, revoked or expired token',
  403: 'The caller\'s role does not allow this',
  404: 'Not found (or not visible to the caller)',
  409: 'Conflicts with existing state',
  411: 'Content-Length required',
  413: 'Body over the configured size limit',
  429: 'Rate limit exceeded for this token',
};

/** OpenAPI 3.1 generated from the same zod schemas that validate requests. */
export function buildOpenApi(routes: RouteDef[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z]+)/g, '{$1}');
    const responses: Record<string, unknown> = {};
    const okContent =
      r.response.schema === 'binary'
        ? { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } }
        : r.response.schema === 'text'
          ? { 'text/plain': { schema: { type: 'string' } } }
          : { 'application/json': { schema: jsonSchema(r.response.schema, 'output') } };
    responses[String(r.response.status)] = { description: r.response.description, content: okContent };
    const errorStatuses = new Set<number>([400, ...(r.auth === false ? [] : [401, 403, 404, 429]), ...(r.errors ?? [])]);
    for (const s of [...errorStatuses].sort()) {
      responses[String(s)] = { description: STATUS_TEXT[s] ?? 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorEnvelope' } } } };
    }
    const op: Record<string, unknown> = {
      operationId: r.operationId,
      summary: r.summary,
      ...(r.description ? { description: r.description } : {}),
      tags: [r.tag],
      parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
      responses,
      ...(r.auth === false ? { security: [] } : {}),
    };
    if (r.body === 'binary') {
      op.requestBody = { required: true, content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } } };
    } else if (r.body) {
      op.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(r.documentedBody ?? r.body, 'input') } } };
    }
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Steward API',
      version,
      description: 'Governance registry for open-source ML models. Every error uses the envelope {"error": {"code", "message", "details"}}.',
    },
    servers: [{ url: '/' }],
    security: [{ bearerAuth: [] }],
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API token (stw_...)' } },
      schemas: { ErrorEnvelope: jsonSchema(ErrorEnvelopeSchema, 'output') },
    },
    paths,
  };
}
