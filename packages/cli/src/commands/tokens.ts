import type { Command } from 'commander';
import { z } from 'zod';
import { CreatedTokenSchema, TokenSchema, TokenScopeSchema, parseModelRef } from '@steward/domain';
import { collect, connect, parseArg } from '../command.js';
import { enc } from '../client.js';
import { CliError } from '../errors.js';
import { type Io, printJson, table } from '../output.js';

/** `30d`, `12h`, `90m` or an ISO-8601 time. */
export function parseExpiry(value: string, now = new Date()): string {
  const m = /^(\d+)([dhm])$/.exec(value);
  if (m) {
    const n = Number(m[1]);
    const ms = m[2] === 'd' ? n * 86_400_000 : m[2] === 'h' ? n * 3_600_000 : n * 60_000;
    if (n <= 0) throw new CliError(`--expires: "${value}" must be positive`, 2);
    return new Date(now.getTime() + ms).toISOString();
  }
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new CliError(`--expires: "${value}" is neither a duration (30d, 12h, 90m) nor an ISO-8601 time`, 2);
  return new Date(t).toISOString();
}

export function register(program: Command, io: Io): void {
  const tokens = program.command('tokens').description('manage API tokens');
  tokens
    .command('create')
    .description('issue a token (printed once; only its hash is stored)')
    .requiredOption('--name <name>', 'what the token is for, e.g. "ci"')
    .option('--user <user>', 'issue it to another member (admins)')
    .option('--expires <when>', 'expiry: a duration such as 30d, 12h, 90m, or an ISO-8601 time')
    .option('--scope <scope>', `narrow the token to a scope (repeatable): ${TokenScopeSchema.options.join(', ')}`, collect)
    .option('--model <model>', 'narrow the token to a model, ORG/NAME (repeatable)', collect)
    .option('--ci', 'a token for a CI pipeline (org admins issue these; rings may accept promotions from CI tokens only)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { name: string; user?: string; expires?: string; scope?: string[]; model?: string[]; ci?: boolean; json?: boolean }, cmd: Command) => {
      const scopes = (opts.scope ?? []).map((x) => {
        const r = TokenScopeSchema.safeParse(x);
        if (!r.success) throw new CliError(`--scope: "${x}" is not a scope; use one of ${TokenScopeSchema.options.join(', ')}`, 2);
        return r.data;
      });
      const models = (opts.model ?? []).map((m) => {
        const ref = parseArg(() => parseModelRef(m, '--model'));
        return `${ref.org}/${ref.model}`;
      });
      const body = {
        name: opts.name,
        ...(opts.user ? { user: opts.user } : {}),
        ...(opts.expires ? { expiresAt: parseExpiry(opts.expires) } : {}),
        ...(scopes.length > 0 ? { scopes } : {}),
        ...(models.length > 0 ? { models } : {}),
        ...(opts.ci ? { ci: true } : {}),
      };
      const { client, org } = connect(cmd, io);
      const t = await client.json('POST', `/api/v1/orgs/${enc(org)}/tokens`, CreatedTokenSchema, body);
      if (opts.json) return printJson(io, t);
      const narrowed = [t.scopes ? `scopes ${t.scopes.join(',')}` : '', t.models ? `models ${t.models.join(',')}` : '', t.ci ? 'CI' : ''].filter(Boolean).join('; ');
      io.err(`token ${t.id} for ${t.user}${t.expiresAt ? `, expires ${t.expiresAt}` : ''}${narrowed ? ` (${narrowed})` : ''}; it is shown only now:`);
      io.out(t.token);
    });
  tokens
    .command('list')
    .description('list tokens (yours; admins see every member\'s)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { client, org } = connect(cmd, io);
      const r = await client.json('GET', `/api/v1/orgs/${enc(org)}/tokens`, z.object({ items: z.array(TokenSchema) }));
      if (opts.json) return printJson(io, r.items);
      const state = (t: z.infer<typeof TokenSchema>) => (t.revokedAt ? 'revoked' : t.expiresAt && Date.parse(t.expiresAt) <= Date.now() ? 'expired' : 'active');
      for (const line of table([
        ['ID', 'NAME', 'USER', 'PREFIX', 'STATE', 'EXPIRES', 'LAST USED', 'SCOPES', 'MODELS', 'CI'],
        ...r.items.map((t) => [t.id, t.name, t.user, t.prefix, state(t), t.expiresAt ?? 'never', t.lastUsedAt ?? 'never', t.scopes?.join(',') ?? 'all', t.models?.join(',') ?? 'all', t.ci ? 'yes' : 'no']),
      ]))
        io.out(line);
    });
  tokens
    .command('revoke <id>')
    .description('revoke a token by id or prefix')
    .action(async (id: string, _opts, cmd: Command) => {
      const { client, org } = connect(cmd, io);
      const r = await client.json('DELETE', `/api/v1/orgs/${enc(org)}/tokens/${enc(id)}`, z.object({ id: z.string(), revokedAt: z.string() }));
      io.out(`revoked token ${r.id} at ${r.revokedAt}`);
    });
}
