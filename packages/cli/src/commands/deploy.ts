import type { Command } from 'commander';
import { z } from 'zod';
import { DeploymentSchema, EnvironmentNameSchema, RingNameSchema, parseModelRef, parseModelVersionRef, type Deployment } from '@steward/domain';
import { enc } from '../client.js';
import { connect, parseArg } from '../command.js';
import { CliError } from '../errors.js';
import { type Io, printJson, table } from '../output.js';

export function printDeployment(io: Io, d: Deployment): void {
  for (const line of table([
    ['deployment', d.id],
    ['model', `${d.model}@${d.version}`],
    ['ring', `${d.ring}${d.inRing ? '' : ' (the ring no longer points at this version)'}`],
    ['environment', d.environment],
    ['source', d.source],
    ['reference', d.reference === null ? 'default (the version\'s evaluated_on, else trained_on, dataset profile)' : d.reference.kind === 'dataset' ? `dataset ${d.reference.dataset}` : `baseline ${d.reference.from} .. ${d.reference.to}`],
    ['last seen', d.lastSeenAt ?? 'never'],
    ...(d.flaggedPoints > 0 ? [['flagged points', `${d.flaggedPoints} (${d.lastFlag ?? ''})`]] : []),
  ]))
    io.out(line);
}

function checked<T>(schema: z.ZodType<T>, value: string, flag: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new CliError(`${flag}: "${value}" ${r.error.issues[0]?.message}`, 2);
  return r.data;
}

export function register(program: Command, io: Io): void {
  program
    .command('deploy <model@version>')
    .description('register a deployment: a version serving in a ring and environment, with its drift reference')
    .requiredOption('--ring <ring>', 'the ring it serves in')
    .option('--env <environment>', 'environment', 'production')
    .option('--reference-dataset <name@version>', 'a dataset version with a profile (`steward profile`) as the drift reference')
    .option('--baseline <from..to>', 'a window of this deployment\'s own traffic as the drift reference (ISO times)')
    .option('--json', 'machine-readable output')
    .action(async (ref: string, opts: { ring: string; env: string; referenceDataset?: string; baseline?: string; json?: boolean }, cmd: Command) => {
      const r = parseArg(() => parseModelVersionRef(ref, 'deploy'));
      if (r.kind !== 'version') throw new CliError(`deploy: name the version serving (ORG/NAME@VERSION), not the ring "${r.ref}"`, 2);
      checked(RingNameSchema, opts.ring, '--ring');
      checked(EnvironmentNameSchema, opts.env, '--env');
      if (opts.referenceDataset && opts.baseline) throw new CliError('--reference-dataset and --baseline exclude each other', 2);
      let baseline: { baselineFrom: string; baselineTo: string } | undefined;
      if (opts.baseline) {
        const [from, to] = opts.baseline.split('..');
        if (!from || !to || !Number.isFinite(Date.parse(from)) || !Number.isFinite(Date.parse(to))) throw new CliError(`--baseline: expected FROM..TO (ISO times), got "${opts.baseline}"`, 2);
        baseline = { baselineFrom: new Date(from).toISOString(), baselineTo: new Date(to).toISOString() };
      }
      const { client } = connect(cmd, io);
      const body = { version: r.ref, ring: opts.ring, environment: opts.env, ...(opts.referenceDataset ? { referenceDataset: opts.referenceDataset } : {}), ...(baseline ?? {}) };
      const res = await client.json('POST', `/api/v1/orgs/${enc(r.org)}/models/${enc(r.model)}/deployments`, z.object({ created: z.boolean(), deployment: DeploymentSchema }), body);
      if (opts.json) return printJson(io, res);
      io.err(res.created ? 'registered' : 'updated');
      printDeployment(io, res.deployment);
    });

  program
    .command('deployments <model>')
    .description('the model\'s deployments (registered, or implied by telemetry), most recently seen first')
    .option('--json', 'machine-readable output')
    .action(async (ref: string, opts: { json?: boolean }, cmd: Command) => {
      const m = parseArg(() => parseModelRef(ref));
      const { client } = connect(cmd, io);
      const res = await client.json('GET', `/api/v1/orgs/${enc(m.org)}/models/${enc(m.model)}/deployments`, z.object({ items: z.array(DeploymentSchema) }));
      if (opts.json) return printJson(io, res.items);
      if (res.items.length === 0) return io.out(`${ref} has no deployments; register one with \`steward deploy\` or send telemetry`);
      for (const line of table([['VERSION', 'RING', 'ENV', 'SOURCE', 'IN RING', 'LAST SEEN', 'FLAGGED'], ...res.items.map((d) => [d.version, d.ring, d.environment, d.source, d.inRing ? 'yes' : 'no', d.lastSeenAt ?? '-', String(d.flaggedPoints)])])) io.out(line);
    });
}
