import type { Command } from 'commander';
import { z } from 'zod';
import { RoleSchema, UserSchema } from '@steward/domain';
import { connect } from '../command.js';
import { enc } from '../client.js';
import { CliError } from '../errors.js';
import { type Io, printJson, table } from '../output.js';

export function register(program: Command, io: Io): void {
  const users = program.command('users').description('manage the members of an org');
  users
    .command('create <name>')
    .description('create a user (or add an existing one) with a role in the org')
    .requiredOption('--role <role>', `one of ${RoleSchema.options.join(', ')}`)
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { role: string; json?: boolean }, cmd: Command) => {
      const role = RoleSchema.safeParse(opts.role);
      if (!role.success) throw new CliError(`--role: "${opts.role}" is not a role; use one of ${RoleSchema.options.join(', ')}`, 2);
      const { client, org } = connect(cmd, io);
      const u = await client.json('POST', `/api/v1/orgs/${enc(org)}/users`, UserSchema, { name, role: role.data });
      if (opts.json) return printJson(io, u);
      io.out(`created user ${u.name} with role ${u.role} in org ${org}`);
      io.out(`issue a token for them with: steward tokens create --user ${u.name} --name NAME`);
    });
  users
    .command('list')
    .description('list the members of the org')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { client, org } = connect(cmd, io);
      const r = await client.json('GET', `/api/v1/orgs/${enc(org)}/users`, z.object({ items: z.array(UserSchema) }));
      if (opts.json) return printJson(io, r.items);
      for (const line of table([['USER', 'ROLE', 'SINCE'], ...r.items.map((u) => [u.name, u.role, u.createdAt])])) io.out(line);
    });
}
