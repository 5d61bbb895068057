import { waiverExpiry } from '@steward/policy';
import type { PolicyWaiver } from '@steward/domain';
import type { PolicyWaiversTable } from '../db/schema.js';

export function waiverView(w: PolicyWaiversTable, names: { model: string; version: string }, now: Date): PolicyWaiver {
  return {
    id: w.id,
    model: names.model,
    version: names.version,
    ruleId: w.rule_id,
    reason: w.reason,
    approver: w.approver,
    expires: w.expires,
    createdAt: w.created_at,
    createdBy: w.created_by,
    revokedAt: w.revoked_at,
    revokedBy: w.revoked_by,
    active: w.revoked_at === null && waiverExpiry({ ruleId: w.rule_id, reason: w.reason, approver: w.approver, expires: w.expires }) > now.getTime(),
  };
}
