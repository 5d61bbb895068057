import type { Command } from 'commander';
import { ModelSchema, RiskTierSchema, parseModelRef } from '@steward/domain';
import { enc } from '../client.js';
import { collect, connect, parseArg } from '../command.js';
import { CliError } from '../errors.js';
import { type Io, printJson } from '../output.js';

export function register(program: Command, io: Io): void {
  program
    .command('update <model>')
    .description('edit the metadata of ORG/NAME: description, risk tier, owners, tags (maintainers)')
    .option('--description <text>', 'new description')
    .option('--risk-tier <tier>', `${RiskTierSchema.options.join('|')}, or "none" to clear`)
    .option('--owner <user>', 'owner (org member); repeatable; replaces the list', collect, [])
    .option('--tag <tag>', 'tag; repeatable; replaces the list', collect, [])
    .option('--json', 'machine-readable output')
    .action(async (modelText: string, opts: { description?: string; riskTier?: string; owner: string[]; tag: string[]; json?: boolean }, cmd: Command) => {
      const m = parseArg(() => parseModelRef(modelText, 'update'));
      if (opts.riskTier && opts.riskTier !== 'none' && !RiskTierSchema.safeParse(opts.riskTier).success) {
        throw new CliError(`--risk-tier: "${opts.riskTier}" is not one of ${RiskTierSchema.options.join(', ')} or none`, 2);
      }
      const patch = {
        ...(opts.description !== undefined ? { description: opts.description } : {}),
        ...(opts.riskTier !== undefined ? { riskTier: opts.riskTier === 'none' ? null : opts.riskTier } : {}),
        ...(opts.owner.length ? { owners: opts.owner } : {}),
        ...(opts.tag.length ? { tags: opts.tag } : {}),
      };
      if (Object.keys(patch).length === 0) throw new CliError('nothing to update: give --description, --risk-tier, --owner or --tag', 2);
      const { client } = connect(cmd, io);
      const model = await client.json('PATCH', `/api/v1/orgs/${enc(m.org)}/models/${enc(m.model)}`, ModelSchema, patch);
      if (opts.json) return printJson(io, model);
      io.out(`updated ${model.org}/${model.name}: owners ${model.owners.join(', ') || '-'}; risk tier ${model.riskTier ?? '-'}; tags ${model.tags.join(', ') || '-'}`);
    });
}
