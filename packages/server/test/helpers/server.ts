/** An in-process Steward server on a real loopback port, over a real database and blob folder. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadServerConfig, startServer, type RunningServer, type ServerConfigInput } from '../../src/index.js';
import { createTestDatabase, type DbKind, type TestDatabase } from './db.js';

export const ADMIN_TOKEN = 'stw_test-admin-token-0123456789abcdefghijklmnopqrstuv';

export interface TestServer {
  url: string;
  dataDir: string;
  running: RunningServer;
  db: TestDatabase;
  stop(): Promise<void>;
  /** fetch with the admin token (or another) and JSON handling. */
  api(method: string, urlPath: string, opts?: { token?: string | null; body?: unknown; headers?: Record<string, string>; raw?: Buffer | string }): Promise<{ status: number; headers: Headers; json: any; text: string }>;
}

export async function startTestServer(kind: DbKind, overrides: Partial<ServerConfigInput> = {}): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'steward-srv-'));
  const db = await createTestDatabase(kind, dataDir);
  const config = loadServerConfig(
    {},
    { port: 0, dataDir, databaseUrl: db.url, bootstrapToken: ADMIN_TOKEN, logLevel: 'silent', gcIntervalSeconds: 0, ...overrides },
  );
  const running = await startServer(config, { log: () => {} });
  const url = running.url;
  return {
    url,
    dataDir,
    running,
    db,
    stop: async () => {
      await running.close();
      await db.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
    api: async (method, urlPath, opts = {}) => {
      const headers: Record<string, string> = { ...opts.headers };
      const token = opts.token === undefined ? ADMIN_TOKEN : opts.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      let body: Buffer | string | undefined;
      if (opts.raw !== undefined) body = opts.raw;
      else if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers['content-type'] = 'application/json';
      }
      const res = await fetch(url + urlPath, { method, headers, body });
      const text = await res.text();
      let json: any = undefined;
      try {
        json = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: res.status, headers: res.headers, json, text };
    },
  };
}
