import type { Command } from 'commander';
import { z } from 'zod';
import { RingAtResponseSchema, RingHistoryEntrySchema, RingPointerSchema, parseModelRef } from '@steward/domain';
import { enc } from '../client.js';
import { connect, parseArg } from '../command.js';
import { CliError } from '../errors.js';
import { type Io, printJson, table } from '../output.js';
import { listAll } from './list.js';

function model(text: string, where: string) {
  return parseArg(() => parseModelRef(text, where));
}

export function register(program: Command, io: Io): void {
  const rings = program.command('rings').description('release ring pointers of a model');
  rings
    .command('list <model>')
    .description('where each ring of ORG/NAME points now')
    .option('--json', 'machine-readable output')
    .action(async (modelText: string, opts: { json?: boolean }, cmd: Command) => {
      const m = model(modelText, 'rings list');
      const { client } = connect(cmd, io);
      const r = await client.json('GET', `/api/v1/orgs/${enc(m.org)}/models/${enc(m.model)}/rings`, z.object({ items: z.array(RingPointerSchema) }));
      if (opts.json) return printJson(io, r.items);
      for (const line of table([['RING', 'VERSION', 'SINCE'], ...r.items.map((p) => [p.ring, p.version ?? '-', p.movedAt ?? '-'])])) io.out(line);
    });
  rings
    .command('set <model>')
    .description('point a ring of ORG/NAME at a version (maintainers)')
    .requiredOption('--ring <ring>', 'ring name, e.g. production')
    .requiredOption('--version <semver>', 'version to point at')
    .option('--reason <text>', 'why (recorded in history and audit)')
    .action(async (modelText: string, opts: { ring: string; version: string; reason?: string }, cmd: Command) => {
      const m = model(modelText, 'rings set');
      const { client } = connect(cmd, io);
      const e = await client.json('PUT', `/api/v1/orgs/${enc(m.org)}/models/${enc(m.model)}/rings/${enc(opts.ring)}`, RingHistoryEntrySchema, { version: opts.version, ...(opts.reason ? { reason: opts.reason } : {}) });
      io.out(`${m.org}/${m.model} ${e.ring}: ${e.previousVersion ?? '-'} -> ${e.version}`);
    });
  program
    .command('rollback <model>')
    .description('move a ring of ORG/NAME back to the version it held before the current one')
    .requiredOption('--ring <ring>', 'ring name, e.g. production')
    .option('--reason <text>', 'why (recorded in history and audit)')
    .action(async (modelText: string, opts: { ring: string; reason?: string }, cmd: Command) => {
      const m = model(modelText, 'rollback');
      const { client } = connect(cmd, io);
      const e = await client.json('POST', `/api/v1/orgs/${enc(m.org)}/models/${enc(m.model)}/rings/${enc(opts.ring)}/rollback`, RingHistoryEntrySchema, opts.reason ? { reason: opts.reason } : {});
      io.out(`${m.org}/${m.model} ${e.ring}: rolled back ${e.previousVersion ?? '-'} -> ${e.version ?? '-'}`);
    });
  program
    .command('history <model>')
    .description('the history of a ring of ORG/NAME; with --at, the version it pointed at then')
    .requiredOption('--ring <ring>', 'ring name, e.g. production')
    .option('--at <time>', 'ISO-8601 time: which version was in the ring at that moment')
    .option('--json', 'machine-readable output')
    .action(async (modelText: string, opts: { ring: string; at?: string; json?: boolean }, cmd: Command) => {
      const m = model(modelText, 'history');
      if (opts.at !== undefined && Number.isNaN(Date.parse(opts.at))) throw new CliError(`--at: "${opts.at}" is not an ISO-8601 time`, 2);
      const { client } = connect(cmd, io);
      const base = `/api/v1/orgs/${enc(m.org)}/models/${enc(m.model)}/rings/${enc(opts.ring)}/history`;
      if (opts.at !== undefined) {
        const r = await client.json('GET', `${base}?at=${enc(opts.at)}`, RingAtResponseSchema);
        if (opts.json) return printJson(io, r);
        io.out(r.version ? `${r.version}` : `(no version in ${r.ring} at ${r.at})`);
        if (r.entry) io.err(`since ${r.entry.movedAt} (${r.entry.kind} by ${r.entry.movedBy}${r.entry.reason ? `: ${r.entry.reason}` : ''})`);
        return;
      }
      const items = await listAll(client, base, RingHistoryEntrySchema);
      if (opts.json) return printJson(io, items);
      for (const line of table([
        ['WHEN', 'VERSION', 'FROM', 'KIND', 'BY', 'REASON'],
        ...items.map((e) => [e.movedAt, e.version ?? '-', e.previousVersion ?? '-', e.kind, e.movedBy, e.reason ?? '']),
      ]))
        io.out(line);
    });
}
