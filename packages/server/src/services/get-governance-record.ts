import { StewardError } from '@steward/domain';
import type { GovernanceRecord } from '@steward/policy';
import { authorize, type ServiceContext } from './context.js';
import { buildGovernanceRecord, recordSubject } from '../policy/governance-record.js';
import { orgRings } from '../policy/evaluations.js';
import { signatureInfosForVersion } from './signature-infos.js';

/** The governance record policies judge for a version (and a ring): what a rule author writes against. */
export async function getGovernanceRecord({ ctx, input }: { ctx: ServiceContext; input: { org: string; model: string; ref: string; ring: string | null } }): Promise<GovernanceRecord> {
  const scope = authorize(ctx, input.org, 'model.read', { model: input.model });
  const subject = await recordSubject(ctx.db, scope, input.model, input.ref);
  if (input.ring !== null && !(await orgRings(ctx.db, scope.orgId)).includes(input.ring)) throw new StewardError('not_found', `ring "${input.ring}" not found in org "${input.org}"`);
  return buildGovernanceRecord(ctx.db, subject, { targetRing: input.ring, now: ctx.now(), signatures: await signatureInfosForVersion(ctx.db, scope.orgId, subject.version.id) });
}
