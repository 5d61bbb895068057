import type { Command } from 'commander';
import { z } from 'zod';
import {
  CreatedWebhookSchema,
  DeliveryStatusSchema,
  EventFilterSchema,
  NameSchema,
  RotatedWebhookSecretSchema,
  WebhookDeliveryDetailSchema,
  WebhookDeliverySchema,
  WebhookSchema,
  WebhookUrlSchema,
  WebhookFormatSchema,
  pageOf,
} from '@steward/domain';
import { enc } from '../client.js';
import { connect } from '../command.js';
import { CliError } from '../errors.js';
import { type Io, printJson, table } from '../output.js';

type Webhook = z.infer<typeof WebhookSchema>;
type Delivery = z.infer<typeof WebhookDeliverySchema>;

/** `version.*,promotion.*` -> filters, checked here so a typo is a usage error (exit 2). */
export function parseEvents(text: string): string[] {
  const filters = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (filters.length === 0) throw new CliError('--events: name at least one event filter, e.g. "version.*,ring.moved" (or "*")', 2);
  for (const f of filters) {
    const r = EventFilterSchema.safeParse(f);
    if (!r.success) throw new CliError(`--events: "${f}" ${r.error.issues[0]?.message}`, 2);
  }
  return filters;
}

function parseUrl(text: string): string {
  const r = WebhookUrlSchema.safeParse(text);
  if (!r.success) throw new CliError(`--url: "${text}" ${r.error.issues[0]?.message}`, 2);
  return text;
}

/** `30m`, `24h`, `7d` or plain seconds. */
function parseGrace(text: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(text);
  if (!m) throw new CliError(`--grace: "${text}" is not a duration such as 0, 30m, 24h or 7d`, 2);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

function printWebhook(io: Io, w: Webhook): void {
  for (const line of table([
    ['id', w.id],
    ['org', w.org],
    ['url', w.url],
    ['events', w.events.join(', ')],
    ['state', w.state],
    ...(w.description ? [['description', w.description]] : []),
    ['created', `${w.createdAt} by ${w.createdBy}`],
    ...(w.secretRotatedAt ? [['secret rotated', w.secretRotatedAt]] : []),
    ...(w.previousSecretExpiresAt ? [['old secret signs until', w.previousSecretExpiresAt]] : []),
    ...(w.removedAt ? [['removed', w.removedAt]] : []),
  ]))
    io.out(line);
}

function deliveryRows(items: Delivery[]): string[][] {
  return [
    ['ID', 'WEBHOOK', 'EVENT', 'TYPE', 'STATUS', 'ATTEMPTS', 'LAST', 'CREATED'],
    ...items.map((d) => [
      d.id,
      d.webhookId.slice(0, 8),
      String(d.eventId),
      d.eventType,
      d.status,
      String(d.attempts),
      d.lastStatusCode !== null ? `HTTP ${d.lastStatusCode}` : (d.lastError ?? '-'),
      d.createdAt,
    ]),
  ];
}

export function register(program: Command, io: Io): void {
  const hooks = program.command('webhooks').description('send the org\'s events (audit actions) to URLs, signed; the delivery log and replays');

  hooks
    .command('add [org]')
    .description('subscribe a URL to events (maintainers); prints the signing secret once')
    .requiredOption('--url <url>', 'http(s) URL deliveries are POSTed to')
    .requiredOption('--events <filters>', 'comma-separated event types or globs, e.g. "version.*,promotion.*,ring.moved", or "*"')
    .option('--description <text>', 'what the subscription is for')
    .option('--inactive', 'create it switched off')
    .option('--format <format>', 'body format: steward (signed event), slack (incoming-webhook message), pagerduty (Events API v2)', 'steward')
    .option('--routing-key <key>', 'PagerDuty integration key (with --format pagerduty)')
    .option('--json', 'machine-readable output (includes the secret)')
    .action(async (orgArg: string | undefined, opts: { url: string; events: string; description?: string; inactive?: boolean; format: string; routingKey?: string; json?: boolean }, cmd: Command) => {
      const format = WebhookFormatSchema.safeParse(opts.format);
      if (!format.success) throw new CliError(`--format must be one of ${WebhookFormatSchema.options.join(', ')}, not "${opts.format}"`, 2);
      if ((format.data === 'pagerduty') !== (opts.routingKey !== undefined)) throw new CliError('--format pagerduty needs --routing-key (and only it takes one)', 2);
      const body = { url: parseUrl(opts.url), events: parseEvents(opts.events), ...(opts.description ? { description: opts.description } : {}), ...(opts.inactive ? { active: false } : {}), format: format.data, ...(opts.routingKey ? { routingKey: opts.routingKey } : {}) };
      if (orgArg !== undefined && !NameSchema.safeParse(orgArg).success) throw new CliError(`"${orgArg}" is not an org name`, 2);
      const c = connect(cmd, io);
      const org = orgArg ?? c.org;
      const w = await c.client.json('POST', `/api/v1/orgs/${enc(org)}/webhooks`, CreatedWebhookSchema, body);
      if (opts.json) return printJson(io, w);
      io.err(`webhook ${w.id} in org ${org}: ${w.url} for ${w.events.join(', ')}${w.state === 'active' ? '' : ' (inactive)'}`);
      io.err('its signing secret is shown only now; receivers verify Steward-Webhook-Signature with it:');
      io.out(w.secret);
    });

  hooks
    .command('list')
    .description('the org\'s webhook subscriptions')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { client, org } = connect(cmd, io);
      const r = await client.json('GET', `/api/v1/orgs/${enc(org)}/webhooks`, z.object({ items: z.array(WebhookSchema) }));
      if (opts.json) return printJson(io, r.items);
      for (const line of table([['ID', 'STATE', 'URL', 'EVENTS'], ...r.items.map((w) => [w.id, w.state, w.url, w.events.join(',')])])) io.out(line);
    });

  hooks
    .command('show <id>')
    .description('one subscription')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const { client, org } = connect(cmd, io);
      const w = await client.json('GET', `/api/v1/orgs/${enc(org)}/webhooks/${enc(id)}`, WebhookSchema);
      if (opts.json) return printJson(io, w);
      printWebhook(io, w);
    });

  hooks
    .command('update <id>')
    .description('change the URL, event filters, description, or switch it on or off')
    .option('--url <url>', 'new URL')
    .option('--events <filters>', 'new comma-separated event filters (replace the old ones)')
    .option('--description <text>', 'new description')
    .option('--active', 'switch it on')
    .option('--inactive', 'switch it off (events meanwhile are not delivered)')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { url?: string; events?: string; description?: string; active?: boolean; inactive?: boolean; json?: boolean }, cmd: Command) => {
      if (opts.active && opts.inactive) throw new CliError('--active and --inactive exclude each other', 2);
      const body = {
        ...(opts.url !== undefined ? { url: parseUrl(opts.url) } : {}),
        ...(opts.events !== undefined ? { events: parseEvents(opts.events) } : {}),
        ...(opts.description !== undefined ? { description: opts.description } : {}),
        ...(opts.active ? { active: true } : opts.inactive ? { active: false } : {}),
      };
      if (Object.keys(body).length === 0) throw new CliError('nothing to change: give --url, --events, --description, --active or --inactive', 2);
      const { client, org } = connect(cmd, io);
      const w = await client.json('PATCH', `/api/v1/orgs/${enc(org)}/webhooks/${enc(id)}`, WebhookSchema, body);
      if (opts.json) return printJson(io, w);
      printWebhook(io, w);
    });

  hooks
    .command('remove <id>')
    .description('remove a subscription for good (its delivery log stays readable)')
    .action(async (id: string, _opts, cmd: Command) => {
      const { client, org } = connect(cmd, io);
      const w = await client.json('DELETE', `/api/v1/orgs/${enc(org)}/webhooks/${enc(id)}`, WebhookSchema);
      io.out(`removed webhook ${w.id} (${w.url})`);
    });

  hooks
    .command('rotate-secret <id>')
    .description('issue a new signing secret (printed once); the old one keeps signing during --grace')
    .option('--grace <duration>', 'how long the old secret still signs, e.g. 0, 30m, 24h, 7d (default: the server\'s setting)')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { grace?: string; json?: boolean }, cmd: Command) => {
      const body = opts.grace !== undefined ? { graceSeconds: parseGrace(opts.grace) } : {};
      const { client, org } = connect(cmd, io);
      const r = await client.json('POST', `/api/v1/orgs/${enc(org)}/webhooks/${enc(id)}/rotate-secret`, RotatedWebhookSecretSchema, body);
      if (opts.json) return printJson(io, r);
      io.err(`new secret for webhook ${r.id}${r.previousSecretExpiresAt ? `; the old one also signs until ${r.previousSecretExpiresAt}` : '; the old one no longer signs'}. It is shown only now:`);
      io.out(r.secret);
    });

  hooks
    .command('ping <id>')
    .description('send a test event (webhook.pinged) to the subscription, whatever its filters')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const { client, org } = connect(cmd, io);
      const d = await client.json('POST', `/api/v1/orgs/${enc(org)}/webhooks/${enc(id)}/ping`, WebhookDeliverySchema);
      if (opts.json) return printJson(io, d);
      io.out(`queued ping delivery ${d.id}; see \`steward webhooks delivery ${d.id}\``);
    });

  hooks
    .command('deliveries')
    .description('the delivery log, newest first')
    .option('--status <status>', `only ${DeliveryStatusSchema.options.join('|')}`)
    .option('--webhook <id>', 'only this subscription\'s deliveries')
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'machine-readable output')
    .action(async (opts: { status?: string; webhook?: string; limit: string; json?: boolean }, cmd: Command) => {
      if (opts.status !== undefined && !DeliveryStatusSchema.safeParse(opts.status).success) {
        throw new CliError(`--status must be one of ${DeliveryStatusSchema.options.join(', ')}, not "${opts.status}"`, 2);
      }
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new CliError(`--limit must be a positive integer, not "${opts.limit}"`, 2);
      const { client, org } = connect(cmd, io);
      const items: Delivery[] = [];
      let cursor: string | null = null;
      do {
        const q = new URLSearchParams({ limit: String(Math.min(500, limit - items.length)) });
        if (opts.status) q.set('status', opts.status);
        if (opts.webhook) q.set('webhook', opts.webhook);
        if (cursor) q.set('cursor', cursor);
        const page: { items: Delivery[]; nextCursor: string | null } = await client.json('GET', `/api/v1/orgs/${enc(org)}/webhook-deliveries?${q}`, pageOf(WebhookDeliverySchema));
        items.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor && items.length < limit);
      if (opts.json) return printJson(io, items);
      for (const line of table(deliveryRows(items))) io.out(line);
    });

  hooks
    .command('delivery <id>')
    .description('one delivery: its payload and every attempt')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const { client, org } = connect(cmd, io);
      const d = await client.json('GET', `/api/v1/orgs/${enc(org)}/webhook-deliveries/${enc(id)}`, WebhookDeliveryDetailSchema);
      if (opts.json) return printJson(io, d);
      for (const line of table([
        ['id', d.id],
        ['webhook', `${d.webhookId} (${d.url})`],
        ['event', `${d.eventType} (audit event ${d.eventId})`],
        ['status', d.status + (d.nextAttemptAt ? `, next attempt at ${d.nextAttemptAt}` : '')],
        ...(d.replayOf ? [['replay of', d.replayOf]] : []),
        ['created', d.createdAt],
      ]))
        io.out(line);
      io.out('');
      if (d.attemptLog.length === 0) io.out('no attempts yet');
      else
        for (const line of table([
          ['ATTEMPT', 'AT', 'RESULT', 'MS', 'OUTCOME'],
          ...d.attemptLog.map((a) => [String(a.attempt), a.startedAt, a.statusCode !== null ? `HTTP ${a.statusCode}` : (a.error ?? '-'), String(a.durationMs), a.outcome]),
        ]))
          io.out(line);
      io.out('');
      io.out(JSON.stringify(d.payload, null, 2));
    });

  hooks
    .command('replay <id>')
    .description('send a delivery again (a new delivery referencing it)')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const { client, org } = connect(cmd, io);
      const d = await client.json('POST', `/api/v1/orgs/${enc(org)}/webhook-deliveries/${enc(id)}/replay`, WebhookDeliverySchema);
      if (opts.json) return printJson(io, d);
      io.out(`queued delivery ${d.id}, a replay of ${id}`);
    });
}
