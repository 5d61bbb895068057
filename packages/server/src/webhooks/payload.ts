import type { WebhookPayload } from '@steward/domain';
import type { LedgerEntry } from '../ledger/append.js';

/**
 * The body a receiver gets for one audit event, read from the ledger's canonical entry (what the
 * tree hashed), so a receiver can ask `steward audit proof <id>` for the same event. The client
 * address and request id stay in the ledger.
 */
export function webhookPayload(seq: number, entryText: string): string {
  const e = JSON.parse(entryText) as LedgerEntry;
  const payload: WebhookPayload = {
    id: seq,
    type: e.action,
    occurredAt: e.at,
    org: e.org ?? '',
    model: e.model,
    actor: { name: e.actor.user, userId: e.actor.userId },
    target: { type: e.target.type, id: e.target.id },
    details: e.details,
    ledger: { log: e.log, index: e.index },
  };
  return JSON.stringify(payload);
}

const PAGERDUTY_SEVERITY: Record<string, 'critical' | 'error' | 'warning' | 'info'> = { critical: 'critical', high: 'error', medium: 'warning', low: 'info', info: 'info' };

function summaryOf(e: LedgerEntry): string {
  const d = e.details as Record<string, unknown>;
  if (e.action.startsWith('alert.')) {
    const what = e.action.slice('alert.'.length).toUpperCase();
    return `[${what}] ${String(d.rule ?? '')} on ${String(e.model ?? '')} in ${String(d.ring ?? '')}/${String(d.environment ?? '')}: ${String(d.condition ?? '')}`;
  }
  return `${e.action} ${e.model ?? e.target.id ?? ''} by ${e.actor.user ?? 'steward'}`;
}

/**
 * A Slack-compatible incoming-webhook body (`text` plus blocks; Mattermost and Rocket.Chat read
 * `text` too): the event in one line and its figures, never more than a screen.
 */
export function slackPayload(seq: number, entryText: string): string {
  const e = JSON.parse(entryText) as LedgerEntry;
  const d = e.details as Record<string, unknown>;
  const text = summaryOf(e);
  const fields = Object.entries((d.figures as Record<string, unknown> | undefined) ?? {})
    .filter(([, v]) => typeof v === 'number')
    .slice(0, 10)
    .map(([k, v]) => ({ type: 'mrkdwn', text: `*${k}*\n${Number(v).toPrecision(4)}` }));
  const blocks: unknown[] = [{ type: 'section', text: { type: 'mrkdwn', text } }];
  if (fields.length > 0) blocks.push({ type: 'section', fields });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `event ${seq} · ${e.at} · steward audit proof ${seq}` }] });
  return JSON.stringify({ text, blocks });
}

/**
 * A PagerDuty Events API v2 body: alert.firing triggers, alert.acknowledged acknowledges,
 * alert.resolved resolves, all under the alert's id as dedup_key; any other event triggers an info
 * event. The routing key is added when sending (it is never stored in the delivery log).
 */
export function pagerDutyPayload(seq: number, entryText: string): string {
  const e = JSON.parse(entryText) as LedgerEntry;
  const d = e.details as Record<string, unknown>;
  const alertId = typeof d.alert === 'string' ? d.alert : null;
  const action = e.action === 'alert.resolved' || e.action === 'alert.cleared' ? 'resolve' : e.action === 'alert.acknowledged' ? 'acknowledge' : 'trigger';
  const body: Record<string, unknown> = {
    routing_key: '',
    event_action: action,
    dedup_key: alertId ?? `steward-event-${seq}`,
  };
  if (action === 'trigger') {
    body.payload = {
      summary: summaryOf(e).slice(0, 1024),
      source: String(e.model ?? e.org ?? 'steward'),
      severity: e.action.startsWith('alert.') ? (PAGERDUTY_SEVERITY[String(d.severity)] ?? 'error') : 'info',
      timestamp: e.at,
      component: String(d.ring ?? ''),
      group: String(d.environment ?? ''),
      class: e.action,
      custom_details: { event: seq, ...d },
    };
  }
  return JSON.stringify(body);
}

export function formatPayload(format: string, seq: number, entryText: string): string {
  if (format === 'slack') return slackPayload(seq, entryText);
  if (format === 'pagerduty') return pagerDutyPayload(seq, entryText);
  return webhookPayload(seq, entryText);
}

/** Alert transitions of a rule without `notify`, or while silenced, are recorded but sent to nobody. */
export function suppressed(action: string, entryText: string): boolean {
  if (!action.startsWith('alert.')) return false;
  return (JSON.parse(entryText) as LedgerEntry).details?.notify === false;
}
