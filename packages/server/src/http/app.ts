import { randomBytes } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { StewardError } from '@steward/domain';
import type { ZodType } from 'zod';
import { authenticate, cachedActor } from '../services/authenticate.js';
import { requestContext, type Deps } from '../services/context.js';
import { hashToken } from '../auth/tokens.js';
import { fromZodError, sendError } from './errors.js';
import { buildOpenApi } from './openapi.js';
import { securityHeaders } from './security-headers.js';
import { RateLimiter } from './rate-limit.js';
import { lazyChildLogger } from './request-logger.js';
import type { RouteDef } from './route.js';
import { identityRoutes } from './routes/identity.js';
import { blobRoutes } from './routes/blobs.js';
import { modelRoutes } from './routes/models.js';
import { datasetRoutes } from './routes/datasets.js';
import { ringRoutes } from './routes/rings.js';
import { opsRoutes } from './routes/ops.js';
import { scanRoutes } from './routes/scans.js';
import { ledgerRoutes } from './routes/ledger.js';
import { policyRoutes } from './routes/policy.js';
import { promotionRoutes } from './routes/promotions.js';
import { signingRoutes } from './routes/signing.js';
import { exportRoutes } from './routes/exports.js';
import { webhookRoutes } from './routes/webhooks.js';
import { accessRoutes } from './routes/access.js';
import { monitoringRoutes } from './routes/monitoring.js';

export const API_ROUTES: RouteDef[] = [...identityRoutes, ...blobRoutes, ...modelRoutes, ...datasetRoutes, ...ringRoutes, ...scanRoutes, ...opsRoutes, ...ledgerRoutes, ...policyRoutes, ...promotionRoutes, ...signingRoutes, ...exportRoutes, ...webhookRoutes, ...accessRoutes, ...monitoringRoutes];

export const STEWARD_VERSION = '0.1.0';

export interface AppOptions {
  logger?: FastifyServerOptions['logger'];
  https?: { key: Buffer; cert: Buffer } | undefined;
}

const serialized = new WeakMap<object, string>();

/**
 * Request ids: a random prefix per process and a counter. Unique across restarts and servers like a
 * UUID, at a fraction of randomUUID's cost on every request (docs/benchmarks.md).
 */
const requestIdPrefix = randomBytes(8).toString('hex');
let requestCounter = 0;
function nextRequestId(): string {
  return `${requestIdPrefix}-${(++requestCounter).toString(36)}`;
}

/**
 * SHA-256 of the bearer token (what api_tokens stores), or "h:" and the SHA-256 of the whole header
 * when it is not a bearer token; computed once per request, since rate limiting and authentication
 * both need it.
 */
function authHash(req: FastifyRequest): string | null {
  const auth = req.headers.authorization;
  if (!auth) return null;
  // A decorated field, not a WeakMap: one WeakMap entry per request made every scavenge walk ephemerons.
  const r = req as FastifyRequest & { stewardAuthHash: string | null };
  if (r.stewardAuthHash !== null) return r.stewardAuthHash;
  const bearer = /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
  // Anything else is still a rate-limit key, but marked so that it can never match a resolved token.
  return (r.stewardAuthHash = bearer !== undefined ? hashToken(bearer) : `h:${hashToken(auth)}`);
}

function logsRequests(logger: AppOptions['logger']): boolean {
  if (!logger) return false;
  const level = typeof logger === 'object' && 'level' in logger ? String(logger.level) : 'info';
  return !['warn', 'error', 'fatal', 'silent'].includes(level);
}

function isStream(v: object): boolean {
  return typeof (v as { pipe?: unknown }).pipe === 'function';
}

function parseWith<T>(schema: ZodType<T> | undefined, value: unknown, where: 'params' | 'query' | 'body'): T {
  if (!schema) return undefined as T;
  const r = schema.safeParse(value);
  if (!r.success) throw fromZodError(r.error, where);
  return r.data;
}

/**
 * Path parameters validated once per distinct value: reads hit the same few paths over and over,
 * and zod's checks were a visible share of a cached read. The results are frozen (shared between
 * requests); invalid values are never stored, so every bad request still gets its error.
 */
function paramsParser<T>(schema: ZodType<T> | undefined): (value: unknown) => T {
  if (!schema) return () => undefined as T;
  const seen = new Map<string, T>();
  return (value) => {
    let key = '';
    for (const k in value as Record<string, unknown>) key += `${k}=${String((value as Record<string, unknown>)[k])}\u0000`;
    const hit = seen.get(key);
    if (hit !== undefined) return hit;
    const parsed = parseWith(schema, value, 'params');
    if (seen.size >= 2_000) seen.clear();
    seen.set(key, Object.freeze(parsed));
    return parsed;
  };
}

export async function buildApp(deps: Deps, opts: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: deps.config.bodyLimitBytes,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : nextRequestId();
    },
    // Request children are created only when something is logged at an enabled level (ADR 0010).
    ...(opts.logger ? { childLoggerFactory: lazyChildLogger } : {}),
    // Fastify logs each request at info; above info those calls could only be discarded, at a cost per request.
    logController: new LogController({ disableRequestLogging: !logsRequests(opts.logger) }),
    ...(opts.https ? { https: opts.https } : {}),
  } as FastifyServerOptions);

  app.decorateRequest('stewardAuthHash', null);
  const headers = securityHeaders({ https: Boolean(opts.https) });
  // Limits apply per token (hashed so the secret never sits in memory maps), else per client address.
  const limiter = new RateLimiter({
    max: deps.config.rateLimitMax,
    windowMs: deps.config.rateLimitWindowMs,
    keyOf: (req) => {
      // The hash itself (64 hex digits, never "ip:..."), not a new string whose hash V8 would compute per request.
      return authHash(req) ?? `ip:${req.ip}`;
    },
  });
  app.addHook('onClose', async () => limiter.close());
  /**
   * Security headers and the rate limit, called first thing by every handler rather than from
   * hooks: any onRequest hook moves every request onto Fastify's hook-runner path, which cost more
   * than the cached read itself (ADR 0010). Routes with a JSON body still admit from an onRequest
   * hook, so a client over its limit cannot make the server parse bodies.
   */
  const admit = (req: FastifyRequest, reply: FastifyReply): void => {
    reply.headers(headers);
    // Quotable in a support request; the same id is recorded with the request's audit events.
    reply.header('x-request-id', req.id);
    limiter.check(req, reply);
  };
  const admitHook = (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void => {
    try {
      admit(req, reply);
      done();
    } catch (err) {
      done(err as Error);
    }
  };

  // Blob bodies are streamed to the store untouched; the store enforces the blob size limit.
  app.addContentTypeParser('application/octet-stream', { bodyLimit: Number.MAX_SAFE_INTEGER }, (_req, payload, done) => done(null, payload));
  // OTLP/HTTP protobuf: decoded in memory (ingest-otlp.ts), so the JSON body limit applies.
  app.addContentTypeParser(['application/x-protobuf', 'application/protobuf'], { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err, req, reply) => sendError(err, req, reply.headers(headers).header('x-request-id', req.id)));
  app.setNotFoundHandler((req, reply) => sendError(new StewardError('not_found', `no route ${req.method} ${req.url.split('?')[0]}`), req, reply.headers(headers).header('x-request-id', req.id)));

  app.get('/healthz', async (_req, reply) => {
    reply.headers(headers);
    return { status: 'ok' };
  });
  app.get('/readyz', async (req, reply) => {
    reply.headers(headers);
    try {
      await deps.db.selectFrom('orgs').select('id').limit(1).execute();
      await deps.blobs.stat('0'.repeat(64));
      return { status: 'ready' };
    } catch (err) {
      req.log.warn({ err }, 'not ready');
      return reply.code(503).send(new StewardError('unavailable', 'database or blob store unavailable').toEnvelope());
    }
  });

  const openapi = buildOpenApi(API_ROUTES, STEWARD_VERSION);
  app.get('/api/v1/openapi.json', async (req, reply) => {
    admit(req, reply);
    return openapi;
  });

  for (const route of API_ROUTES) {
    const parseParams = paramsParser(route.params);
    app.route({
      method: route.method,
      url: route.url,
      ...(route.body && route.body !== 'binary' ? { onRequest: admitHook } : {}),
      handler: async (req, reply) => {
        if (!route.body || route.body === 'binary') admit(req, reply);
        const tokenHash = authHash(req);
        // Most requests come from a token already resolved: no promise, no microtask for those.
        const actor = (tokenHash !== null && cachedActor(deps, tokenHash)) || (await authenticate({ deps, input: { authorization: req.headers.authorization, tokenHash } }));
        const input = {
          params: parseParams(req.params),
          query: parseWith(route.query, req.query, 'query'),
          body: route.body === 'binary' ? req.body : parseWith(route.body, req.body ?? {}, 'body'),
        };
        if (route.body === 'binary' && !req.body) throw new StewardError('bad_request', 'expected an application/octet-stream body');
        const ctx = requestContext(deps, { actor, requestId: req.id, clientAddress: req.ip ?? null, log: req.log });
        // The documented status by default; a handler may still choose another (e.g. 200 for an idempotent no-op).
        reply.code(route.response.status);
        const result = await route.handler({ ctx, input, req, reply });
        if (reply.sent || result === undefined || result === null || typeof result !== 'object' || isStream(result)) return reply.sent ? reply : result;
        // Cached results are the same object on every hit; serialize each one once.
        let body = serialized.get(result);
        if (body === undefined) {
          body = JSON.stringify(result);
          serialized.set(result, body);
        }
        return reply.type('application/json; charset=utf-8').send(body);
      },
    });
  }
  return app;
}
