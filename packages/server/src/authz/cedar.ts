/**
 * The Cedar engine behind `authorize` (ADR 0015): the schema and the default policy set ship as
 * text files in packages/server/authz/ (beside src/ and dist/, like the policy library's YAML), are
 * validated against each other and against PERMISSIONS, and are pre-parsed into the WASM module
 * once, the first time anything is authorized (the server does it at boot). Decisions take the
 * pre-parsed path (`statefulIsAuthorized`): no JSON re-parsing of the schema or policies per call.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import './v8-flags.js';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { PERMISSIONS, type Permission } from '@steward/domain';

export const AUTHZ_DIR = fileURLToPath(new URL('../../authz/', import.meta.url));

export interface PolicySource {
  schema: string;
  /** Policy id (its `@id` annotation) -> policy text. */
  policies: Record<string, string>;
  /** Policy id -> the file it came from (relative to the authz folder). */
  files: Record<string, string>;
}

export class PolicyLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyLoadError';
  }
}

function errorsText(errors: { message: string; help?: string | null }[]): string {
  return errors.map((e) => e.message + (e.help ? ` (${e.help})` : '')).join('; ');
}

/** Reads the schema and every `policies/*.cedar` file (in name order), keyed by each policy's `@id`. */
export function loadPolicySource(dir: string = AUTHZ_DIR): PolicySource {
  const schema = fs.readFileSync(path.join(dir, 'steward.cedarschema'), 'utf8');
  const policies: Record<string, string> = {};
  const files: Record<string, string> = {};
  const policyDir = path.join(dir, 'policies');
  for (const name of fs.readdirSync(policyDir).filter((f) => f.endsWith('.cedar')).sort()) {
    const text = fs.readFileSync(path.join(policyDir, name), 'utf8');
    const parts = cedar.policySetTextToParts(text);
    if (parts.type !== 'success') throw new PolicyLoadError(`policies/${name}: ${errorsText(parts.errors)}`);
    if (parts.policy_templates.length > 0) throw new PolicyLoadError(`policies/${name}: templates are not supported`);
    for (const p of parts.policies) {
      const json = cedar.policyToJson(p);
      if (json.type !== 'success') throw new PolicyLoadError(`policies/${name}: ${errorsText(json.errors)}`);
      const id = json.json.annotations?.id;
      if (!id) throw new PolicyLoadError(`policies/${name}: every policy needs an @id("...") annotation: ${p.slice(0, 80)}`);
      if (policies[id] !== undefined) throw new PolicyLoadError(`policies/${name}: policy id "${id}" is also used in ${files[id]}`);
      policies[id] = p;
      files[id] = `policies/${name}`;
    }
  }
  return { schema, policies, files };
}

/** The actions the schema declares, without the scope groups. */
export function schemaActions(schema: string): { actions: string[]; scopes: Record<string, string> } {
  const json = cedar.schemaToJson(schema);
  if (json.type !== 'success') throw new PolicyLoadError(`steward.cedarschema: ${errorsText(json.errors)}`);
  const ns = json.json[''];
  if (!ns) throw new PolicyLoadError('steward.cedarschema: expected the empty namespace');
  const actions: string[] = [];
  const scopes: Record<string, string> = {};
  for (const [name, def] of Object.entries(ns.actions)) {
    if (name.startsWith('scope:')) continue;
    actions.push(name);
    const groups = (def.memberOf ?? []).map((g) => g.id).filter((g) => g.startsWith('scope:'));
    if (groups.length === 1) scopes[name] = groups[0]!.slice('scope:'.length);
  }
  return { actions, scopes };
}

/**
 * Problems with a policy source: schema parse errors, policies that do not validate against the
 * schema (strict mode), actions missing from or unknown to PERMISSIONS, actions in no token scope.
 */
export function validatePolicySource(src: PolicySource): string[] {
  const problems: string[] = [];
  const { actions, scopes } = schemaActions(src.schema);
  for (const p of Object.keys(PERMISSIONS)) if (!actions.includes(p)) problems.push(`steward.cedarschema: PERMISSIONS action "${p}" is not declared`);
  for (const a of actions) {
    if (!Object.hasOwn(PERMISSIONS, a)) problems.push(`steward.cedarschema: action "${a}" is not in PERMISSIONS`);
    if (!scopes[a]) problems.push(`steward.cedarschema: action "${a}" must be in exactly one "scope:*" group`);
  }
  const v = cedar.validate({ schema: src.schema, policies: { staticPolicies: src.policies }, validationSettings: { mode: 'strict' } });
  if (v.type !== 'success') problems.push(...v.errors.map((e) => `validation: ${e.message}`));
  else {
    for (const e of v.validationErrors) problems.push(`${src.files[e.policyId] ?? ''} policy "${e.policyId}": ${e.error.message}`);
    for (const e of v.validationWarnings) problems.push(`${src.files[e.policyId] ?? ''} policy "${e.policyId}" (warning): ${e.error.message}`);
  }
  return problems;
}

type Uid = { type: string; id: string };
const ent = (type: string, id: string): { __entity: Uid } => ({ __entity: { type, id } });

/** What `authorize` knows about a request, in Steward's terms. */
export interface AuthzRequest {
  action: Permission;
  org: { id: string; name: string };
  user: { id: string; name: string; role: string; pushesModels: boolean };
  /** The principal's per-model role on `resource.model`, if any. */
  modelRole: 'owner' | 'maintainer' | 'contributor' | null;
  resource: { model?: string | undefined; ring?: string | undefined };
  token: { id: string; ci: boolean; scopes: readonly string[]; models: readonly string[] | null };
}

export interface AuthzDecision {
  decision: 'allow' | 'deny';
  action: Permission;
  /** The Cedar resource: Org::"<id>", Model::"<org id>/<name>" or Ring::"<org id>/<name>/<ring>". */
  resource: string;
  /** What the resource is in names: org, model, ring. */
  target: { org: string; model?: string; ring?: string };
  /** The policies that decided: for a deny, the forbid policies that matched, or none. */
  policies: string[];
  /** Why, in words: "forbidden by ..." or "no permit policy matched". */
  reason: string;
  /** Policies that failed to evaluate (they count as not matching; none are expected). */
  errors: string[];
}

const ALL_SCOPES = ['read', 'write', 'review', 'admin'];

export class CedarAuthorizer {
  private static next = 0;
  private readonly setId: string;
  private readonly schemaId: string;
  readonly source: PolicySource;

  constructor(source: PolicySource) {
    const problems = validatePolicySource(source);
    if (problems.length > 0) throw new PolicyLoadError(`authorization policies do not validate:\n  ${problems.join('\n  ')}`);
    this.source = source;
    const n = CedarAuthorizer.next++;
    this.setId = `steward-${n}`;
    this.schemaId = `steward-schema-${n}`;
    const s = cedar.preparseSchema(this.schemaId, source.schema);
    if (s.type !== 'success') throw new PolicyLoadError(`steward.cedarschema: ${errorsText(s.errors)}`);
    const p = cedar.preparsePolicySet(this.setId, { staticPolicies: source.policies });
    if (p.type !== 'success') throw new PolicyLoadError(`policies: ${errorsText(p.errors)}`);
  }

  /**
   * Decisions by everything they depend on: the policies never name users or tokens, so the
   * principal's and token's ids are left out of the key (a hit costs a string join, not a WASM call).
   */
  private readonly memo = new Map<string, AuthzDecision>();

  decide(req: AuthzRequest): AuthzDecision {
    const key = [req.action, req.org.id, req.org.name, req.user.role, req.user.pushesModels, req.modelRole, req.resource.model, req.resource.ring, req.token.ci, req.token.scopes.join(','), req.token.models === null ? '*' : `[${req.token.models.join('\n')}]`].join('\u0000');
    const hit = this.memo.get(key);
    if (hit) return hit;
    const d = this.evaluate(req);
    if (this.memo.size >= 10_000) this.memo.clear();
    this.memo.set(key, d);
    return d;
  }

  private evaluate(req: AuthzRequest): AuthzDecision {
    const orgId = req.org.id;
    const user = ent('User', req.user.id);
    const entities: cedar.EntityJson[] = [
      { uid: { type: 'Org', id: orgId }, attrs: {}, parents: [] },
      { uid: { type: 'User', id: req.user.id }, attrs: { name: req.user.name, org: ent('Org', orgId), pushesModels: req.user.pushesModels }, parents: [{ type: 'Role', id: req.user.role }] },
    ];
    const modelId = (name: string) => `${orgId}/${name}`;
    let resource: Uid = { type: 'Org', id: orgId };
    const target: AuthzDecision['target'] = { org: req.org.name };
    if (req.resource.model !== undefined) {
      const id = modelId(req.resource.model);
      const role = req.modelRole;
      entities.push({
        uid: { type: 'Model', id },
        attrs: {
          name: req.resource.model,
          owners: role === 'owner' ? [user] : [],
          maintainers: role === 'maintainer' ? [user] : [],
          contributors: role === 'contributor' ? [user] : [],
        },
        parents: [{ type: 'Org', id: orgId }],
      });
      resource = { type: 'Model', id };
      target.model = req.resource.model;
      if (req.resource.ring !== undefined) {
        const ringId = `${id}/${req.resource.ring}`;
        entities.push({ uid: { type: 'Ring', id: ringId }, attrs: { name: req.resource.ring, model: ent('Model', id) }, parents: [{ type: 'Model', id }] });
        resource = { type: 'Ring', id: ringId };
        target.ring = req.resource.ring;
      }
    }
    entities.push({
      uid: { type: 'Token', id: req.token.id },
      attrs: {
        ci: req.token.ci,
        scopes: [...req.token.scopes],
        anyModel: req.token.models === null,
        models: (req.token.models ?? []).map((m) => ent('Model', modelId(m))),
      },
      parents: [],
    });
    const answer = cedar.statefulIsAuthorized({
      principal: { type: 'User', id: req.user.id },
      action: { type: 'Action', id: req.action },
      resource,
      context: { token: ent('Token', req.token.id) },
      preparsedSchemaName: this.schemaId,
      validateRequest: true,
      preparsedPolicySetId: this.setId,
      entities,
    });
    const resourceText = `${resource.type}::"${resource.id}"`;
    if (answer.type !== 'success') {
      // Fail closed: a request Cedar cannot evaluate is denied, and says why.
      return { decision: 'deny', action: req.action, resource: resourceText, target, policies: [], reason: `authorization request failed: ${errorsText(answer.errors)}`, errors: answer.errors.map((e) => e.message) };
    }
    const { decision, diagnostics } = answer.response;
    const policies = [...diagnostics.reason].sort();
    const reason = decision === 'allow' ? `permitted by ${policies.join(', ')}` : policies.length > 0 ? `forbidden by ${policies.join(', ')}` : 'no permit policy matched';
    return { decision, action: req.action, resource: resourceText, target, policies, reason, errors: diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`) };
  }
}

export { ALL_SCOPES };

let defaultAuthorizer: CedarAuthorizer | undefined;

/** The shipped policy set, loaded, validated and pre-parsed on first use (the server calls this at boot). */
export function cedarAuthorizer(): CedarAuthorizer {
  return (defaultAuthorizer ??= new CedarAuthorizer(loadPolicySource()));
}
