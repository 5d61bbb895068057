import type { Command } from 'commander';
import { ModelSchema, VersionSummarySchema, pageOf, parseModelRef } from '@steward/domain';
import type { z } from 'zod';
import { enc, type StewardClient } from '../client.js';
import { connect, parseArg } from '../command.js';
import { type Io, formatBytes, printJson, table } from '../output.js';

/** Follows nextCursor until the listing is complete. */
export async function listAll<T>(client: StewardClient, path: string, item: z.ZodType<T>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page: { items: T[]; nextCursor: string | null } = await client.json('GET', `${path}${sep}limit=500${cursor ? `&cursor=${enc(cursor)}` : ''}`, pageOf(item) as unknown as z.ZodType<{ items: T[]; nextCursor: string | null }>);
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

export function register(program: Command, io: Io): void {
  program
    .command('models')
    .description('list the models of the org')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { client, org } = connect(cmd, io);
      const models = await listAll(client, `/api/v1/orgs/${enc(org)}/models`, ModelSchema);
      if (opts.json) return printJson(io, models);
      const ringCols = [...new Set(models.flatMap((m) => Object.keys(m.rings)))];
      for (const line of table([
        ['MODEL', 'LATEST', ...ringCols.map((r) => r.toUpperCase()), 'RISK', 'OWNERS'],
        ...models.map((m) => [`${m.org}/${m.name}`, m.latestVersion ?? '-', ...ringCols.map((r) => m.rings[r] ?? '-'), m.riskTier ?? '-', m.owners.join(',')]),
      ]))
        io.out(line);
    });
  program
    .command('versions <model>')
    .description('list the versions of ORG/NAME, newest first')
    .option('--json', 'machine-readable output')
    .action(async (modelText: string, opts: { json?: boolean }, cmd: Command) => {
      const m = parseArg(() => parseModelRef(modelText, 'versions'));
      const { client } = connect(cmd, io);
      const versions = await listAll(client, `/api/v1/orgs/${enc(m.org)}/models/${enc(m.model)}/versions`, VersionSummarySchema);
      if (opts.json) return printJson(io, versions);
      for (const line of table([
        ['VERSION', 'FILES', 'SIZE', 'RINGS', 'PUSHED', 'BY', 'MANIFEST'],
        ...versions.map((v) => [v.version, String(v.fileCount), formatBytes(v.totalSize), v.rings.join(',') || '-', v.createdAt, v.createdBy, `sha256:${v.manifestDigest.slice(0, 16)}…`]),
      ]))
        io.out(line);
    });
}
