/**
 * docs/authorization.md, generated: which action (and on what) each API route authorizes, and the
 * role x action table obtained by asking the shipped Cedar policies. `node scripts/gen-authz-docs.js`
 * writes it; a test fails when it is stale, and the route matrix test asserts the server against it.
 */
import { PERMISSIONS, type ModelRole, type Permission, RoleSchema, type Role, TokenScopeSchema } from '@steward/domain';
import type { RouteDef } from '../http/route.js';
import { type CedarAuthorizer, cedarAuthorizer, schemaActions } from './cedar.js';

/** What a route authorizes: the action, and whether on the org, the model in the URL, or one of its rings. */
export interface RouteAuthz {
  action: Permission | null;
  on: 'org' | 'model' | 'ring';
  /** Checked first, on the org (the route needs it to find what `action` is about). */
  pre?: Permission;
  note?: string;
}

/** Every authenticated route by operationId. A route missing here fails the route matrix test. */
export const ROUTE_ACTIONS: Record<string, RouteAuthz> = {
  whoAmI: { action: null, on: 'org', note: 'any authenticated user' },
  listOrgs: { action: null, on: 'org', note: 'any authenticated user; lists only their orgs' },
  listUsers: { action: 'org.read', on: 'org' },
  createUser: { action: 'user.manage', on: 'org' },
  listTokens: { action: 'org.read', on: 'org', note: 'others\' tokens too with token.manage_others' },
  createToken: { action: 'org.read', on: 'org', note: 'for another user: token.manage_others; `ci`: token.manage_others' },
  revokeToken: { action: 'org.read', on: 'org', note: 'others\' tokens: token.manage_others' },
  findMissingBlobs: { action: 'blob.write', on: 'org' },
  uploadBlob: { action: 'blob.write', on: 'org' },
  downloadBlob: { action: 'blob.read', on: 'org' },
  listModels: { action: 'model.read', on: 'org' },
  getModel: { action: 'model.read', on: 'model' },
  updateModel: { action: 'model.update', on: 'model' },
  pushVersion: { action: 'version.push', on: 'model' },
  listVersions: { action: 'model.read', on: 'model' },
  getVersion: { action: 'model.read', on: 'model' },
  getLineage: { action: 'model.read', on: 'model' },
  registerDataset: { action: 'dataset.register', on: 'org' },
  listDatasets: { action: 'dataset.read', on: 'org' },
  getDataset: { action: 'dataset.read', on: 'org' },
  listRingPointers: { action: 'model.read', on: 'model' },
  moveRing: { action: 'ring.move', on: 'ring' },
  rollbackRing: { action: 'ring.move', on: 'ring' },
  ringHistory: { action: 'model.read', on: 'model' },
  getScan: { action: 'model.read', on: 'model' },
  rescanVersion: { action: 'version.rescan', on: 'model' },
  listAllowlist: { action: 'org.read', on: 'org' },
  addAllowlistEntry: { action: 'scanner.configure', on: 'org' },
  removeAllowlistEntry: { action: 'scanner.configure', on: 'org' },
  runGc: { action: 'gc.run', on: 'org' },
  listAuditEvents: { action: 'audit.read', on: 'org' },
  getLedgerCheckpoint: { action: 'ledger.verify', on: 'org' },
  listLedgerEntries: { action: 'audit.read', on: 'org' },
  listLeafHashes: { action: 'ledger.verify', on: 'org' },
  getInclusionProof: { action: 'audit.read', on: 'org' },
  getConsistencyProof: { action: 'ledger.verify', on: 'org' },
  listLedgerKeys: { action: 'ledger.verify', on: 'org' },
  rotateLedgerKey: { action: 'ledger.rotate_key', on: 'org', note: 'in the operator org' },
  checkLedgerIntegrity: { action: 'ledger.verify', on: 'org' },
  exportAudit: { action: 'audit.read', on: 'org' },
  pushPolicySet: { action: 'policy.manage', on: 'org' },
  listPolicySets: { action: 'org.read', on: 'org' },
  getActivePolicySet: { action: 'org.read', on: 'org' },
  getPolicySet: { action: 'org.read', on: 'org' },
  evaluateVersionPolicy: { action: 'policy.evaluate', on: 'model', note: 'a dry run (`record: false`): model.read' },
  listPolicyEvaluations: { action: 'model.read', on: 'model' },
  getGovernanceRecord: { action: 'model.read', on: 'model' },
  createWaiver: { action: 'policy.waive', on: 'model' },
  listWaivers: { action: 'model.read', on: 'model' },
  revokeWaiver: { action: 'policy.waive', on: 'org' },
  reportCheckRun: { action: 'check.report', on: 'model', note: 'the model named in the body' },
  listCheckRuns: { action: 'org.read', on: 'org' },
  attachPiiReport: { action: 'dataset.register', on: 'org' },
  getPiiReport: { action: 'dataset.read', on: 'org' },
  listSigningKeys: { action: 'org.read', on: 'org' },
  getSigningKey: { action: 'org.read', on: 'org' },
  createSigningKey: { action: 'signing.manage', on: 'org' },
  rotateSigningKey: { action: 'signing.manage', on: 'org' },
  listTrustedSigners: { action: 'org.read', on: 'org' },
  addTrustedSigner: { action: 'signing.manage', on: 'org' },
  removeTrustedSigner: { action: 'signing.manage', on: 'org' },
  listSignatures: { action: 'model.read', on: 'model' },
  addSignature: { action: 'signature.add', on: 'model' },
  signVersion: { action: 'version.sign', on: 'model' },
  getSignatureBundle: { action: 'model.read', on: 'model' },
  signProvenance: { action: 'version.sign', on: 'model' },
  getProvenance: { action: 'model.read', on: 'model' },
  getProvenanceBundle: { action: 'model.read', on: 'model' },
  exportVersion: { action: 'model.read', on: 'model' },
  exportChangelog: { action: 'model.read', on: 'model' },
  createWebhook: { action: 'webhook.manage', on: 'org' },
  listWebhooks: { action: 'webhook.manage', on: 'org' },
  getWebhook: { action: 'webhook.manage', on: 'org' },
  updateWebhook: { action: 'webhook.manage', on: 'org' },
  removeWebhook: { action: 'webhook.manage', on: 'org' },
  rotateWebhookSecret: { action: 'webhook.manage', on: 'org' },
  pingWebhook: { action: 'webhook.manage', on: 'org' },
  listWebhookDeliveries: { action: 'webhook.manage', on: 'org' },
  getWebhookDelivery: { action: 'webhook.manage', on: 'org' },
  replayWebhookDelivery: { action: 'webhook.manage', on: 'org' },
  listModelRoles: { action: 'model.read', on: 'model' },
  grantModelRole: { action: 'model.grant', on: 'model' },
  revokeModelRole: { action: 'model.grant', on: 'model' },
  listRingCriteria: { action: 'org.read', on: 'org' },
  updateRingCriteria: { action: 'ring.configure', on: 'org' },
  freezeRing: { action: 'ring.freeze', on: 'org' },
  unfreezeRing: { action: 'ring.freeze', on: 'org' },
  freezeModel: { action: 'ring.freeze', on: 'model' },
  unfreezeModel: { action: 'ring.freeze', on: 'model' },
  createPromotionRequest: { action: 'promotion.request', on: 'ring', note: 'the ring named in the body' },
  listPromotionRequests: { action: 'model.read', on: 'org' },
  getPromotionRequest: { action: 'model.read', on: 'org' },
  reviewPromotionRequest: { action: 'promotion.review', on: 'ring', pre: 'org.read', note: 'the request\'s model and ring' },
  withdrawPromotionRequest: { action: 'promotion.request', on: 'org', note: 'and only the requester' },
  ingestTelemetry: { action: 'telemetry.write', on: 'model' },
  ingestOtlpMetrics: { action: 'telemetry.write', on: 'model', note: 'the model named by each resource\'s steward.model attribute' },
  registerDeployment: { action: 'deployment.manage', on: 'model' },
  listDeployments: { action: 'model.read', on: 'model' },
  getMonitorSummary: { action: 'model.read', on: 'model' },
  getDrift: { action: 'model.read', on: 'model' },
  listTelemetrySamples: { action: 'model.read', on: 'model' },
  listAlerts: { action: 'model.read', on: 'org', note: 'alerts of models the user may read' },
  acknowledgeAlert: { action: 'alert.manage', on: 'model', pre: 'org.read', note: 'the alert\'s model' },
  silenceAlert: { action: 'alert.manage', on: 'model', pre: 'org.read', note: 'the alert\'s model' },
  listIncidents: { action: 'org.read', on: 'org' },
  attachDatasetProfile: { action: 'dataset.register', on: 'org' },
  getMetrics: { action: 'org.read', on: 'org', note: 'every org of the token\'s user; models it may read' },
  listDecisions: { action: 'model.read', on: 'model' },
};

/** Columns of the table: org roles in this order. */
export const TABLE_ROLES: readonly Role[] = RoleSchema.options;

const GRANTS_ASCENDING: readonly ModelRole[] = ['contributor', 'maintainer', 'owner'];

/**
 * One cell: "✓" (allowed on anything in the org), "–" (never), or "model R" (allowed on a model, or
 * its rings, where the user holds model role R or higher), suffixed " (sandbox)" when only ring
 * sandbox is allowed. Always from an unrestricted token.
 */
export function tableCell(authorizer: CedarAuthorizer, role: Role, action: Permission): string {
  const base = {
    action,
    org: { id: 'org', name: 'org' },
    token: { id: 'token', ci: false, scopes: TokenScopeSchema.options, models: null },
  };
  const ask = (grant: ModelRole | null, resource: { model?: string; ring?: string }) =>
    authorizer.decide({ ...base, user: { id: 'user', name: 'user', role, pushesModels: grant !== null }, modelRole: grant, resource }).decision === 'allow';
  const everywhere = (grant: ModelRole | null) => ask(grant, {}) && ask(grant, { model: 'm' }) && ask(grant, { model: 'm', ring: 'beta' }) && ask(grant, { model: 'm', ring: 'sandbox' });
  if (everywhere(null)) return '✓';
  for (const g of GRANTS_ASCENDING) {
    if (ask(g, { model: 'm' }) || ask(g, { model: 'm', ring: 'beta' })) return `model ${g}`;
    if (ask(g, { model: 'm', ring: 'sandbox' })) return `model ${g} (sandbox)`;
  }
  // Org-level rights that come with a grant on some model (blob uploads for pushers).
  for (const g of GRANTS_ASCENDING) if (ask(g, {})) return `any model ${g}`;
  return '–';
}

/** Parses a cell back: whether a user with `role` and `grant` on the route's model may, on `ring`. */
export function cellAllows(cell: string, grant: ModelRole | null, ring: string | null, modelScoped: boolean): boolean {
  if (cell === '✓') return true;
  if (cell === '–') return false;
  const m = /^(any )?model (owner|maintainer|contributor)( \(sandbox\))?$/.exec(cell);
  if (!m) throw new Error(`unknown cell "${cell}"`);
  if (grant === null) return false;
  if (GRANTS_ASCENDING.indexOf(grant) < GRANTS_ASCENDING.indexOf(m[2] as ModelRole)) return false;
  if (m[1]) return true;
  if (!modelScoped) return false;
  return m[3] ? ring === 'sandbox' : true;
}

export function renderAuthorizationMarkdown(routes: readonly RouteDef[], authorizer: CedarAuthorizer = cedarAuthorizer()): string {
  const { scopes } = schemaActions(authorizer.source.schema);
  const actions = Object.keys(PERMISSIONS) as Permission[];
  const L: string[] = [
    '# Authorization',
    '',
    '<!-- Generated by `node scripts/gen-authz-docs.js` from the Cedar policies and the route table. Do not edit by hand. -->',
    '',
    'Every API request is authorized by [Cedar](https://www.cedarpolicy.com/) policies (ADR 0015): the schema',
    '`packages/server/authz/steward.cedarschema` and the default policy set `packages/server/authz/policies/*.cedar`,',
    'validated against each other at boot and in the tests. Default deny; a `forbid` wins over any `permit`.',
    '',
    '- **Org roles** (`steward users create NAME --role R`) give rights across one org. A user who is not a member',
    '  of an org gets 404 for everything in it, so org names do not leak.',
    '- **Model roles** (`steward models grant ORG/NAME USER --role R`): `owner` > `maintainer` > `contributor`, on one',
    '  model and its rings, whatever the org role. Whoever creates a model (first push) becomes its owner.',
    '  Model owners and org admins grant and revoke them.',
    '- **External contributors** are members with org role `external`: no org-wide rights at all; they push',
    '  versions of the models they are granted (uploading blobs for them), read those models, and move',
    '  or request promotion to ring `sandbox` only (policies `external-push-only`, `external-sandbox-only`).',
    '- **Token scopes** (`steward tokens create --scope S ...`) narrow a token to groups of actions; they never',
    '  add rights. `read`: reading anything, including the audit log where the role allows. `write`:',
    '  changing models, versions, rings, datasets, webhooks, signatures. `review`: waivers and promotion',
    '  reviews. `admin`: org administration. A token without `--scope` has every scope. A narrowed token',
    '  issues only tokens at most as narrow.',
    '- **Model-restricted tokens** (`--model ORG/NAME ...`) act only on those models and their rings; of the org',
    '  they may read members, datasets, blobs and the ledger, and upload blobs (policy `token-models`).',
    '- **CI tokens** (`--ci`, issued by org admins) are marked for rings that accept promotions from CI only.',
    '',
    'A denial answers 403 `forbidden` with the decision in `error.details.decision`: the action, the',
    'Cedar resource, the policies that decided (the `forbid` policies that matched), or "no permit policy',
    'matched"; the server logs it (`authorization denied`, with user, role and token id).',
    '',
    '## Role x action',
    '',
    '`✓` allowed anywhere in the org; `model R`: on a model (and its rings) where the user holds model role',
    'R or higher; `(sandbox)`: ring `sandbox` only; `any model R`: org-wide, for users holding R on some model;',
    '`–` never. Columns are org roles.',
    '',
    `| action | scope | ${TABLE_ROLES.join(' | ')} |`,
    `|---|---|${TABLE_ROLES.map(() => '---').join('|')}|`,
  ];
  for (const a of actions) L.push(`| \`${a}\` | ${scopes[a] ?? '?'} | ${TABLE_ROLES.map((r) => tableCell(authorizer, r, a)).join(' | ')} |`);
  L.push('', '## Routes', '', 'What each API route authorizes (`on`: the org, the model in the URL, or the ring of that model).', '', '| route | action | on | note |', '|---|---|---|---|');
  for (const r of routes) {
    if (r.auth === false) continue;
    const a = ROUTE_ACTIONS[r.operationId];
    L.push(`| \`${r.method} ${r.url}\` | ${a ? (a.action ? `${a.pre ? `\`${a.pre}\`, then ` : ''}\`${a.action}\`` : 'none') : '**unclassified**'} | ${a?.on ?? ''} | ${a?.note ?? ''} |`);
  }
  L.push('', '## Policies', '');
  for (const [id, file] of Object.entries(authorizer.source.files)) L.push(`- \`${id}\` (${file})`);
  return L.join('\n') + '\n';
}

/** Parses the role x action table of docs/authorization.md: action -> role -> cell. */
export function parseRoleTable(markdown: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  const lines = markdown.split('\n');
  const head = lines.findIndex((l) => l.startsWith('| action | scope |'));
  if (head < 0) throw new Error('no role x action table');
  const roles = lines[head]!.split('|').slice(3, -1).map((s) => s.trim());
  for (const line of lines.slice(head + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line.split('|').slice(1, -1).map((s) => s.trim());
    const action = cells[0]!.replace(/`/g, '');
    out.set(action, new Map(roles.map((r, i) => [r, cells[i + 2]!])));
  }
  return out;
}

