import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_HTTP_STATUS, type ErrorEnvelope, StewardError } from '@steward/domain';
import { ZodError } from 'zod';

/** Turns a zod failure at the edge into one validation_failed error naming every bad field. */
export function fromZodError(err: ZodError, where: 'params' | 'query' | 'body'): StewardError {
  const issues = err.issues.map((i) => ({ field: [where, ...i.path.map(String)].join('.'), message: i.message }));
  const first = issues[0];
  return new StewardError('validation_failed', first ? `${first.field}: ${first.message}` : `invalid ${where}`, { issues });
}

/** Maps anything thrown in a request to the one error envelope. Unknown errors are 500 and logged. */
export function toStewardError(err: unknown): StewardError {
  if (err instanceof StewardError) return err;
  if (err instanceof ZodError) return fromZodError(err, 'body');
  const fe = err as Partial<FastifyError> & { statusCode?: number };
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new StewardError('payload_too_large', 'request body is larger than the configured limit');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new StewardError('bad_request', `unsupported content type: ${fe.message}`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new StewardError('bad_request', 'request body is not valid JSON');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new StewardError('bad_request', 'Content-Length does not match the body');
    default:
      break;
  }
  if (fe instanceof SyntaxError || (fe.statusCode === 400 && fe.message)) return new StewardError('bad_request', fe.message ?? 'bad request');
  if (fe.statusCode === 413) return new StewardError('payload_too_large', fe.message ?? 'payload too large');
  return new StewardError('internal', 'internal error');
}

export function sendError(err: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const se = toStewardError(err);
  if (se.code === 'internal') req.log.error({ err }, 'unhandled error');
  else req.log.info({ code: se.code, msg: se.message }, 'request failed');
  const envelope: ErrorEnvelope = se.toEnvelope();
  return reply.code(ERROR_HTTP_STATUS[se.code]).type('application/json; charset=utf-8').send(envelope);
}
