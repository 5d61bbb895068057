import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ServiceContext } from '../services/context.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
}

/**
 * One HTTP operation: the zod schemas that validate it are the ones the OpenAPI document is
 * generated from, so the two cannot drift. Handlers stay thin: call one service verb.
 */
export interface RouteDef<P = any, Q = any, B = any, R = any> {
  method: Method;
  url: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** Defaults to true: every route needs a bearer token unless it says otherwise. */
  auth?: boolean;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  /** 'binary' means the raw request stream is passed through (application/octet-stream). */
  body?: z.ZodType<B> | 'binary';
  /** What the OpenAPI document shows when the route validates part of its body itself (the telemetry hot path). */
  documentedBody?: z.ZodType;
  response: { status: number; schema: z.ZodType<R> | 'binary' | 'text'; description: string };
  /** Extra error statuses worth documenting beyond the common ones. */
  errors?: number[];
  handler: (args: { ctx: ServiceContext; input: RouteInput<P, Q, B>; req: FastifyRequest; reply: FastifyReply }) => Promise<R | undefined>;
}

export function defineRoute<P, Q, B, R>(def: RouteDef<P, Q, B, R>): RouteDef<P, Q, B, R> {
  return def;
}
