import type { FastifyBaseLogger } from 'fastify';
import type { Insertable } from 'kysely';
import { eventFilterMatches } from '@steward/domain';
import type { WebhookDeliveriesTable } from '../db/schema.js';
import { type Deps, newId } from '../services/context.js';
import { formatPayload, suppressed } from './payload.js';
import { pendingDelivery } from './views.js';

/** Events matched per log and transaction. */
const BATCH = 200;
/** Rows per INSERT (SQLite's bound-parameter limit, and statement size on Postgres). */
const INSERT_CHUNK = 100;
/**
 * A nudge comes from `audit()` inside a transaction that may not have committed yet (Postgres runs
 * the pass on another connection); one more pass shortly after catches it without waiting for the poll.
 */
const FOLLOW_UP_MS = 50;

/**
 * Turns committed audit events into webhook deliveries (ADR 0014). For each org log with a cursor
 * (created with the org's first subscription), one transaction locks the cursor row, reads the
 * events past it in leaf order, inserts a delivery per matching active subscription, and moves the
 * cursor: a crash repeats nothing and loses nothing, and an event rolled back with its change was
 * never there to read. Appends to one log serialize on its head row, so leaf order is commit order
 * and a cursor can never pass an event that commits later. Several servers on one Postgres share
 * the work: the cursor row is claimed with FOR UPDATE SKIP LOCKED.
 */
export class WebhookDispatcher {
  private loop: Promise<void> | null = null;
  private again = false;
  private started = false;
  private stopped = false;
  private pollTimer: NodeJS.Timeout | null = null;
  private followUp: NodeJS.Timeout | null = null;

  constructor(
    private readonly deps: Pick<Deps, 'db' | 'dbKind' | 'now' | 'config'>,
    /** Called after a pass read new events (wakes the sender: they, or a ping or replay among them, may have enqueued deliveries). */
    private readonly onEnqueued: () => void,
    private readonly log: FastifyBaseLogger | null,
  ) {}

  start(): void {
    this.started = true;
    this.pollTimer = setInterval(() => this.run(), this.deps.config.webhookPollIntervalMs);
    this.pollTimer.unref();
    this.run();
  }

  /** After an append: a pass now, and one shortly after in case the append had not committed yet. */
  wake(): void {
    if (!this.started || this.stopped) return;
    this.run();
    if (!this.followUp) {
      this.followUp = setTimeout(() => {
        this.followUp = null;
        this.run();
      }, FOLLOW_UP_MS);
      this.followUp.unref();
    }
  }

  /** Resolves when no pass is running. */
  async idle(): Promise<void> {
    while (this.loop) await this.loop;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.followUp) clearTimeout(this.followUp);
    await this.idle();
  }

  private run(): void {
    if (!this.started || this.stopped) return;
    if (this.loop) {
      this.again = true;
      return;
    }
    this.loop = this.pass()
      .then((read) => {
        if (read > 0) this.onEnqueued();
      })
      .catch((err) => this.log?.error({ err }, 'webhook dispatch failed'))
      .finally(() => {
        this.loop = null;
        if (this.again && !this.stopped) {
          this.again = false;
          this.run();
        }
      });
  }

  /** Matches every log's new events; returns how many events it read. */
  async pass(): Promise<number> {
    const logs = await this.deps.db.selectFrom('webhook_cursors').select('log_id').execute();
    let read = 0;
    let pending = logs.map((l) => l.log_id);
    while (pending.length > 0 && !this.stopped) {
      const full: string[] = [];
      for (const logId of pending) {
        const r = await this.dispatchLog(logId);
        read += r.read;
        if (r.full) full.push(logId);
      }
      pending = full;
    }
    return read;
  }

  private async dispatchLog(logId: string): Promise<{ read: number; full: boolean }> {
    const postgres = this.deps.dbKind === 'postgres';
    return this.deps.db.transaction().execute(async (trx) => {
      const q = trx.selectFrom('webhook_cursors').select('next_index').where('log_id', '=', logId);
      // Another server holding the cursor is dispatching this log now: skip it rather than wait.
      const cursor = await (postgres ? q.forUpdate().skipLocked() : q).executeTakeFirst();
      if (!cursor) return { read: 0, full: false };
      const events = await trx
        .selectFrom('audit_events')
        .select(['seq', 'leaf_index', 'action', 'entry'])
        .where('log_id', '=', logId)
        .where('leaf_index', '>=', Number(cursor.next_index))
        .orderBy('leaf_index')
        .limit(BATCH)
        .execute();
      if (events.length === 0) return { read: 0, full: false };
      const subs = (await trx.selectFrom('webhook_subscriptions').select(['id', 'events_json', 'after_index', 'format']).where('org_id', '=', logId).where('active', '=', 1).execute()).map((s) => ({
        id: s.id,
        filters: JSON.parse(s.events_json) as string[],
        after: Number(s.after_index),
        format: s.format,
      }));
      const now = this.deps.now().toISOString();
      const rows: Insertable<WebhookDeliveriesTable>[] = [];
      for (const e of events) {
        const index = Number(e.leaf_index);
        const targets = subs.filter((s) => index > s.after && s.filters.some((f) => eventFilterMatches(f, e.action)));
        if (targets.length === 0 || e.entry === null || suppressed(e.action, e.entry)) continue;
        const payloads = new Map<string, string>();
        for (const s of targets) {
          let payload = payloads.get(s.format);
          if (payload === undefined) payloads.set(s.format, (payload = formatPayload(s.format, Number(e.seq), e.entry)));
          rows.push(pendingDelivery({ id: newId(), orgId: logId, subscriptionId: s.id, auditSeq: Number(e.seq), eventType: e.action, payload, now }));
        }
      }
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        // A ping already enqueued its own event for its subscription; nothing else conflicts.
        await trx.insertInto('webhook_deliveries').values(rows.slice(i, i + INSERT_CHUNK)).onConflict((oc) => oc.doNothing()).execute();
      }
      await trx
        .updateTable('webhook_cursors')
        .set({ next_index: Number(events.at(-1)!.leaf_index) + 1, updated_at: now })
        .where('log_id', '=', logId)
        .execute();
      return { read: events.length, full: events.length === BATCH };
    });
  }
}
