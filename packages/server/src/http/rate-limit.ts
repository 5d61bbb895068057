import type { FastifyReply, FastifyRequest } from 'fastify';
import { StewardError } from '@steward/domain';

export interface RateLimitOptions {
  max: number;
  windowMs: number;
  /** The bucket a request counts against (per token, else per client address). */
  keyOf: (req: FastifyRequest) => string;
  now?: () => number;
}

interface Window {
  count: number;
  resetAt: number;
}

/**
 * Fixed-window request limits per key, with the `x-ratelimit-*` headers and `retry-after` on 429.
 * In-house rather than @fastify/rate-limit (ADR 0010): that plugin cost about a quarter of the
 * throughput of a cached read, and Steward needs only this one policy. Windows live in a Map that a
 * sweep empties of expired entries, so memory is bounded by the keys active in one window.
 */
export class RateLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly limitHeader: string;
  private readonly now: () => number;
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: RateLimitOptions) {
    this.limitHeader = String(opts.max);
    this.now = opts.now ?? Date.now;
    this.sweepTimer = setInterval(() => this.sweep(), opts.windowMs);
    this.sweepTimer.unref();
  }

  /** Counts the request; throws rate_limited (429) once the key's window is used up. */
  check(req: FastifyRequest, reply: FastifyReply): void {
    const now = this.now();
    const key = this.opts.keyOf(req);
    let w = this.windows.get(key);
    if (w === undefined || w.resetAt <= now) {
      w = { count: 0, resetAt: now + this.opts.windowMs };
      this.windows.set(key, w);
    }
    w.count++;
    const resetSeconds = Math.ceil((w.resetAt - now) / 1000);
    reply.header('x-ratelimit-limit', this.limitHeader);
    reply.header('x-ratelimit-remaining', String(Math.max(0, this.opts.max - w.count)));
    reply.header('x-ratelimit-reset', String(resetSeconds));
    if (w.count > this.opts.max) {
      reply.header('retry-after', String(resetSeconds));
      throw new StewardError('rate_limited', `rate limit of ${this.opts.max} requests per ${formatWindow(this.opts.windowMs)} exceeded; retry in ${resetSeconds} s`, {
        retryAfter: resetSeconds,
      });
    }
  }

  /** Number of keys currently tracked (for tests). */
  get size(): number {
    return this.windows.size;
  }

  sweep(): void {
    const now = this.now();
    for (const [key, w] of this.windows) if (w.resetAt <= now) this.windows.delete(key);
  }

  close(): void {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    this.windows.clear();
  }
}

function formatWindow(ms: number): string {
  if (ms % 60_000 === 0) return ms === 60_000 ? 'minute' : `${ms / 60_000} minutes`;
  return `${ms / 1000} s`;
}
