/**
 * Alert evaluation (ADR 0021): every `alertEvalIntervalMs`, and right after each telemetry flush,
 * each org's alert rules (from its active policy set) are evaluated for every deployment they
 * watch. One row per (rule, deployment) holds the instance's state; every state change is written
 * with its audit event in one transaction (alert.pending, alert.firing, alert.resolved, ...), so
 * webhooks follow from the ledger (ADR 0014). Actions of a firing rule (rollback, freeze, incident)
 * run after the transition commits, each in its own transaction: a rollback that cannot happen
 * (no earlier version) is recorded as a failed action and never holds up the alert itself.
 */
import { globMatch, evaluateAlertCondition, type CompiledAlertRule } from '@steward/policy';
import type { AlertsTable, DeploymentsTable } from '../db/schema.js';
import { audit, newId, type AuditContext, type Deps, type Tx } from '../services/context.js';
import { activePolicySet, compiledPolicySet } from '../policy/policy-sets.js';
import { alignWindow, computeWindow, type WindowResult } from '../telemetry/monitor.js';
import { rollbackInTransaction } from '../services/rollback-ring.js';
import { ringWithCriteria, writeRingCriteria } from '../promotion/criteria.js';

type State = 'normal' | 'pending' | 'firing' | 'nodata' | 'error';

interface Watched {
  row: DeploymentsTable;
  model: string;
  ring: string;
}

interface Transition {
  to: State;
  action: string | null;
  fired?: boolean;
  resolved?: boolean;
}

/** What the state machine decides from the previous state and this evaluation's outcome. */
export function nextState(prev: { state: State; pendingSince: string | null }, outcome: 'true' | 'false' | 'nodata' | 'error', rule: Pick<CompiledAlertRule, 'forSeconds' | 'noData'>, nowMs: number): Transition {
  let o = outcome;
  if (o === 'nodata') {
    if (rule.noData === 'alerting') o = 'true';
    else if (rule.noData === 'ok') o = 'false';
    else if (rule.noData === 'keep') return { to: prev.state, action: null };
  }
  if (o === 'true') {
    if (prev.state === 'firing') return { to: 'firing', action: null };
    if (rule.forSeconds === 0) return { to: 'firing', action: 'alert.firing', fired: true };
    if (prev.state === 'pending' && prev.pendingSince && nowMs - Date.parse(prev.pendingSince) >= rule.forSeconds * 1000) return { to: 'firing', action: 'alert.firing', fired: true };
    if (prev.state === 'pending') return { to: 'pending', action: null };
    return { to: 'pending', action: 'alert.pending' };
  }
  if (o === 'false') {
    if (prev.state === 'firing') return { to: 'normal', action: 'alert.resolved', resolved: true };
    if (prev.state === 'normal') return { to: 'normal', action: null };
    return { to: 'normal', action: prev.state === 'pending' ? 'alert.cleared' : 'alert.recovered' };
  }
  if (o === 'nodata') {
    if (prev.state === 'nodata') return { to: 'nodata', action: null };
    return { to: 'nodata', action: 'alert.nodata', resolved: prev.state === 'firing' };
  }
  if (prev.state === 'error') return { to: 'error', action: null };
  return { to: 'error', action: 'alert.error', resolved: prev.state === 'firing' };
}

export class AlertEvaluator {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  /** Deployments a flush touched since the last pass (null: evaluate every deployment). */
  private touched: Set<string> | null = new Set();
  private stopped = false;
  private readonly audit: AuditContext;

  constructor(
    private readonly deps: Deps,
    private readonly log: { error(obj: object, msg: string): void },
  ) {
    this.audit = { config: deps.config, now: deps.now, actor: null, webhooks: deps.webhooks };
  }

  start(): void {
    if (this.deps.config.alertEvalIntervalMs <= 0) return;
    this.timer = setInterval(() => this.wake(), this.deps.config.alertEvalIntervalMs);
    this.timer.unref();
  }

  /**
   * Evaluate soon: after a flush, the deployments it wrote (`deploymentIds`); on the interval, all
   * (no-data and resolving need the silent ones too). Passes never overlap; a wake during one runs
   * another after it.
   */
  wake(deploymentIds?: readonly string[]): void {
    if (this.stopped) return;
    if (deploymentIds === undefined) this.touched = null;
    else if (this.touched) for (const id of deploymentIds) this.touched.add(id);
    this.schedule();
  }

  private schedule(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    const only = this.touched;
    this.touched = new Set();
    if (only !== null && only.size === 0) return;
    this.running = this.evaluateAll(only ?? undefined)
      .catch((err) => this.log.error({ err }, 'alert evaluation failed'))
      .finally(() => {
        this.running = null;
        if (this.again && !this.stopped) {
          this.again = false;
          this.schedule();
        }
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One pass over every org with alert rules (or over the deployments in `only`); awaitable (tests). */
  async evaluateAll(only?: ReadonlySet<string>): Promise<void> {
    const orgs = await this.deps.db.selectFrom('orgs').select(['id', 'name']).execute();
    for (const org of orgs) {
      const row = await activePolicySet(this.deps.db, org.id);
      if (!row) continue;
      const set = compiledPolicySet(row);
      if (set.alerts.length === 0) continue;
      await this.evaluateOrg(org, set.alerts, set.digest, only);
    }
  }

  private async evaluateOrg(org: { id: string; name: string }, rules: CompiledAlertRule[], digest: string, only: ReadonlySet<string> | undefined): Promise<void> {
    const nowMs = this.deps.now().getTime();
    const deployments = await this.deps.db
      .selectFrom('deployments as d')
      .innerJoin('models as m', 'm.id', 'd.model_id')
      .innerJoin('rings as r', 'r.id', 'd.ring_id')
      .selectAll('d')
      .select(['m.name as model_name', 'r.name as ring_name'])
      .where('d.org_id', '=', org.id)
      .execute();
    const open = new Set((await this.deps.db.selectFrom('alerts').select(['rule_id', 'deployment_id']).where('org_id', '=', org.id).where('state', '!=', 'normal').execute()).map((a) => `${a.rule_id}\u0000${a.deployment_id}`));
    const cache = new Map<string, WindowResult>();
    for (const rule of rules) {
      for (const d of deployments) {
        if (only && !only.has(d.id)) continue;
        const watched: Watched = { row: d, model: d.model_name, ring: d.ring_name };
        if (!this.watches(rule, watched, org.name)) continue;
        // Deployments silent for longer than the window are not watched, unless an instance is open (it must resolve or go no-data).
        const seen = d.last_seen_at ? Date.parse(d.last_seen_at) : 0;
        if (nowMs - seen > rule.windowSeconds * 1000 * 2 && !open.has(`${rule.id}\u0000${d.id}`)) continue;
        try {
          await this.evaluateInstance(org, rule, digest, watched, nowMs, cache);
        } catch (err) {
          this.log.error({ err, rule: rule.id, deployment: d.id }, 'alert rule evaluation failed');
        }
      }
    }
  }

  private watches(rule: CompiledAlertRule, d: Watched, org: string): boolean {
    const full = `${org}/${d.model}`;
    if (!rule.models.some((g) => globMatch(g, g.includes('/') ? full : d.model))) return false;
    if (rule.rings.length > 0 && !rule.rings.includes(d.ring)) return false;
    if (rule.environments.length > 0 && !rule.environments.includes(d.row.environment)) return false;
    return true;
  }

  private async evaluateInstance(org: { id: string; name: string }, rule: CompiledAlertRule, digest: string, d: Watched, nowMs: number, cache: Map<string, WindowResult>): Promise<void> {
    const withDrift = /\bdrift\b/.test(rule.condition);
    const key = `${d.row.id}\u0000${rule.windowSeconds}\u0000${rule.toxicityThreshold}\u0000${rule.positiveLabel}\u0000${withDrift}\u0000${JSON.stringify(rule.drift ?? null)}`;
    let w = cache.get(key);
    if (!w) {
      w = await computeWindow(this.deps.db, d.row, alignWindow(nowMs - rule.windowSeconds * 1000, nowMs), { toxicityThreshold: rule.toxicityThreshold, positiveLabel: rule.positiveLabel, drift: rule.drift, withDrift });
      cache.set(key, w);
    }
    const requests = Number(w.figures.requests ?? 0);
    let outcome: 'true' | 'false' | 'nodata' | 'error';
    let detail: string | null = null;
    if (requests < Math.max(1, rule.minRequests)) {
      outcome = 'nodata';
      detail = `${requests} requests in the window (at least ${Math.max(1, rule.minRequests)} needed)`;
    } else {
      const r = evaluateAlertCondition(rule, w.figures);
      outcome = r.kind === 'value' ? (r.value ? 'true' : 'false') : r.kind;
      detail = r.kind === 'nodata' ? r.reason : r.kind === 'error' ? r.message : null;
    }
    const at = new Date(nowMs).toISOString();
    const snapshot = { window: { from: new Date(w.from).toISOString(), to: new Date(w.to).toISOString() }, outcome, detail, condition: rule.condition, figures: w.figures };
    const fired = await this.deps.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('alerts')
        .values({ id: newId(), org_id: org.id, rule_id: rule.id, deployment_id: d.row.id, state: 'normal', severity: rule.severity, state_since: at, pending_since: null, fired_at: null, resolved_at: null, evaluated_at: at, figures_json: '{}', policy_set_digest: digest, blocks_promotion: rule.blocksPromotion ? 1 : 0, acked_at: null, acked_by: null, silenced_until: null, silenced_by: null, silence_reason: null })
        .onConflict((oc) => oc.columns(['org_id', 'rule_id', 'deployment_id']).doNothing())
        .execute();
      const q = trx.selectFrom('alerts').selectAll().where('org_id', '=', org.id).where('rule_id', '=', rule.id).where('deployment_id', '=', d.row.id);
      const row = (await (this.deps.dbKind === 'postgres' ? q.forUpdate() : q).executeTakeFirstOrThrow()) as AlertsTable;
      const t = nextState({ state: row.state as State, pendingSince: row.pending_since }, outcome, rule, nowMs);
      const changes: Partial<AlertsTable> = { evaluated_at: at, severity: rule.severity, policy_set_digest: digest, blocks_promotion: rule.blocksPromotion ? 1 : 0 };
      if (t.action) {
        Object.assign(changes, { state: t.to, state_since: at, figures_json: JSON.stringify(snapshot) });
        if (t.to === 'pending') changes.pending_since = at;
        if (t.to !== 'pending' && t.to !== 'firing') changes.pending_since = null;
        if (t.fired) Object.assign(changes, { fired_at: at, resolved_at: null });
        if (t.resolved) Object.assign(changes, { resolved_at: at, acked_at: null, acked_by: null });
      }
      await trx.updateTable('alerts').set(changes).where('id', '=', row.id).execute();
      if (t.action) {
        const silenced = row.silenced_until !== null && Date.parse(row.silenced_until) > nowMs;
        const notify = rule.actions.includes('notify') && !silenced;
        await audit(trx, this.audit, {
          orgId: org.id,
          action: t.action,
          targetType: 'alert',
          targetId: row.id,
          details: {
            model: `${org.name}/${d.model}`,
            alert: row.id,
            rule: rule.id,
            severity: rule.severity,
            state: t.to,
            previous: row.state,
            ring: d.ring,
            environment: d.row.environment,
            deployment: d.row.id,
            condition: rule.condition,
            outcome,
            detail,
            window: snapshot.window,
            figures: compactFigures(w!.figures),
            policySet: digest,
            notify,
            ...(silenced ? { silencedUntil: row.silenced_until } : {}),
            ...(rule.runbook ? { runbook: rule.runbook } : {}),
          },
        });
      }
      return t.fired ? row : null;
    });
    if (fired) await this.runActions(org, rule, digest, d, fired, snapshot);
  }

  private async runActions(org: { id: string; name: string }, rule: CompiledAlertRule, digest: string, d: Watched, alert: AlertsTable, snapshot: Record<string, unknown>): Promise<void> {
    const decision = { kind: 'alert-rule', rule: rule.id, alert: alert.id, policySet: digest, condition: rule.condition, figures: compactFigures(snapshot.figures as Record<string, unknown>) };
    const by = `alert:${rule.id}`;
    const reason = `alert rule "${rule.id}" fired: ${rule.condition}`;
    const attempt = async (action: string, run: (trx: Tx) => Promise<unknown>) => {
      try {
        await this.deps.db.transaction().execute(run);
      } catch (err) {
        await audit(this.deps.db, this.audit, { orgId: org.id, action: 'alert.action_failed', targetType: 'alert', targetId: alert.id, details: { model: `${org.name}/${d.model}`, rule: rule.id, alert: alert.id, action, error: (err as Error).message } });
      }
    };
    // Roll back before freezing: a frozen ring holds every pointer, the rollback's too.
    if (rule.actions.includes('rollback')) {
      await attempt('rollback', (trx) => rollbackInTransaction(trx, this.audit, { orgId: org.id, org: org.name, model: d.model, ring: d.ring, reason, by, decision }));
    }
    if (rule.actions.includes('freeze')) {
      await attempt('freeze', async (trx) => {
        const ring = await ringWithCriteria(trx, org.id, d.ring);
        if (ring.criteria.frozen) return;
        const at = this.deps.now().toISOString();
        await writeRingCriteria(trx, ring.id, { ...ring.criteria, frozen: { at, by, reason } }, { at, by });
        await audit(trx, this.audit, { orgId: org.id, action: 'ring.frozen', targetType: 'ring', targetId: ring.id, details: { ring: d.ring, reason, model: `${org.name}/${d.model}`, decidedBy: decision } });
      });
    }
    if (rule.actions.includes('incident')) {
      await attempt('incident', async (trx) => {
        const id = newId();
        const at = this.deps.now().toISOString();
        const title = `${rule.id}: ${org.name}/${d.model} in ${d.ring} (${d.row.environment})`;
        await trx.insertInto('incidents').values({ id, org_id: org.id, title, severity: rule.severity, status: 'open', opened_at: at, opened_by: by, alert_id: alert.id, deployment_id: d.row.id, details_json: JSON.stringify(decision) }).execute();
        await audit(trx, this.audit, { orgId: org.id, action: 'incident.opened', targetType: 'incident', targetId: id, details: { model: `${org.name}/${d.model}`, title, severity: rule.severity, alert: alert.id, rule: rule.id } });
      });
    }
  }
}

/** The figures an audit event keeps: drift per feature reduced to the drifted ones (events stay small). */
function compactFigures(figures: Record<string, unknown>): Record<string, unknown> {
  const out = { ...figures };
  const drift = out.drift as { features?: Record<string, { drifted: boolean }> } | undefined;
  if (drift?.features) {
    out.drift = { ...drift, features: Object.fromEntries(Object.entries(drift.features).filter(([, f]) => f.drifted)) };
  }
  return out;
}
