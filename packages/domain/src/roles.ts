import type { Role } from './names.js';

/**
 * What each org role may do. One table, read by the server's authorizer and printed in docs/roles.md.
 * The approvals issue moves this to Cedar policies; until then this is the single source of truth.
 */
export const PERMISSIONS = {
  'org.read': ['viewer', 'contributor', 'maintainer', 'reviewer', 'governance-board', 'admin', 'auditor'],
  'model.read': ['viewer', 'contributor', 'maintainer', 'reviewer', 'governance-board', 'admin', 'auditor'],
  'blob.read': ['viewer', 'contributor', 'maintainer', 'reviewer', 'governance-board', 'admin', 'auditor'],
  'dataset.read': ['viewer', 'contributor', 'maintainer', 'reviewer', 'governance-board', 'admin', 'auditor'],
  'blob.write': ['contributor', 'maintainer', 'admin'],
  'version.push': ['contributor', 'maintainer', 'admin'],
  'dataset.register': ['contributor', 'maintainer', 'admin'],
  'version.rescan': ['contributor', 'maintainer', 'admin'],
  'model.update': ['maintainer', 'admin'],
  'scanner.configure': ['admin'],
  'ring.move': ['maintainer', 'admin'],
  'audit.read': ['auditor', 'admin'],
  // Subscriptions send the org's events to outside URLs, so only those who run releases manage them.
  'webhook.manage': ['maintainer', 'admin'],
  // The org's policy set governs maintainers, so only admins replace it.
  'policy.manage': ['admin'],
  // Storing an evaluation (a dry run needs only model.read).
  'policy.evaluate': ['contributor', 'maintainer', 'reviewer', 'governance-board', 'admin'],
  // An exception to a rule is a governance decision: reviewers and admins, never the pusher's role alone.
  'policy.waive': ['reviewer', 'governance-board', 'admin'],
  'check.report': ['contributor', 'maintainer', 'admin'],
  // Checkpoints, proofs and keys reveal hashes and sizes, not events: every member can witness the log.
  'ledger.verify': ['viewer', 'contributor', 'maintainer', 'reviewer', 'governance-board', 'admin', 'auditor'],
  // Server-wide: checked in the operator org (the bootstrap org, "default").
  'ledger.rotate_key': ['admin'],
  'user.manage': ['admin'],
  'token.manage_others': ['admin'],
  'gc.run': ['admin'],
  // The org signing key and the keys / CAs the org trusts (ADR 0012).
  'signing.manage': ['admin'],
  'version.sign': ['maintainer', 'admin'],
  'signature.add': ['contributor', 'maintainer', 'admin'],
  // Release rings (issue 5): asking is for those who ship; deciding is for reviewers and the board.
  'promotion.request': ['contributor', 'maintainer', 'admin'],
  'promotion.review': ['reviewer', 'governance-board', 'admin'],
  // Freezing stops every pointer move; configuring changes what a ring demands.
  'ring.freeze': ['admin'],
  'ring.configure': ['admin'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

/** The org created at bootstrap; its admins operate the server (ledger keys, the system log). */
export const OPERATOR_ORG = 'default';

export function roleAllows(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  viewer: 'Reads models, versions, datasets, lineage and ring history; pulls files.',
  contributor: 'Viewer rights, plus pushes model versions (creating models) and registers datasets.',
  maintainer: 'Contributor rights, plus edits model metadata, moves ring pointers (including rollback) and manages webhooks.',
  reviewer: 'Viewer rights, plus reviews promotion requests (approve, reject, request changes) and grants policy waivers.',
  'governance-board': 'Reviewer rights; the approvals that high-risk production promotions require, and where overdue requests escalate.',
  auditor: 'Viewer rights, plus reads the audit log.',
  admin: 'Every right in the org, including users, other users\' tokens and garbage collection.',
};
