import type { Command } from 'commander';
import { z } from 'zod';
import { AllowlistEntrySchema, AllowlistEntryTextSchema } from '@steward/domain';
import { enc } from '../client.js';
import { connect } from '../command.js';
import { CliError } from '../errors.js';
import { type Io, printJson, table } from '../output.js';

function entry(text: string): string {
  const r = AllowlistEntryTextSchema.safeParse(text);
  if (!r.success) throw new CliError(`"${text}": ${r.error.issues[0]?.message}`, 2);
  return text;
}

export function register(program: Command, io: Io): void {
  const allow = program.command('allowlist').description('the org\'s additions to the scanner\'s pickle import allowlist');
  allow
    .command('list')
    .description('list the org\'s allowlist entries')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { client, org } = connect(cmd, io);
      const r = await client.json('GET', `/api/v1/orgs/${enc(org)}/scanner/allowlist`, z.object({ items: z.array(AllowlistEntrySchema) }));
      if (opts.json) return printJson(io, r.items);
      for (const line of table([['ENTRY', 'ADDED BY', 'AT', 'REASON'], ...r.items.map((e) => [e.entry, e.addedBy, e.addedAt, e.reason])])) io.out(line);
    });
  allow
    .command('add <entry>')
    .description('treat a pickle import (module.name or module.*) as safe in this org (admins); then `steward rescan`')
    .requiredOption('--reason <text>', 'why it is safe (recorded and audited)')
    .action(async (text: string, opts: { reason: string }, cmd: Command) => {
      const e = entry(text);
      const { client, org } = connect(cmd, io);
      await client.json('POST', `/api/v1/orgs/${enc(org)}/scanner/allowlist`, AllowlistEntrySchema, { entry: e, reason: opts.reason });
      io.out(`allowed ${e} in org ${org}; rescan versions to apply it`);
    });
  allow
    .command('remove <entry>')
    .description('remove an allowlist entry (admins)')
    .action(async (text: string, _opts, cmd: Command) => {
      const e = entry(text);
      const { client, org } = connect(cmd, io);
      await client.json('DELETE', `/api/v1/orgs/${enc(org)}/scanner/allowlist/${enc(e)}`, z.object({ entry: z.string(), removed: z.literal(true) }));
      io.out(`removed ${e} from the allowlist of org ${org}`);
    });
}
