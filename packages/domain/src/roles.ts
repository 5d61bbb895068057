import type { Role } from './names.js';

/**
 * The actions Steward authorizes, each with what it covers. Who may do each is decided by the
 * server's Cedar policies (packages/server/authz/, docs/authorization.md, ADR 0015): the one source of
 * truth for org roles, model roles, external contributors and token restrictions. The Cedar schema
 * declares exactly these actions (checked at boot), each in one token scope.
 */
export const PERMISSIONS = {
  'org.read': 'See the org: members, own tokens, policy sets, signing keys, trusted signers, allowlist, check runs.',
  'model.read': 'Read models, versions, lineage, scans, policy results, signatures, provenance, ring history; export.',
  'blob.read': 'Download file contents.',
  'dataset.read': 'Read datasets and their PII reports.',
  // Checkpoints, proofs and keys reveal hashes and sizes, not events: every member can witness the log.
  'ledger.verify': 'Ledger checkpoints, consistency proofs and keys.',
  'audit.read': 'Search and export the audit log; inclusion proofs of events.',
  'blob.write': 'Upload file contents (before a push).',
  'version.push': 'Push model versions (creating the model on first push).',
  'dataset.register': 'Register datasets and attach PII reports.',
  'version.rescan': 'Scan a version again.',
  'model.update': 'Edit model metadata.',
  'ring.move': 'Move ring pointers, including rollback.',
  // Subscriptions send the org's events to outside URLs, so only those who run releases manage them.
  'webhook.manage': 'Webhook subscriptions and deliveries.',
  // Storing an evaluation (a dry run needs only model.read).
  'policy.evaluate': 'Store a policy evaluation of a version.',
  'check.report': 'Report a CI check run.',
  'version.sign': 'Sign versions and provenance with the org key.',
  'signature.add': 'Attach a signature made elsewhere.',
  // Release rings: asking is for those who ship; deciding is for reviewers and the board.
  'promotion.request': 'Ask for a version to enter a ring.',
  // An exception to a rule is a governance decision: reviewers and admins, never the pusher's role alone.
  'policy.waive': 'Grant and revoke policy waivers.',
  'promotion.review': 'Approve, reject or request changes on promotion requests.',
  'scanner.configure': 'The scanner allowlist.',
  // The org's policy set governs maintainers, so only admins replace it.
  'policy.manage': 'Push the org\'s policy set.',
  // Server-wide: checked in the operator org (the bootstrap org, "default").
  'ledger.rotate_key': 'Rotate the ledger signing key.',
  'user.manage': 'Add users to the org with a role.',
  'token.manage_others': 'Issue, list and revoke other members\' tokens.',
  'gc.run': 'Garbage-collect unreferenced blobs.',
  // The org signing key and the keys / CAs the org trusts (ADR 0012).
  'signing.manage': 'The org signing key and trusted signers.',
  // Freezing stops every pointer move; configuring changes what a ring demands.
  'ring.freeze': 'Freeze and unfreeze rings or models.',
  'ring.configure': 'Set what entering a ring takes.',
  'model.grant': 'Grant and revoke per-model roles.',
  // Production monitoring (issue 14): sending telemetry is all a serving process's token should do.
  'telemetry.write': 'Send telemetry (prediction records, OTLP metrics) of the model\'s deployments.',
  'deployment.manage': 'Register deployments and choose their drift reference.',
  // Acknowledging or silencing an alert changes who gets paged: those who run releases.
  'alert.manage': 'Acknowledge and silence alerts.',
} as const satisfies Record<string, string>;

export type Permission = keyof typeof PERMISSIONS;

/** The org created at bootstrap; its admins operate the server (ledger keys, the system log). */
export const OPERATOR_ORG = 'default';

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  viewer: 'Reads models, versions, datasets, lineage and ring history; pulls files.',
  contributor: 'Viewer rights, plus pushes model versions (creating models) and registers datasets.',
  maintainer: 'Contributor rights, plus edits model metadata, moves ring pointers (including rollback) and manages webhooks.',
  reviewer: 'Viewer rights, plus reviews promotion requests (approve, reject, request changes) and grants policy waivers.',
  'governance-board': 'Reviewer rights; the approvals that high-risk production promotions require, and where overdue requests escalate.',
  auditor: 'Viewer rights, plus reads the audit log.',
  admin: 'Every right in the org, including users, other users\' tokens and garbage collection.',
  external: 'No org-wide rights: pushes versions of the models granted to them (per-model roles) and places them in ring sandbox, nothing more.',
};
