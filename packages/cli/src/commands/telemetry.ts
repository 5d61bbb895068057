import fs from 'node:fs';
import readline from 'node:readline';
import type { Command } from 'commander';
import { z } from 'zod';
import { DatasetProfileSchema, EnvironmentNameSchema, IngestResultSchema, RingNameSchema, SemverSchema, TelemetryRecordSchema, TelemetrySamplesSchema, parseDatasetRef, parseModelRef, type TelemetryRecord } from '@steward/domain';
import { enc } from '../client.js';
import { connect, parseArg } from '../command.js';
import { CliError } from '../errors.js';
import { type Io, printJson } from '../output.js';
import { profileFile } from '../profile.js';

function checked<T>(schema: z.ZodType<T>, value: string, flag: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new CliError(`${flag}: "${value}" ${r.error.issues[0]?.message}`, 2);
  return r.data;
}

export function register(program: Command, io: Io): void {
  const telemetry = program.command('telemetry').description('send production telemetry (prediction records) of a deployment');
  telemetry
    .command('send <file>')
    .description('send prediction records from a JSON Lines file, in batches (one record per line; see docs/monitoring.md)')
    .requiredOption('--model <org/name>', 'the model')
    .requiredOption('--ring <ring>', 'the ring the records were served from')
    .option('--env <environment>', 'environment', 'production')
    .option('--version <semver>', 'the version serving (default: the version the ring points at)')
    .option('--batch <n>', 'records per request', '1000')
    .option('--json', 'machine-readable summary')
    .action(async (file: string, opts: { model: string; ring: string; env: string; version?: string; batch: string; json?: boolean }, cmd: Command) => {
      const m = parseArg(() => parseModelRef(opts.model, '--model'));
      checked(RingNameSchema, opts.ring, '--ring');
      checked(EnvironmentNameSchema, opts.env, '--env');
      if (opts.version !== undefined) checked(SemverSchema, opts.version, '--version');
      const batchSize = Number(opts.batch);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) throw new CliError(`--batch must be an integer from 1 to 100000, not "${opts.batch}"`, 2);
      if (!fs.existsSync(file)) throw new CliError(`${file}: no such file`, 2);
      const { client } = connect(cmd, io);
      const path = `/api/v1/orgs/${enc(m.org)}/models/${enc(m.model)}/telemetry`;
      let batch: TelemetryRecord[] = [];
      let firstLine = 1;
      let line = 0;
      let sent = 0;
      let joined = 0;
      const warnings = new Set<string>();
      const flush = async () => {
        if (batch.length === 0) return;
        try {
          const r = await client.json('POST', path, IngestResultSchema, { ring: opts.ring, environment: opts.env, ...(opts.version ? { version: opts.version } : {}), records: batch });
          sent += r.accepted;
          joined += r.labelsJoined;
          for (const w of r.warnings) warnings.add(w);
        } catch (err) {
          // The server names the record by its index in the batch; say which line of the file that is.
          const msg = (err as Error).message.replace(/records\[(\d+)\]/, (_, i: string) => `line ${firstLine + Number(i)} (records[${i}])`);
          throw new CliError(`${file}: ${msg}; ${sent} records were sent before this batch`, (err as CliError).exitCode ?? 1);
        }
        if (io.isTTY) process.stderr.write(`\rsent ${sent} records`);
        batch = [];
      };
      const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
      for await (const text of rl) {
        line++;
        if (text.trim() === '') continue;
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch (err) {
          throw new CliError(`${file}:${line}: not JSON (${(err as Error).message}); ${sent} records were sent before it`, 1);
        }
        const r = TelemetryRecordSchema.safeParse(value);
        if (!r.success) {
          const issue = r.error.issues[0];
          throw new CliError(`${file}:${line}: ${issue?.path.join('.') || 'record'}: ${issue?.message}; ${sent} records were sent before it`, 1);
        }
        if (batch.length === 0) firstLine = line;
        batch.push(r.data);
        if (batch.length >= batchSize) await flush();
      }
      await flush();
      if (io.isTTY) process.stderr.write('\n');
      if (opts.json) return printJson(io, { sent, labelsJoined: joined, warnings: [...warnings] });
      io.out(`sent ${sent} records${joined ? ` (${joined} labels joined to earlier predictions)` : ''} to ${opts.model} in ${opts.ring}/${opts.env}`);
      for (const w of warnings) io.err(`warning: ${w}`);
    });

  telemetry
    .command('samples <model[@ring]>')
    .description('the raw records a deployment kept: a uniform sample of all it received (at most STEWARD_TELEMETRY_SAMPLE_SIZE), as JSON Lines')
    .option('--env <environment>', 'environment')
    .option('--version <semver>', 'the version (default: the one the ring points at)')
    .action(async (ref: string, opts: { env?: string; version?: string }, cmd: Command) => {
      const at = ref.lastIndexOf('@');
      const m = parseArg(() => parseModelRef(at > 0 ? ref.slice(0, at) : ref));
      const q = new URLSearchParams();
      if (at > 0) q.set('ring', checked(RingNameSchema, ref.slice(at + 1), 'ring'));
      if (opts.env) q.set('environment', checked(EnvironmentNameSchema, opts.env, '--env'));
      if (opts.version) q.set('version', checked(SemverSchema, opts.version, '--version'));
      const { client } = connect(cmd, io);
      const r = await client.json('GET', `/api/v1/orgs/${enc(m.org)}/models/${enc(m.model)}/telemetry/samples?${q}`, TelemetrySamplesSchema);
      io.err(`${r.items.length} of ${r.seen} records of ${r.deployment.model}@${r.deployment.version} in ${r.deployment.ring}/${r.deployment.environment}`);
      for (const s of r.items) io.out(JSON.stringify({ at: s.at, ...s.record }));
    });

  program
    .command('profile <file>')
    .description('compute a dataset\'s drift reference offline (the sketches the server keeps) from CSV, JSON Lines or Parquet; attach it to a dataset version')
    .option('--dataset <name@version>', 'attach the profile to this registered dataset version')
    .option('--columns <a,b,...>', 'only these columns')
    .option('--categorical <a,b,...>', 'treat these columns as categorical even when their values are numbers (class labels such as 0/1)')
    .option('--output-column <name>', 'the column holding the model\'s output/target (for output drift)')
    .option('-o, --out <file>', 'also write the profile JSON here')
    .option('--json', 'print the profile summary as JSON')
    .action(async (file: string, opts: { dataset?: string; columns?: string; categorical?: string; outputColumn?: string; out?: string; json?: boolean }, cmd: Command) => {
      const ds = opts.dataset ? parseArg(() => parseDatasetRef(opts.dataset!, '--dataset')) : null;
      if (!fs.existsSync(file)) throw new CliError(`${file}: no such file`, 2);
      const list = (v: string | undefined) => (v ? v.split(',').map((c) => c.trim()).filter(Boolean) : undefined);
      const columns = list(opts.columns);
      const categorical = list(opts.categorical);
      const started = Date.now();
      const profile = await profileFile(file, { columns, categorical, outputColumn: opts.outputColumn, onProgress: (rows) => io.isTTY && process.stderr.write(`\rprofiled ${rows} rows`) });
      if (io.isTTY) process.stderr.write('\n');
      DatasetProfileSchema.parse(profile);
      if (opts.out) fs.writeFileSync(opts.out, JSON.stringify(profile) + '\n');
      let attached: { sha256: string } | null = null;
      if (ds) {
        const { client, org } = connect(cmd, io);
        attached = await client.json('PUT', `/api/v1/orgs/${enc(org)}/datasets/${enc(ds.name)}/versions/${enc(ds.version)}/profile`, z.object({ dataset: z.string(), rows: z.number(), features: z.number(), sha256: z.string() }), profile);
      }
      const summary = { rows: profile.rows, features: Object.fromEntries(Object.entries(profile.features).map(([k, f]) => [k, { kind: f.kind, count: f.count }])), seconds: (Date.now() - started) / 1000, ...(attached ? { attached: opts.dataset, sha256: attached.sha256 } : {}) };
      if (opts.json) return printJson(io, summary);
      io.out(`${profile.rows} rows, ${Object.keys(profile.features).length} features: ${Object.entries(profile.features).map(([k, f]) => `${k} (${f.kind})`).join(', ')}`);
      if (attached) io.out(`attached to dataset ${opts.dataset} (sha256 ${attached.sha256.slice(0, 16)}...)`);
    });
}
