/** A real HTTP webhook receiver on loopback (node:http), recording every request; responses are scripted per path. */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Requests to one path, in arrival order. */
  at(path: string): Received[];
  /** Replies for a path, used in order; the last one repeats. Unscripted paths answer 200. */
  script(path: string, replies: Reply[]): void;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const scripts = new Map<string, Reply[]>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const queue = scripts.get(path);
      const reply = queue && queue.length > 1 ? queue.shift()! : (queue?.[0] ?? { status: 200, body: 'ok' });
      res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
      res.end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    at: (path) => received.filter((r) => r.path === path),
    script: (path, replies) => void scripts.set(path, [...replies]),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * What a receiver does with a delivery, written from the README rather than from the server's
 * code: every `v1=` value in Steward-Webhook-Signature is a hex HMAC-SHA256, keyed with the secret,
 * of "<Steward-Webhook-Id>.<Steward-Webhook-Timestamp>.<body>"; one of them must match.
 */
export function verifyDelivery(r: Received, secret: string, toleranceSeconds = 300): boolean {
  const id = r.headers['steward-webhook-id'];
  const ts = r.headers['steward-webhook-timestamp'];
  const sig = r.headers['steward-webhook-signature'];
  if (typeof id !== 'string' || typeof ts !== 'string' || typeof sig !== 'string') return false;
  if (Math.abs(Date.now() / 1000 - Number(ts)) > toleranceSeconds) return false;
  const expected = crypto.createHmac('sha256', secret).update(`${id}.${ts}.${r.body}`).digest();
  return sig.split(' ').some((v) => {
    if (!v.startsWith('v1=')) return false;
    const given = Buffer.from(v.slice(3), 'hex');
    return given.length === expected.length && crypto.timingSafeEqual(given, expected);
  });
}

/** Polls a condition on real state until it holds (no fixed sleeps). */
export async function until<T>(probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, what: string, timeoutMs = 20_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
