import { StewardError } from '@steward/domain';
import type { DeploymentsTable } from '../db/schema.js';
import { authorize, type ServiceContext } from './context.js';
import { findModel } from './views.js';

export interface MonitorTargetInput {
  org: string;
  model: string;
  ring?: string | undefined;
  environment?: string | undefined;
  version?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  window?: string | undefined;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * The deployment a monitoring read is about: the one matching ring / environment / version, and
 * among several the one the ring points at, else the one seen last. And the window asked for.
 */
export async function monitorTarget(ctx: ServiceContext, input: MonitorTargetInput): Promise<{ deployment: DeploymentsTable; from: number; to: number }> {
  const scope = authorize(ctx, input.org, 'model.read', { model: input.model });
  const model = await findModel(ctx.db, scope.orgId, input.model);
  let q = ctx.db.selectFrom('deployments as d').innerJoin('rings as r', 'r.id', 'd.ring_id').innerJoin('model_versions as v', 'v.id', 'd.version_id').selectAll('d').select(['r.name as ring_name', 'v.version as version_name']).where('d.model_id', '=', model.id);
  if (input.ring) q = q.where('r.name', '=', input.ring);
  if (input.environment) q = q.where('d.environment', '=', input.environment);
  if (input.version) q = q.where('v.version', '=', input.version);
  const rows = await q.execute();
  const what = [input.ring && `ring "${input.ring}"`, input.environment && `environment "${input.environment}"`, input.version && `version ${input.version}`].filter(Boolean).join(', ');
  if (rows.length === 0) throw new StewardError('not_found', `${input.org}/${input.model} has no deployment${what ? ` in ${what}` : ''}; register one with \`steward deploy\` or send telemetry`);
  let pick = rows[0]!;
  if (rows.length > 1) {
    const pointers = await ctx.db.selectFrom('ring_history').select(['ring_id', 'version_id', 'seq']).where('model_id', '=', model.id).orderBy('seq', 'desc').execute();
    const current = new Map<string, string | null>();
    for (const p of pointers) if (!current.has(p.ring_id)) current.set(p.ring_id, p.version_id);
    const inRing = rows.filter((r) => current.get(r.ring_id) === r.version_id);
    const pool = inRing.length > 0 ? inRing : rows;
    pick = pool.reduce((a, b) => ((b.last_seen_at ?? '') > (a.last_seen_at ?? '') ? b : a));
  }
  const nowMs = ctx.now().getTime();
  const to = input.until !== undefined ? Date.parse(input.until) : nowMs;
  if (!Number.isFinite(to)) throw new StewardError('bad_request', `until: "${input.until}" is not a time`, { field: 'until' });
  let from: number;
  if (input.since !== undefined) {
    from = Date.parse(input.since);
    if (!Number.isFinite(from)) throw new StewardError('bad_request', `since: "${input.since}" is not a time`, { field: 'since' });
  } else if (input.window !== undefined) {
    from = to - Number(input.window.slice(0, -1)) * UNIT_MS[input.window.slice(-1)]!;
  } else from = to - 3_600_000;
  if (from >= to) throw new StewardError('bad_request', 'the window is empty: since must be before until', { field: 'since' });
  const { ring_name: _r, version_name: _v, ...deployment } = pick;
  return { deployment, from, to };
}
