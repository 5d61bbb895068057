/** Typed client for the Steward HTTP API; responses are parsed with the shared zod schemas. */
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { type ErrorEnvelope, isErrorCode } from '@steward/domain';
import { CliError } from './errors.js';

export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    details?: unknown,
  ) {
    super(message, 1, details);
    this.name = 'ApiError';
  }
}

export interface ClientOptions {
  server: string;
  token: string;
}

const IDLE_TIMEOUT_MS = 120_000;
const agentOpts = { keepAlive: true, maxSockets: 16 };
const httpAgent = new http.Agent(agentOpts);
const httpsAgent = new https.Agent(agentOpts);

export class StewardClient {
  constructor(readonly opts: ClientOptions) {}

  private url(path: string): URL {
    return new URL(path, this.opts.server + '/');
  }

  /** Low-level request over node:http so that bodies and responses stream with backpressure. */
  request(method: string, path: string, init: { headers?: Record<string, string>; body?: Readable | Buffer | undefined } = {}): Promise<http.IncomingMessage> {
    const url = this.url(path);
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(
        url,
        {
          method,
          agent: url.protocol === 'https:' ? httpsAgent : httpAgent,
          headers: { authorization: `Bearer ${this.opts.token}`, 'user-agent': 'steward-cli/0.1.0', ...init.headers },
        },
        resolve,
      );
      req.on('error', (err) => reject(new CliError(`cannot reach ${this.opts.server}: ${err.message}`, 2)));
      // A stalled server (or a download that stops mid-way) must fail, not hang forever.
      req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(new Error(`no data from ${this.opts.server} for ${IDLE_TIMEOUT_MS / 1000} s`)));
      if (init.body === undefined) req.end();
      else if (Buffer.isBuffer(init.body)) req.end(init.body);
      else {
        init.body.on('error', (err) => req.destroy(err));
        init.body.pipe(req);
      }
    });
  }

  async json<T>(method: string, path: string, schema: z.ZodType<T>, body?: unknown): Promise<T> {
    const buf = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const res = await this.request(method, path, {
      headers: { accept: 'application/json', ...(buf ? { 'content-type': 'application/json', 'content-length': String(buf.length) } : {}) },
      body: buf,
    });
    const text = await readAll(res);
    if ((res.statusCode ?? 500) >= 400) throw toApiError(res.statusCode ?? 500, text);
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      throw new CliError(`server sent a response that is not JSON (HTTP ${res.statusCode}) for ${method} ${path}`, 1);
    }
    const parsed = schema.safeParse(data);
    if (!parsed.success) throw new CliError(`unexpected response from server for ${method} ${path}: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`, 1);
    return parsed.data;
  }

  /** A text response (checkpoints, JSON Lines). */
  async text(method: string, path: string): Promise<string> {
    const res = await this.request(method, path);
    const text = await readAll(res);
    if ((res.statusCode ?? 500) >= 400) throw toApiError(res.statusCode ?? 500, text);
    return text;
  }

  /** Streams a request body; returns the parsed JSON response. */
  async upload<T>(path: string, schema: z.ZodType<T>, body: Readable, size: number): Promise<T> {
    const res = await this.request('PUT', path, { headers: { 'content-type': 'application/octet-stream', 'content-length': String(size), accept: 'application/json' }, body });
    const text = await readAll(res);
    if ((res.statusCode ?? 500) >= 400) throw toApiError(res.statusCode ?? 500, text);
    return schema.parse(JSON.parse(text));
  }

  /** Opens a download; the caller consumes the stream. */
  async download(path: string): Promise<{ stream: http.IncomingMessage; size: number }> {
    const res = await this.request('GET', path);
    if ((res.statusCode ?? 500) >= 400) throw toApiError(res.statusCode ?? 500, await readAll(res));
    return { stream: res, size: Number(res.headers['content-length'] ?? -1) };
  }
}

async function readAll(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function toApiError(status: number, text: string): ApiError {
  try {
    const env = JSON.parse(text) as ErrorEnvelope;
    if (env?.error && isErrorCode(env.error.code)) return new ApiError(status, env.error.code, env.error.message, env.error.details);
  } catch {
    // not an envelope
  }
  return new ApiError(status, 'internal', `HTTP ${status}: ${text.slice(0, 200)}`);
}

export const enc = encodeURIComponent;
