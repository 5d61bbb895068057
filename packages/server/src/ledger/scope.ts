import { OPERATOR_ORG, type Permission, StewardError } from '@steward/domain';
import { authorize, type OrgScope, type ServiceContext } from '../services/context.js';
import { SYSTEM_LOG } from './append.js';

export interface LogScope extends OrgScope {
  logId: string;
}

/**
 * The log a ledger request reads: the org's own, or (`log=system`, operator org only) the log of
 * events that belong to no org.
 */
export function authorizeLog(ctx: ServiceContext, org: string, log: 'org' | 'system', permission: Permission): LogScope {
  const scope = authorize(ctx, org, permission);
  if (log === 'org') return { ...scope, logId: scope.orgId };
  if (org !== OPERATOR_ORG) throw new StewardError('bad_request', `the system log is read through the operator org "${OPERATOR_ORG}", not "${org}"`, { field: 'log' });
  return { ...scope, logId: SYSTEM_LOG };
}
