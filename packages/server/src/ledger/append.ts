import { appendToFrontier, canonicalJson, leafHash, type StoredNode } from '@steward/ledger';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { isSqlite } from '../db/dialect.js';
import type { Tx } from '../services/context.js';

/** The log of events that belong to no org (scheduled gc, ledger key rotation). */
export const SYSTEM_LOG = '_system';

/** Version of the leaf encoding (docs/ledger-format.md): bump on any change to the entry's fields. */
export const ENTRY_VERSION = 1;

/** One audit event as the ledger records it: the leaf is canonicalJson of `LedgerEntry`. */
export interface LedgerEntry {
  v: typeof ENTRY_VERSION;
  /** The log's origin (also the first line of its checkpoints). */
  log: string;
  index: number;
  at: string;
  org: string | null;
  actor: { user: string; userId: string | null; tokenId: string | null };
  action: string;
  target: { type: string; id: string | null };
  model: string | null;
  details: Record<string, unknown>;
  requestId: string | null;
  client: string | null;
}

export interface EventToAppend {
  orgId: string | null;
  at: string;
  actor: { userId: string; userName: string; tokenId: string | null } | null;
  action: string;
  targetType: string;
  targetId: string | null;
  model: string | null;
  details: Record<string, unknown>;
  requestId: string | null;
  clientAddress: string | null;
}

type FrontierRow = [level: number, index: number, hashHex: string];

export function logIdOf(orgId: string | null): string {
  return orgId ?? SYSTEM_LOG;
}

export function originOf(ledgerName: string, logName: string): string {
  return `${ledgerName}/${logName}`;
}

export function parseFrontier(json: string): StoredNode[] {
  return (JSON.parse(json) as FrontierRow[]).map(([level, index, hash]) => ({ level, index, hash: Buffer.from(hash, 'hex') }));
}

function frontierJson(frontier: readonly StoredNode[]): string {
  return JSON.stringify(frontier.map((n): FrontierRow => [n.level, n.index, n.hash.toString('hex')]));
}

// Org names never change, so the id -> name lookup behind every entry is cached for the process.
const orgNames = new Map<string, string>();

async function orgName(trx: Tx, orgId: string): Promise<string> {
  let name = orgNames.get(orgId);
  if (name === undefined) {
    const row = await trx.selectFrom('orgs').select('name').where('id', '=', orgId).executeTakeFirstOrThrow();
    name = row.name;
    orgNames.set(orgId, name);
  }
  return name;
}

/** Drops undefined members and other values JSON would not keep, so the entry is canonical JSON. */
function plainJson(details: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(details)) as Record<string, unknown>;
}

/** The leaf of one event: hashed as canonicalJson of this (docs/ledger-format.md, "Event fields"). */
export function ledgerEntry(origin: string, index: number, org: string | null, event: EventToAppend): LedgerEntry {
  return {
    v: ENTRY_VERSION,
    log: origin,
    index,
    at: event.at,
    org,
    actor: event.actor ? { user: event.actor.userName, userId: event.actor.userId, tokenId: event.actor.tokenId } : { user: 'system', userId: null, tokenId: null },
    action: event.action,
    target: { type: event.targetType, id: event.targetId },
    model: event.model,
    details: plainJson(event.details),
    requestId: event.requestId,
    client: event.clientAddress,
  };
}

/**
 * Appends one event to its org's log inside the caller's transaction: the event row with its
 * canonical entry, every tree node the leaf completed, and the new frontier. O(log n) and no
 * recomputation. The head row is locked (Postgres) so concurrent appends to one log serialize;
 * SQLite has one writer anyway. If anything fails, the caller's change rolls back with it.
 */
export async function appendEvent(trx: Tx, ledgerName: string, event: EventToAppend, existingSeq?: number): Promise<{ logId: string; index: number }> {
  const logId = logIdOf(event.orgId);
  const org = event.orgId === null ? null : await orgName(trx, event.orgId);
  const sqlite = isSqlite(trx as unknown as Kysely<unknown>);
  const lockHead = () => {
    const q = trx.selectFrom('ledger_logs').select(['origin', 'size', 'frontier_json']).where('log_id', '=', logId);
    return (sqlite ? q : q.forUpdate()).executeTakeFirst();
  };
  let head = await lockHead();
  if (!head) {
    await trx
      .insertInto('ledger_logs')
      .values({ log_id: logId, origin: originOf(ledgerName, org ?? SYSTEM_LOG), size: 0, frontier_json: '[]', updated_at: event.at })
      .onConflict((oc) => oc.column('log_id').doNothing())
      .execute();
    head = await lockHead();
    if (!head) throw new Error(`ledger: could not create log ${logId}`);
  }
  const index = Number(head.size);
  const entry = ledgerEntry(head.origin, index, org, event);
  const text = canonicalJson(entry);
  const appended = appendToFrontier(parseFrontier(head.frontier_json), leafHash(Buffer.from(text, 'utf8')));
  const row = {
    org_id: event.orgId,
    actor_user_id: event.actor?.userId ?? null,
    actor_name: entry.actor.user,
    action: event.action,
    target_type: event.targetType,
    target_id: event.targetId,
    at: event.at,
    details_json: JSON.stringify(entry.details),
    request_id: event.requestId,
    log_id: logId,
    leaf_index: index,
    entry: text,
    model: event.model,
    token_id: event.actor?.tokenId ?? null,
    client_address: event.clientAddress,
  };
  // Events recorded before the ledger existed are adopted in place (backfillLedger), keeping their seq.
  if (existingSeq === undefined) await trx.insertInto('audit_events').values(row).execute();
  else await trx.updateTable('audit_events').set(row).where('seq', '=', existingSeq).execute();
  await trx
    .insertInto('ledger_nodes')
    .values(appended.newNodes.map((n) => ({ log_id: logId, level: n.level, idx: n.index, hash: n.hash.toString('hex') })))
    .execute();
  await trx
    .updateTable('ledger_logs')
    .set({ size: index + 1, frontier_json: frontierJson(appended.frontier), updated_at: event.at })
    .where('log_id', '=', logId)
    .execute();
  return { logId, index };
}

/**
 * Adopts audit events written before the ledger existed (migration 0003) into their logs, oldest
 * first, once, at boot. Their actor token and client address were not recorded then.
 */
export async function backfillLedger(db: Kysely<DB>, ledgerName: string): Promise<number> {
  let adopted = 0;
  for (;;) {
    const rows = await db.selectFrom('audit_events').selectAll().where('log_id', 'is', null).orderBy('seq').limit(500).execute();
    if (rows.length === 0) return adopted;
    await db.transaction().execute(async (trx) => {
      for (const r of rows) {
        const details = JSON.parse(r.details_json) as Record<string, unknown>;
        await appendEvent(
          trx,
          ledgerName,
          {
            orgId: r.org_id,
            at: r.at,
            actor: r.actor_user_id ? { userId: r.actor_user_id, userName: r.actor_name ?? r.actor_user_id, tokenId: null } : null,
            action: r.action,
            targetType: r.target_type,
            targetId: r.target_id,
            model: typeof details.model === 'string' ? details.model : null,
            details,
            requestId: r.request_id,
            clientAddress: null,
          },
          Number(r.seq),
        );
      }
    });
    adopted += rows.length;
  }
}
