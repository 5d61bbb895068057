import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import Fastify, { LogController } from 'fastify';
import { lazyChildLogger } from '../src/http/request-logger.js';

describe('lazy request logger', () => {
  it('logs at enabled levels with the request id binding, and drops the rest', async () => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk, _enc, cb) {
        for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
        cb();
      },
    });
    const app = Fastify({ logger: { level: 'warn', stream }, childLoggerFactory: lazyChildLogger, genReqId: () => 'req-42', logController: new LogController({ disableRequestLogging: true }) });
    app.get('/x', async (req) => {
      req.log.info('not at warn');
      req.log.warn({ detail: 1 }, 'kept');
      req.log.child({ sub: true }).error('from a child');
      return { isWarnEnabled: (req.log as unknown as { isLevelEnabled(l: string): boolean }).isLevelEnabled('warn'), level: req.log.level };
    });
    try {
      const r = await app.inject({ method: 'GET', url: '/x' });
      expect(r.json()).toEqual({ isWarnEnabled: true, level: 'warn' });
      expect(lines.map((l) => [l.msg, l.reqId])).toEqual([
        ['kept', 'req-42'],
        ['from a child', 'req-42'],
      ]);
      expect(lines[0]?.detail).toBe(1);
      expect(lines[1]?.sub).toBe(true);
    } finally {
      await app.close();
    }
  });
});
