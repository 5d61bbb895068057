import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Migration, type MigrationProvider } from 'kysely';
import pg from 'pg';
import type { DB } from './schema.js';
import { ReadCache, WriteObserverPlugin } from './read-cache.js';
import * as m0001 from './migrations/0001_initial.js';
import * as m0002 from './migrations/0002_scans.js';
import * as m0003 from './migrations/0003_ledger.js';
import * as m0004 from './migrations/0004_policy_signatures.js';
import * as m0005s from './migrations/0005_signing_trust.js';
import * as m0006 from './migrations/0006_webhooks.js';
import * as m0007 from './migrations/0007_policy_params.js';
import * as m0008 from './migrations/0008_access.js';
import * as m0009 from './migrations/0009_promotions.js';
import * as m0010 from './migrations/0010_monitoring.js';

export type DatabaseConfig = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

/** Migrations are compiled into the program, in order; names never change once released. */
const MIGRATIONS: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_scans': m0002,
  '0003_ledger': m0003,
  '0004_policy_signatures': m0004,
  '0005_signing_trust': m0005s,
  '0006_webhooks': m0006,
  '0007_policy_params': m0007,
  '0008_access': m0008,
  '0009_promotions': m0009,
  '0010_monitoring': m0010,
};

class StaticMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

// int8 (bigint) columns hold sizes and sequence numbers, all far below 2^53.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

export interface Store {
  db: Kysely<DB>;
  kind: DatabaseConfig['kind'];
  /** Present on SQLite, where this process makes every write (see ReadCache). */
  cache: ReadCache | null;
  close(): Promise<void>;
}

/**
 * Kysely prepares every query anew; better-sqlite3 statements are reusable, and preparing is a
 * fifth of a simple read's CPU. Queries are built from a fixed set of shapes, so the cache stays small.
 */
function cachePreparedStatements(sqlite: Database.Database, max = 2000): void {
  const prepare = sqlite.prepare.bind(sqlite);
  const cache = new Map<string, Database.Statement>();
  sqlite.prepare = ((source: string) => {
    let stmt = cache.get(source);
    if (!stmt) {
      stmt = prepare(source);
      if (cache.size >= max) cache.clear();
      cache.set(source, stmt);
    }
    return stmt;
  }) as typeof sqlite.prepare;
}

export async function openDatabase(config: DatabaseConfig): Promise<Store> {
  let db: Kysely<DB>;
  let cache: ReadCache | null = null;
  if (config.kind === 'sqlite') {
    if (config.file !== ':memory:') fs.mkdirSync(path.dirname(config.file), { recursive: true });
    const sqlite = new Database(config.file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    cachePreparedStatements(sqlite);
    const readCache = new ReadCache();
    cache = readCache;
    db = new Kysely<DB>({ dialect: new SqliteDialect({ database: sqlite }), plugins: [new WriteObserverPlugin(() => readCache.bump())] });
  } else {
    const pool = new pg.Pool({ connectionString: config.url, max: 10 });
    // An idle client killed by the server (restart, failover, admin) must not crash the process; the pool replaces it.
    pool.on('error', (err) => process.emitWarning(`postgres connection lost: ${err.message}`));
    db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  }
  const migrator = new Migrator({ db, provider: new StaticMigrationProvider(), migrationTableName: 'steward_migrations', migrationLockTableName: 'steward_migrations_lock' });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    await db.destroy();
    const what = failed ? `migration ${failed.migrationName} failed` : 'migration failed';
    throw new Error(`${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { db, kind: config.kind, cache, close: () => db.destroy() };
}
