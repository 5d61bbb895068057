/** Real databases for tests: a fresh SQLite file, or a fresh Postgres database on 127.0.0.1:5432. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';

export type DbKind = 'sqlite' | 'postgres';

/** Both by default; STEWARD_TEST_DATABASES=sqlite narrows it (e.g. on a laptop without Postgres). */
export const DB_KINDS: DbKind[] = (process.env.STEWARD_TEST_DATABASES?.split(',') as DbKind[] | undefined) ?? ['sqlite', 'postgres'];

export const PG_ADMIN_URL = process.env.STEWARD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(kind: DbKind, dir?: string): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const d = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'steward-db-'));
    const file = path.join(d, `test-${randomBytes(4).toString('hex')}.db`);
    return { url: `sqlite:${file}`, drop: async () => fs.rmSync(file, { force: true }) };
  }
  const name = `steward_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * Runs one SQL statement on a test database from outside the process using it, as a DBA would
 * (tampering, inspecting what was written). `$1`-style parameters on both databases.
 */
export async function sqlFromOutside<T = Record<string, unknown>>(db: TestDatabase, text: string, params: unknown[] = []): Promise<T[]> {
  if (db.url.startsWith('sqlite:')) {
    const d = new Database(db.url.slice('sqlite:'.length));
    try {
      d.pragma('busy_timeout = 5000');
      const stmt = d.prepare(text.replace(/\$\d+/g, '?'));
      return (stmt.reader ? stmt.all(...params) : (stmt.run(...params), [])) as T[];
    } finally {
      d.close();
    }
  }
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}
