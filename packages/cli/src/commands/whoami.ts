import type { Command } from 'commander';
import { WhoAmISchema } from '@steward/domain';
import { connect } from '../command.js';
import { type Io, printJson } from '../output.js';

export function register(program: Command, io: Io): void {
  program
    .command('whoami')
    .description('show the user and token in use')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { client } = connect(cmd, io);
      const me = await client.json('GET', '/api/v1/whoami', WhoAmISchema);
      if (opts.json) return printJson(io, me);
      io.out(`${me.user.name} (token ${me.token.name}${me.token.expiresAt ? `, expires ${me.token.expiresAt}` : ''})`);
      for (const o of me.orgs) io.out(`  ${o.name}: ${o.role}`);
    });
}
