import type { Command } from 'commander';
import { z } from 'zod';
import { OrgSchema } from '@steward/domain';
import { connect } from '../command.js';
import { type Io, printJson, table } from '../output.js';

export function register(program: Command, io: Io): void {
  program
    .command('orgs')
    .description('list the orgs you belong to and your role in each')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { client } = connect(cmd, io);
      const r = await client.json('GET', '/api/v1/orgs', z.object({ items: z.array(OrgSchema) }));
      if (opts.json) return printJson(io, r.items);
      for (const line of table([['ORG', 'ROLE', 'CREATED'], ...r.items.map((o) => [o.name, o.role, o.createdAt])])) io.out(line);
    });
}
