import type { Command } from 'commander';
import { z } from 'zod';
import { ModelRoleGrantSchema, ModelRoleSchema, parseModelRef } from '@steward/domain';
import { connect, parseArg } from '../command.js';
import { enc } from '../client.js';
import { CliError } from '../errors.js';
import { type Io, printJson, table } from '../output.js';

/** `steward models grant|revoke|grants`: per-model roles (docs/authorization.md). */
export function register(program: Command, io: Io): void {
  const models = program.commands.find((c) => c.name() === 'models') ?? program.command('models').description('models of the org');
  models
    .command('grant <model> <user>')
    .description('give a member a role on ORG/NAME: owner, maintainer or contributor (model owners, org admins)')
    .requiredOption('--role <role>', `one of ${ModelRoleSchema.options.join(', ')}`)
    .option('--json', 'machine-readable output')
    .action(async (modelText: string, user: string, opts: { role: string; json?: boolean }, cmd: Command) => {
      const m = parseArg(() => parseModelRef(modelText, 'models grant'));
      const role = ModelRoleSchema.safeParse(opts.role);
      if (!role.success) throw new CliError(`--role: "${opts.role}" is not a model role; use one of ${ModelRoleSchema.options.join(', ')}`, 2);
      const { client } = connect(cmd, io);
      const g = await client.json('PUT', `/api/v1/orgs/${enc(m.org)}/models/${enc(m.model)}/roles/${enc(user)}`, ModelRoleGrantSchema, { role: role.data });
      if (opts.json) return printJson(io, g);
      io.out(`${g.user} is now ${g.role} of ${g.model}`);
    });
  models
    .command('revoke <model> <user>')
    .description('remove a member\'s role on ORG/NAME (model owners, org admins)')
    .action(async (modelText: string, user: string, _opts, cmd: Command) => {
      const m = parseArg(() => parseModelRef(modelText, 'models revoke'));
      const { client } = connect(cmd, io);
      const r = await client.json('DELETE', `/api/v1/orgs/${enc(m.org)}/models/${enc(m.model)}/roles/${enc(user)}`, z.object({ model: z.string(), user: z.string(), role: ModelRoleSchema }));
      io.out(`${r.user} is no longer ${r.role} of ${r.model}`);
    });
  models
    .command('grants <model>')
    .description('list who holds which role on ORG/NAME')
    .option('--json', 'machine-readable output')
    .action(async (modelText: string, opts: { json?: boolean }, cmd: Command) => {
      const m = parseArg(() => parseModelRef(modelText, 'models grants'));
      const { client } = connect(cmd, io);
      const r = await client.json('GET', `/api/v1/orgs/${enc(m.org)}/models/${enc(m.model)}/roles`, z.object({ items: z.array(ModelRoleGrantSchema) }));
      if (opts.json) return printJson(io, r.items);
      for (const line of table([['USER', 'ROLE', 'GRANTED BY', 'AT'], ...r.items.map((g) => [g.user, g.role, g.grantedBy, g.grantedAt])])) io.out(line);
    });
}
