import type { AuditEvent } from '@steward/domain';
import type { Selectable } from 'kysely';
import type { AuditEventsTable } from '../db/schema.js';
import type { LedgerEntry } from '../ledger/append.js';
import { audit, authorize, decodeCursor, encodeCursor, parseJson, type ServiceContext } from './context.js';

const isCursor = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

export interface AuditSearch {
  org: string;
  limit: number;
  cursor?: string | undefined;
  actor?: string | undefined;
  action?: string | undefined;
  model?: string | undefined;
  since?: string | undefined;
}

/**
 * An event as the ledger recorded it: read from the canonical entry (what the tree hashed), not
 * from the search columns beside it, so an edited column cannot change what an auditor is shown.
 */
export function auditEventView(r: Pick<Selectable<AuditEventsTable>, 'seq' | 'leaf_index' | 'entry' | 'at' | 'actor_name' | 'token_id' | 'action' | 'target_type' | 'target_id' | 'model' | 'request_id' | 'client_address' | 'details_json'>): AuditEvent {
  if (r.entry) {
    const e = JSON.parse(r.entry) as LedgerEntry;
    return {
      seq: Number(r.seq),
      index: e.index,
      at: e.at,
      actor: e.actor.user,
      tokenId: e.actor.tokenId,
      action: e.action,
      targetType: e.target.type,
      targetId: e.target.id,
      model: e.model,
      requestId: e.requestId,
      client: e.client,
      details: e.details,
      entry: r.entry,
    };
  }
  return {
    seq: Number(r.seq),
    index: r.leaf_index === null ? null : Number(r.leaf_index),
    at: r.at,
    actor: r.actor_name,
    tokenId: r.token_id,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    model: r.model,
    requestId: r.request_id,
    client: r.client_address,
    details: parseJson<Record<string, unknown>>(r.details_json, {}),
    entry: null,
  };
}

/** Searches the org's audit events, newest first. Reading the audit log is itself recorded. */
export async function listAuditEvents({ ctx, input }: { ctx: ServiceContext; input: AuditSearch }): Promise<{ items: AuditEvent[]; nextCursor: string | null }> {
  const scope = authorize(ctx, input.org, 'audit.read');
  const before = decodeCursor(input.cursor, isCursor);
  let q = ctx.db.selectFrom('audit_events').selectAll().where('org_id', '=', scope.orgId).orderBy('seq', 'desc').limit(input.limit + 1);
  if (before !== undefined) q = q.where('seq', '<', before);
  if (input.actor) q = q.where('actor_name', '=', input.actor);
  if (input.action) q = input.action.endsWith('*') ? q.where('action', 'like', `${input.action.slice(0, -1).replace(/[%_]/g, '')}%`) : q.where('action', '=', input.action);
  if (input.model) q = q.where('model', '=', input.model.includes('/') ? input.model : `${input.org}/${input.model}`);
  if (input.since) q = q.where('at', '>=', new Date(input.since).toISOString());
  const rows = await q.execute();
  const page = rows.slice(0, input.limit);
  const filters = Object.fromEntries(Object.entries({ actor: input.actor, action: input.action, model: input.model, since: input.since }).filter(([, v]) => v !== undefined));
  await audit(ctx.db, ctx, { orgId: scope.orgId, action: 'audit.searched', targetType: 'ledger', targetId: scope.orgId, details: { filters, returned: page.length } });
  return {
    items: page.map(auditEventView),
    nextCursor: rows.length > input.limit ? encodeCursor(Number(page.at(-1)!.seq)) : null,
  };
}
