import type { WebhookPayload } from '@steward/domain';
import type { LedgerEntry } from '../ledger/append.js';

/**
 * The body a receiver gets for one audit event, read from the ledger's canonical entry (what the
 * tree hashed), so a receiver can ask `steward audit proof <id>` for the same event. The client
 * address and request id stay in the ledger.
 */
export function webhookPayload(seq: number, entryText: string): string {
  const e = JSON.parse(entryText) as LedgerEntry;
  const payload: WebhookPayload = {
    id: seq,
    type: e.action,
    occurredAt: e.at,
    org: e.org ?? '',
    model: e.model,
    actor: { name: e.actor.user, userId: e.actor.userId },
    target: { type: e.target.type, id: e.target.id },
    details: e.details,
    ledger: { log: e.log, index: e.index },
  };
  return JSON.stringify(payload);
}
