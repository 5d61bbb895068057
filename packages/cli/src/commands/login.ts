import type { Command } from 'commander';
import { WhoAmISchema } from '@steward/domain';
import { StewardClient } from '../client.js';
import { removeCredentials, resolveTarget, writeCredentials } from '../config.js';
import type { Io } from '../output.js';

export function register(program: Command, io: Io): void {
  program
    .command('login')
    .description('check a server URL and token, and remember them for later commands')
    .action(async (_opts, cmd: Command) => {
      const g = cmd.optsWithGlobals() as { server?: string; token?: string; org?: string };
      const target = resolveTarget(g);
      const client = new StewardClient(target);
      const me = await client.json('GET', '/api/v1/whoami', WhoAmISchema);
      const file = writeCredentials({ server: target.server, token: target.token, ...(g.org ? { org: g.org } : {}) });
      io.out(`logged in to ${target.server} as ${me.user.name} (orgs: ${me.orgs.map((o) => `${o.name}:${o.role}`).join(', ') || 'none'})`);
      io.err(`credentials saved to ${file}`);
    });
  program
    .command('logout')
    .description('forget the saved server and token')
    .action(() => {
      io.out(removeCredentials() ? 'logged out' : 'no saved credentials');
    });
}
