import type { AuditEvent } from '@steward/domain';
import { authorize, decodeCursor, encodeCursor, parseJson, type ServiceContext } from './context.js';

const isCursor = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** The org's audit events, newest first. (The tamper-evident ledger over these comes with the ledger issue.) */
export async function listAuditEvents({ ctx, input }: { ctx: ServiceContext; input: { org: string; limit: number; cursor?: string | undefined } }): Promise<{ items: AuditEvent[]; nextCursor: string | null }> {
  const scope = authorize(ctx, input.org, 'audit.read');
  const before = decodeCursor(input.cursor, isCursor);
  let q = ctx.db.selectFrom('audit_events').selectAll().where('org_id', '=', scope.orgId).orderBy('seq', 'desc').limit(input.limit + 1);
  if (before !== undefined) q = q.where('seq', '<', before);
  const rows = await q.execute();
  const page = rows.slice(0, input.limit);
  return {
    items: page.map((r) => ({
      seq: Number(r.seq),
      at: r.at,
      actor: r.actor_name,
      action: r.action,
      targetType: r.target_type,
      targetId: r.target_id,
      details: parseJson<Record<string, unknown>>(r.details_json, {}),
    })),
    nextCursor: rows.length > input.limit ? encodeCursor(Number(page.at(-1)!.seq)) : null,
  };
}
