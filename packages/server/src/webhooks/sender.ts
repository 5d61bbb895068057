import type { FastifyBaseLogger } from 'fastify';
import type { Selectable } from 'kysely';
import type { WebhookDeliveriesTable } from '../db/schema.js';
import { type Deps, newId } from '../services/context.js';
import { STEWARD_VERSION } from '../http/app.js';
import { openRoutingKey, openWebhookSecret } from './secrets.js';
import { signatureHeader } from './signature.js';

/** A claim's lease beyond the request timeout: a row still `delivering` after it was left by a dead process. */
const LEASE_MARGIN_MS = 5_000;
/** A receiver's Retry-After is followed (never retried sooner), up to a day. */
const RETRY_AFTER_CAP_MS = 86_400_000;
/** How much of a receiver's response body the attempt log keeps. */
const RESPONSE_EXCERPT_BYTES = 1024;

type DeliveryRow = Selectable<WebhookDeliveriesTable>;

export type AttemptOutcome = 'succeeded' | 'retry' | 'failed' | 'dead';

export interface AttemptResult {
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  response: string | null;
  retryAfter: string | null;
}

/** Statuses worth retrying: timeouts, rate limits and server errors. Any other 4xx, or a redirect, will not change by retrying. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Retry-After as a delay in ms: delta-seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterMs(value: string | null, now: Date): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : Math.max(0, t - now.getTime());
}

/** Exponential backoff with equal jitter: half the doubled delay fixed, half random, so retries of many deliveries spread out. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 40));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** What an attempt leads to, and when the next one is due. */
export function decide(result: AttemptResult, attempt: number, config: Pick<Deps['config'], 'webhookMaxAttempts' | 'webhookBackoffBaseMs' | 'webhookBackoffMaxMs'>, now: Date): { outcome: AttemptOutcome; nextAttemptAt: string | null } {
  const status = result.statusCode;
  if (status !== null && status >= 200 && status < 300) return { outcome: 'succeeded', nextAttemptAt: null };
  if (status !== null && !isRetryableStatus(status)) return { outcome: 'failed', nextAttemptAt: null };
  if (attempt >= config.webhookMaxAttempts) return { outcome: 'dead', nextAttemptAt: null };
  const hinted = retryAfterMs(result.retryAfter, now);
  const delay = hinted !== null ? Math.min(hinted, RETRY_AFTER_CAP_MS) : backoffMs(attempt, config.webhookBackoffBaseMs, config.webhookBackoffMaxMs);
  return { outcome: 'retry', nextAttemptAt: new Date(now.getTime() + delay).toISOString() };
}

function describeError(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.cause?.code || e?.cause?.message) return [e.cause.code, e.cause.message].filter(Boolean).join(': ');
  return e?.message ?? String(err);
}

class Interrupted extends Error {}

/**
 * Sends pending deliveries: `webhookConcurrency` slots, each claiming one due row at a time
 * (FOR UPDATE SKIP LOCKED on Postgres; a conditional update on SQLite, where this is the only
 * process), posting it outside any transaction, then recording the attempt and the outcome in one
 * transaction, only if the claim is still its own. A claimed row's next_attempt_at is its lease:
 * if the process dies mid-attempt, the row is due again once the lease runs out (at once after a
 * restart on SQLite). Delivery is therefore at least once; receivers dedupe on Steward-Webhook-Id.
 */
export class DeliverySender {
  private slots = 0;
  private slotsDone: Promise<void> = Promise.resolve();
  private releaseSlots: (() => void) | null = null;
  private again = false;
  private started = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<AbortController>();

  constructor(
    private readonly deps: Pick<Deps, 'db' | 'dbKind' | 'now' | 'config' | 'masterKey'>,
    private readonly log: FastifyBaseLogger | null,
  ) {}

  /** On SQLite this process is the only sender, so rows left `delivering` by a crash are due now. */
  async start(): Promise<void> {
    if (this.deps.dbKind === 'sqlite') {
      await this.deps.db
        .updateTable('webhook_deliveries')
        .set({ status: 'pending', claim_id: null, next_attempt_at: this.deps.now().toISOString() })
        .where('status', '=', 'delivering')
        .execute();
    }
    this.started = true;
    this.wake();
  }

  wake(): void {
    if (!this.started || this.stopped) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.slots >= this.deps.config.webhookConcurrency) {
      // Every slot is busy; whichever finishes last looks again.
      this.again = true;
      return;
    }
    if (this.slots === 0) this.slotsDone = new Promise((resolve) => (this.releaseSlots = resolve));
    while (this.slots < this.deps.config.webhookConcurrency) {
      this.slots++;
      void this.slot().finally(() => {
        this.slots--;
        if (this.slots === 0) this.afterSlots();
      });
    }
  }

  /** Resolves when no delivery is being sent. */
  async idle(): Promise<void> {
    while (this.slots > 0) await this.slotsDone;
  }

  /** Aborts attempts in flight (their rows are released, not counted), and waits for the slots to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const c of this.inFlight) c.abort(new Interrupted('server shutting down'));
    await this.idle();
  }

  private afterSlots(): void {
    this.releaseSlots?.();
    if (this.stopped) return;
    if (this.again) {
      this.again = false;
      this.wake();
      return;
    }
    void this.scheduleNext();
  }

  /** Sleeps until the earliest retry is due, or the poll interval (work other servers enqueued, or a database that was down). */
  private async scheduleNext(): Promise<void> {
    const poll = this.deps.config.webhookPollIntervalMs;
    let due = poll;
    try {
      const next = await this.deps.db
        .selectFrom('webhook_deliveries')
        .select((eb) => eb.fn.min('next_attempt_at').as('due'))
        .where('status', 'in', ['pending', 'delivering'])
        .executeTakeFirst();
      if (next?.due) due = Date.parse(next.due) - this.deps.now().getTime();
    } catch (err) {
      this.log?.error({ err }, 'webhook scheduling failed');
    }
    if (this.stopped || this.slots > 0 || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.wake();
    }, Math.max(0, Math.min(due, poll)));
    this.timer.unref();
  }

  private async slot(): Promise<void> {
    while (!this.stopped) {
      let claimed: { row: DeliveryRow; claimId: string } | null;
      try {
        claimed = await this.claim();
      } catch (err) {
        this.log?.error({ err }, 'webhook claim failed');
        return;
      }
      if (!claimed) return;
      await this.deliver(claimed.row, claimed.claimId).catch((err) => this.log?.error({ err, delivery: claimed.row.id }, 'webhook delivery bookkeeping failed'));
    }
  }

  private async claim(): Promise<{ row: DeliveryRow; claimId: string } | null> {
    const db = this.deps.db;
    const now = this.deps.now();
    const nowIso = now.toISOString();
    const claimId = newId();
    const set = { status: 'delivering', claim_id: claimId, next_attempt_at: new Date(now.getTime() + this.deps.config.webhookTimeoutMs + LEASE_MARGIN_MS).toISOString() };
    if (this.deps.dbKind === 'postgres') {
      const row = await db
        .updateTable('webhook_deliveries')
        .set(set)
        .where('id', '=', (eb) =>
          eb
            .selectFrom('webhook_deliveries')
            .select('id')
            .where('status', 'in', ['pending', 'delivering'])
            .where('next_attempt_at', '<=', nowIso)
            .orderBy('next_attempt_at')
            .limit(1)
            .forUpdate()
            .skipLocked(),
        )
        .returningAll()
        .executeTakeFirst();
      return row ? { row, claimId } : null;
    }
    for (;;) {
      const next = await db
        .selectFrom('webhook_deliveries')
        .select(['id', 'claim_id'])
        .where('status', 'in', ['pending', 'delivering'])
        .where('next_attempt_at', '<=', nowIso)
        .orderBy('next_attempt_at')
        .limit(1)
        .executeTakeFirst();
      if (!next) return null;
      const r = await db
        .updateTable('webhook_deliveries')
        .set(set)
        .where('id', '=', next.id)
        .where('status', 'in', ['pending', 'delivering'])
        .where((eb) => (next.claim_id === null ? eb('claim_id', 'is', null) : eb('claim_id', '=', next.claim_id)))
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 1) return { row: await db.selectFrom('webhook_deliveries').selectAll().where('id', '=', next.id).executeTakeFirstOrThrow(), claimId };
    }
  }

  private async deliver(row: DeliveryRow, claimId: string): Promise<void> {
    const db = this.deps.db;
    const sub = await db
      .selectFrom('webhook_subscriptions')
      .select(['id', 'url', 'active', 'secret_enc', 'previous_secret_enc', 'previous_secret_expires_at', 'format', 'routing_key_enc'])
      .where('id', '=', row.subscription_id)
      .executeTakeFirstOrThrow();
    if (!sub.active) {
      // Not attempted: a replay after the webhook is active again sends it.
      await db
        .updateTable('webhook_deliveries')
        .set({ status: 'failed', claim_id: null, last_error: 'webhook is inactive', updated_at: this.deps.now().toISOString() })
        .where('id', '=', row.id)
        .where('claim_id', '=', claimId)
        .execute();
      return;
    }
    const attempt = row.attempts + 1;
    const startedAt = this.deps.now();
    let secrets: string[];
    let body = row.payload;
    try {
      secrets = [openWebhookSecret(this.deps.masterKey, sub.id, sub.secret_enc)];
      // PagerDuty needs its routing key in the body; it is added here so the delivery log never holds it.
      if (sub.format === 'pagerduty' && sub.routing_key_enc) body = JSON.stringify({ ...JSON.parse(row.payload), routing_key: openRoutingKey(this.deps.masterKey, sub.id, sub.routing_key_enc) });
      if (sub.previous_secret_enc && sub.previous_secret_expires_at && Date.parse(sub.previous_secret_expires_at) > startedAt.getTime()) {
        secrets.push(openWebhookSecret(this.deps.masterKey, sub.id, sub.previous_secret_enc));
      }
    } catch (err) {
      // Another master key than the one the secret was sealed with: unsigned is never an option, and retrying will not help.
      this.log?.error({ err, delivery: row.id }, 'webhook secret unreadable');
      await db
        .updateTable('webhook_deliveries')
        .set({ status: 'failed', claim_id: null, last_error: (err as Error).message, updated_at: this.deps.now().toISOString() })
        .where('id', '=', row.id)
        .where('claim_id', '=', claimId)
        .execute();
      return;
    }
    const result = await this.post(sub.url, body === row.payload ? row : { ...row, payload: body }, attempt, secrets, startedAt);
    if (result === 'interrupted') {
      // Shutting down: release the row for the next process, uncounted (the receiver dedupes if it did arrive).
      await db
        .updateTable('webhook_deliveries')
        .set({ status: 'pending', claim_id: null, next_attempt_at: this.deps.now().toISOString() })
        .where('id', '=', row.id)
        .where('claim_id', '=', claimId)
        .execute();
      return;
    }
    const finishedAt = this.deps.now();
    const { outcome, nextAttemptAt } = decide(result, attempt, this.deps.config, finishedAt);
    const status = outcome === 'retry' ? 'pending' : outcome;
    const lastError = result.error ?? (outcome === 'succeeded' ? null : `HTTP ${result.statusCode}${result.statusCode !== null && result.statusCode >= 300 && result.statusCode < 400 ? ' (redirects are not followed)' : ''}`);
    await db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable('webhook_deliveries')
        .set({
          status,
          attempts: attempt,
          next_attempt_at: nextAttemptAt,
          claim_id: null,
          last_status_code: result.statusCode,
          last_error: lastError,
          last_duration_ms: result.durationMs,
          updated_at: finishedAt.toISOString(),
        })
        .where('id', '=', row.id)
        .where('claim_id', '=', claimId)
        .executeTakeFirst();
      // The lease ran out and another sender took the row over: its attempt is the one recorded.
      if (Number(r.numUpdatedRows) !== 1) return;
      await trx
        .insertInto('webhook_attempts')
        .values({
          delivery_id: row.id,
          attempt,
          started_at: startedAt.toISOString(),
          duration_ms: result.durationMs,
          status_code: result.statusCode,
          error: lastError,
          outcome,
          response_excerpt: result.response,
        })
        .execute();
    });
    if (outcome !== 'succeeded') this.log?.info({ delivery: row.id, attempt, outcome, status: result.statusCode, error: result.error }, 'webhook delivery not accepted');
  }

  /** One POST, bounded by the timeout; never throws. */
  private async post(url: string, row: DeliveryRow, attempt: number, secrets: string[], startedAt: Date): Promise<AttemptResult | 'interrupted'> {
    const timestamp = Math.floor(startedAt.getTime() / 1000);
    const controller = new AbortController();
    const timeoutMs = this.deps.config.webhookTimeoutMs;
    const timer = setTimeout(() => controller.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    this.inFlight.add(controller);
    const t0 = performance.now();
    const elapsed = () => Math.round(performance.now() - t0);
    try {
      const res = await fetch(url, {
        method: 'POST',
        redirect: 'manual',
        signal: controller.signal,
        headers: {
          'content-type': 'application/json',
          'user-agent': `Steward-Webhooks/${STEWARD_VERSION}`,
          'steward-webhook-id': row.id,
          'steward-webhook-timestamp': String(timestamp),
          'steward-webhook-signature': signatureHeader(secrets, row.id, timestamp, row.payload),
          'steward-webhook-event': row.event_type,
          'steward-webhook-attempt': String(attempt),
        },
        body: row.payload,
      });
      const response = await readExcerpt(res);
      return { statusCode: res.status, error: null, durationMs: elapsed(), response, retryAfter: res.headers.get('retry-after') };
    } catch (err) {
      const reason = controller.signal.aborted ? controller.signal.reason : err;
      if (reason instanceof Interrupted) return 'interrupted';
      return { statusCode: null, error: describeError(reason), durationMs: elapsed(), response: null, retryAfter: null };
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(controller);
    }
  }
}

/** The first bytes of the body (for the attempt log); the rest is discarded unread. */
async function readExcerpt(res: Response): Promise<string | null> {
  if (!res.body) return null;
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < RESPONSE_EXCERPT_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  if (size === 0) return null;
  return Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES).toString('utf8');
}
