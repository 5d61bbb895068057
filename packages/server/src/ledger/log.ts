import {
  type FetchNodes,
  type NodeId,
  checkConsistency,
  consistencyProof,
  nodeKey,
  rootAt,
  rootFromFrontier,
  signCheckpoint,
} from '@steward/ledger';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { parseFrontier } from './append.js';
import type { LedgerKeyring } from './keys.js';

export interface LogHead {
  logId: string;
  origin: string;
  size: number;
  rootHash: Buffer;
}

export interface StoredCheckpoint {
  size: number;
  rootHash: Buffer;
  note: string;
  keyId: string;
  createdAt: string;
}

/** Loads stored complete nodes of one log in one query (at most ~2 log2 n of them per proof). */
export function nodeFetcher(db: Kysely<DB>, logId: string): FetchNodes {
  return async (ids: NodeId[]) => {
    const out = new Map<string, Buffer>();
    for (let i = 0; i < ids.length; i += 200) {
      const chunk = ids.slice(i, i + 200);
      const rows = await db
        .selectFrom('ledger_nodes')
        .select(['level', 'idx', 'hash'])
        // Each OR term names the whole primary key, so SQLite and Postgres answer it with index lookups.
        .where((eb) => eb.or(chunk.map((n) => eb.and([eb('log_id', '=', logId), eb('level', '=', n.level), eb('idx', '=', n.index)]))))
        .execute();
      for (const r of rows) out.set(nodeKey(Number(r.level), Number(r.idx)), Buffer.from(r.hash, 'hex'));
    }
    return out;
  };
}

export async function logHead(db: Kysely<DB>, logId: string): Promise<LogHead | null> {
  const row = await db.selectFrom('ledger_logs').select(['origin', 'size', 'frontier_json']).where('log_id', '=', logId).executeTakeFirst();
  if (!row) return null;
  return { logId, origin: row.origin, size: Number(row.size), rootHash: rootFromFrontier(parseFrontier(row.frontier_json)) };
}

export async function latestCheckpoint(db: Kysely<DB>, logId: string): Promise<StoredCheckpoint | null> {
  const row = await db.selectFrom('ledger_checkpoints').selectAll().where('log_id', '=', logId).orderBy('size', 'desc').limit(1).executeTakeFirst();
  return row ? { size: Number(row.size), rootHash: Buffer.from(row.root_hash, 'hex'), note: row.note, keyId: row.key_id, createdAt: row.created_at } : null;
}

export class LedgerTamperedError extends Error {}

/**
 * Signs a checkpoint for the log's current size unless the latest one already covers it. The
 * server acts as its own first witness: before signing, the stored tree must reproduce the root of
 * the previous checkpoint (the new tree extends the old one). If the database was rewritten under
 * it, it refuses, so no signature ever covers a rewritten history.
 */
export async function checkpointLog(db: Kysely<DB>, keyring: LedgerKeyring, logId: string, now: () => Date): Promise<StoredCheckpoint | null> {
  const head = await logHead(db, logId);
  if (!head) return null;
  const previous = await latestCheckpoint(db, logId);
  if (previous && previous.size >= head.size) {
    if (previous.size > head.size) throw new LedgerTamperedError(`log ${head.origin} has ${head.size} entries but was checkpointed at ${previous.size}: entries were removed`);
    const { keyId, signer } = await keyring.signer();
    if (previous.keyId === keyId) return previous;
    // After a key rotation the same tree is signed again with the new key, so clients that
    // pinned the new key can verify the current checkpoint without waiting for the log to grow.
    if (!head.rootHash.equals(previous.rootHash)) throw new LedgerTamperedError(`log ${head.origin}: the stored tree no longer has the root signed at size ${previous.size}`);
    const note = signCheckpoint({ origin: head.origin, size: head.size, rootHash: head.rootHash }, signer);
    await db.updateTable('ledger_checkpoints').set({ note, key_id: keyId }).where('log_id', '=', logId).where('size', '=', previous.size).execute();
    return { ...previous, note, keyId };
  }
  if (previous) {
    const fetch = nodeFetcher(db, logId);
    const oldRoot = await rootAt(previous.size, fetch).catch((err: Error) => {
      throw new LedgerTamperedError(`log ${head.origin}: the stored tree no longer covers checkpoint ${previous.size}: ${err.message}`);
    });
    if (!oldRoot.equals(previous.rootHash)) throw new LedgerTamperedError(`log ${head.origin}: the stored tree no longer has the root signed at size ${previous.size}`);
    // Belt and braces: the proof a client would get must verify too.
    const proof = await consistencyProof(previous.size, head.size, fetch);
    const ok = checkConsistency(previous.size, head.size, proof, previous.rootHash, head.rootHash);
    if (!ok.ok) throw new LedgerTamperedError(`log ${head.origin}: size ${head.size} is not consistent with checkpoint ${previous.size}: ${ok.reason}`);
  }
  const { keyId, signer } = await keyring.signer();
  const note = signCheckpoint({ origin: head.origin, size: head.size, rootHash: head.rootHash }, signer);
  const createdAt = now().toISOString();
  await db
    .insertInto('ledger_checkpoints')
    .values({ log_id: logId, size: head.size, root_hash: head.rootHash.toString('hex'), note, key_id: keyId, created_at: createdAt })
    .onConflict((oc) => oc.columns(['log_id', 'size']).doNothing())
    .execute();
  return latestCheckpoint(db, logId);
}

/**
 * Signs checkpoints for grown logs every `intervalMs` (the batch interval): appends stay O(log n)
 * and signing costs one Ed25519 signature per log per interval, however many events arrived.
 */
export class Checkpointer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly keyring: LedgerKeyring,
    private readonly now: () => Date,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown, logId: string) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** One pass over the logs that grew since their last checkpoint. */
  tick(): Promise<void> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async pass(): Promise<void> {
    const logs = await this.db.selectFrom('ledger_logs').select(['log_id', 'size']).execute();
    const signed = await this.db.selectFrom('ledger_checkpoints').select(['log_id', (eb) => eb.fn.max('size').as('size')]).groupBy('log_id').execute();
    const signedSize = new Map(signed.map((c) => [c.log_id, Number(c.size)]));
    const grown = logs.filter((l) => Number(l.size) > (signedSize.get(l.log_id) ?? 0));
    for (const { log_id } of grown) {
      try {
        await checkpointLog(this.db, this.keyring, log_id, this.now);
      } catch (err) {
        this.onError(err, log_id);
      }
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
