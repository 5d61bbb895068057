import type { Command } from 'commander';
import { z } from 'zod';
import { ALERT_STATES, AlertSchema, IncidentSchema, NameSchema, type Alert } from '@steward/domain';
import { enc } from '../client.js';
import { connect } from '../command.js';
import { CliError } from '../errors.js';
import { type Io, printJson, table } from '../output.js';

function printAlert(io: Io, a: Alert): void {
  const f = a.figures as { outcome?: string; detail?: string | null; condition?: string; window?: { from: string; to: string } };
  for (const line of table([
    ['alert', a.id],
    ['rule', `${a.rule} (${a.severity})${a.blocksPromotion ? ', blocks promotion while firing' : ''}`],
    ['deployment', `${a.model}@${a.version} in ${a.ring}/${a.environment}`],
    ['state', `${a.state} since ${a.stateSince}`],
    ...(a.firedAt ? [['fired', a.firedAt]] : []),
    ...(a.resolvedAt ? [['resolved', a.resolvedAt]] : []),
    ...(f.condition ? [['condition', f.condition]] : []),
    ...(f.window ? [['window', `${f.window.from} .. ${f.window.to}`]] : []),
    ...(f.detail ? [['detail', f.detail]] : []),
    ...(a.acknowledged ? [['acknowledged', `${a.acknowledged.at} by ${a.acknowledged.by}`]] : []),
    ...(a.silenced ? [['silenced', `until ${a.silenced.until} by ${a.silenced.by}: ${a.silenced.reason}`]] : []),
    ['policy set', a.policySet],
  ]))
    io.out(line);
}

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

export function register(program: Command, io: Io): void {
  const alerts = program
    .command('alerts')
    .description('alerts of the org: open ones (pending, firing, no data, error), or --all')
    .option('--model <name>', 'only this model\'s')
    .option('--state <state>', `only ${ALERT_STATES.join('|')}`)
    .option('--all', 'resolved (normal) instances too')
    .option('--json', 'machine-readable output')
    .action(async (opts: { model?: string; state?: string; all?: boolean; json?: boolean }, cmd: Command) => {
      if (opts.state && !(ALERT_STATES as readonly string[]).includes(opts.state)) throw new CliError(`--state must be one of ${ALERT_STATES.join(', ')}`, 2);
      if (opts.model && !NameSchema.safeParse(opts.model).success) throw new CliError(`--model: "${opts.model}" is not a model name`, 2);
      const { client, org } = connect(cmd, io);
      const q = new URLSearchParams({ ...(opts.model ? { model: opts.model } : {}), ...(opts.state ? { state: opts.state } : {}), ...(opts.all ? { all: 'true' } : {}) });
      const r = await client.json('GET', `/api/v1/orgs/${enc(org)}/alerts?${q}`, z.object({ items: z.array(AlertSchema) }));
      if (opts.json) return printJson(io, r.items);
      if (r.items.length === 0) return io.out('no alerts');
      for (const line of table([['ID', 'RULE', 'STATE', 'SEVERITY', 'MODEL', 'RING/ENV', 'SINCE'], ...r.items.map((a) => [a.id, a.rule, a.state + (a.acknowledged ? ' (acked)' : '') + (a.silenced ? ' (silenced)' : ''), a.severity, `${a.model}@${a.version}`, `${a.ring}/${a.environment}`, a.stateSince])])) io.out(line);
    });

  alerts
    .command('ack <id>')
    .description('acknowledge a pending or firing alert (someone is on it)')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const { client, org } = connect(cmd, io);
      const a = await client.json('POST', `/api/v1/orgs/${enc(org)}/alerts/${enc(id)}/ack`, AlertSchema, {});
      if (opts.json) return printJson(io, a);
      printAlert(io, a);
    });

  alerts
    .command('silence <id>')
    .description('silence an alert until a time (its transitions are still recorded; nobody is notified)')
    .option('--until <time>', 'ISO time the silence ends')
    .option('--for <length>', 'or a length from now: 30m, 4h, 2d')
    .requiredOption('--reason <text>', 'why (recorded in the audit ledger)')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { until?: string; for?: string; reason: string; json?: boolean }, cmd: Command) => {
      if (Boolean(opts.until) === Boolean(opts.for)) throw new CliError('give exactly one of --until or --for', 2);
      let until: string;
      if (opts.for) {
        const m = /^(\d+)([mhd])$/.exec(opts.for);
        if (!m) throw new CliError(`--for: "${opts.for}" is not a length such as 30m, 4h or 2d`, 2);
        until = new Date(Date.now() + Number(m[1]) * UNIT_MS[m[2]!]!).toISOString();
      } else {
        if (!Number.isFinite(Date.parse(opts.until!))) throw new CliError(`--until: "${opts.until}" is not a time`, 2);
        until = new Date(opts.until!).toISOString();
      }
      const { client, org } = connect(cmd, io);
      const a = await client.json('POST', `/api/v1/orgs/${enc(org)}/alerts/${enc(id)}/silence`, AlertSchema, { until, reason: opts.reason });
      if (opts.json) return printJson(io, a);
      printAlert(io, a);
    });

  alerts
    .command('show <id>')
    .description('one alert with the figures that last decided it')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const { client, org } = connect(cmd, io);
      const r = await client.json('GET', `/api/v1/orgs/${enc(org)}/alerts?all=true`, z.object({ items: z.array(AlertSchema) }));
      const a = r.items.find((x) => x.id === id || x.id.startsWith(id));
      if (!a) throw new CliError(`alert ${id} not found`, 1);
      if (opts.json) return printJson(io, a);
      printAlert(io, a);
      io.out('');
      io.out(JSON.stringify((a.figures as { figures?: unknown }).figures ?? {}, null, 2));
    });

  program
    .command('incidents')
    .description('incidents of the org (opened by alert rules with the `incident` action), newest first')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { client, org } = connect(cmd, io);
      const r = await client.json('GET', `/api/v1/orgs/${enc(org)}/incidents`, z.object({ items: z.array(IncidentSchema) }));
      if (opts.json) return printJson(io, r.items);
      if (r.items.length === 0) return io.out('no incidents');
      for (const line of table([['ID', 'STATUS', 'SEVERITY', 'OPENED', 'BY', 'TITLE'], ...r.items.map((i) => [i.id, i.status, i.severity, i.openedAt, i.openedBy, i.title])])) io.out(line);
    });
}
