import { describe, expect, it } from 'vitest';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { StewardError } from '@steward/domain';
import { RateLimiter } from '../src/http/rate-limit.js';

function fakeReply(): FastifyReply & { sent: Record<string, string> } {
  const sent: Record<string, string> = {};
  return { sent, header: (k: string, v: string) => ((sent[k] = v), undefined) } as unknown as FastifyReply & { sent: Record<string, string> };
}

describe('RateLimiter', () => {
  it('counts per key in fixed windows, sets the headers, and refuses past the limit with retry-after', () => {
    let now = 1_000_000;
    const limiter = new RateLimiter({ max: 2, windowMs: 60_000, keyOf: (req) => String(req.headers['k']), now: () => now });
    try {
      const req = (k: string) => ({ headers: { k } }) as unknown as FastifyRequest;
      const r1 = fakeReply();
      limiter.check(req('a'), r1);
      expect(r1.sent).toMatchObject({ 'x-ratelimit-limit': '2', 'x-ratelimit-remaining': '1', 'x-ratelimit-reset': '60' });
      now += 30_000;
      limiter.check(req('a'), fakeReply());
      const r3 = fakeReply();
      let err: unknown;
      try {
        limiter.check(req('a'), r3);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(StewardError);
      expect((err as StewardError).code).toBe('rate_limited');
      expect((err as StewardError).message).toMatch(/2 requests per minute/);
      expect(r3.sent['retry-after']).toBe('30');
      expect(r3.sent['x-ratelimit-remaining']).toBe('0');
      // Another key has its own budget.
      limiter.check(req('b'), fakeReply());
      // A new window starts once the old one has passed; the sweep forgets expired windows.
      now += 30_000;
      const r4 = fakeReply();
      limiter.check(req('a'), r4);
      expect(r4.sent['x-ratelimit-remaining']).toBe('1');
      now += 120_000;
      limiter.sweep();
      expect(limiter.size).toBe(0);
    } finally {
      limiter.close();
    }
  });
});
