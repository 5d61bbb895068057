import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { sha256File } from '@steward/attest';
import {
  BlobUploadResponseSchema,
  DatasetSchema,
  LicenseSchema,
  MissingBlobsResponseSchema,
  PiiReportBodySchema,
  PiiReportSchema,
  SensitivitySchema,
  parseDatasetRef,
} from '@steward/domain';
import { enc } from '../client.js';
import { connect, parseArg } from '../command.js';
import { CliError } from '../errors.js';
import { type Io, printJson, table } from '../output.js';
import { listAll } from './list.js';

/** Scans sample files for PII (counts and locations, never values) into the report body the server stores. */
async function piiReportOf(paths: readonly string[]): Promise<z.infer<typeof PiiReportBodySchema>> {
  const policy = await import('@steward/policy');
  const counts: Record<string, number> = {};
  const files: z.infer<typeof PiiReportBodySchema>['files'] = [];
  for (const p of paths) {
    let r: import('@steward/policy').PiiScanResult;
    try {
      r = await policy.scanPii(p, { maxLocations: 100 });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code) throw new CliError(`--pii ${p}: ${code === 'ENOENT' ? 'no such file' : `cannot be read (${code})`}`, 2);
      if (e instanceof policy.PiiFormatError) throw new CliError(`--pii ${e.message}`, 2);
      throw e;
    }
    for (const [k, n] of Object.entries(r.counts)) counts[k] = (counts[k] ?? 0) + n;
    const where = (l: import('@steward/policy').PiiLocation) =>
      [l.kind, l.line !== undefined ? `line ${l.line}` : null, l.column !== undefined ? `col ${l.column}` : null, l.row !== undefined ? `row ${l.row}` : null, l.field !== undefined ? `field ${l.field}` : null].filter(Boolean).join(' ');
    files.push({ path: path.basename(p), counts: { ...r.counts }, locations: r.locations.slice(0, 100).map(where) });
  }
  return { counts, files, scannedAt: new Date().toISOString(), tool: 'steward pii' };
}

function piiSummary(counts: Record<string, number>): string {
  const found = Object.entries(counts).filter(([, n]) => n > 0);
  return found.length === 0 ? 'no PII found' : found.map(([k, n]) => `${n} ${k}`).join(', ');
}

interface RegisterOpts {
  source: string;
  license: string;
  transformScript?: string;
  approvedBy?: string;
  sensitivity?: string;
  digest?: string;
  description?: string;
  pii?: string[];
  json?: boolean;
}

export function register(program: Command, io: Io): void {
  const datasets = program.command('datasets').description('register and inspect datasets');
  datasets
    .command('register <name@version>')
    .description('register a dataset version: source, license, transform script, approver, sensitivity')
    .requiredOption('--source <uri>', 'where the data originally comes from (URI)')
    .requiredOption('--license <spdx>', 'SPDX license expression (or "other")')
    .option('--transform-script <file>', 'script that produced this version from the source; stored with its digest')
    .option('--approved-by <user>', 'reviewer who approved the data for use')
    .option('--sensitivity <level>', `${SensitivitySchema.options.join('|')} (default internal)`)
    .option('--digest <sha256:hex>', 'digest of the data itself, if known')
    .option('--description <text>', 'what the data is')
    .option('--pii <sample...>', 'scan these sample files (CSV, JSON Lines, Parquet, text) for PII and attach the counts')
    .option('--json', 'machine-readable output')
    .action(async (refText: string, opts: RegisterOpts, cmd: Command) => {
      const ref = parseArg(() => parseDatasetRef(refText, 'datasets register'));
      if (!LicenseSchema.safeParse(opts.license).success) throw new CliError(`--license: "${opts.license}" is not an SPDX license expression (e.g. Apache-2.0, CC-BY-4.0, MIT OR Apache-2.0) or "other"`, 2);
      if (opts.sensitivity && !SensitivitySchema.safeParse(opts.sensitivity).success) throw new CliError(`--sensitivity: "${opts.sensitivity}" is not one of ${SensitivitySchema.options.join(', ')}`, 2);
      if (opts.digest && !/^sha256:[0-9a-f]{64}$/.test(opts.digest)) throw new CliError(`--digest: "${opts.digest}" must be sha256:<64 lowercase hex>`, 2);
      const piiReport = opts.pii && opts.pii.length > 0 ? await piiReportOf(opts.pii) : undefined;
      const { client, org } = connect(cmd, io);
      let transformScript: { name: string; sha256: string; size: number } | undefined;
      if (opts.transformScript) {
        const file = opts.transformScript;
        const st = fs.statSync(file, { throwIfNoEntry: false });
        if (!st?.isFile()) throw new CliError(`--transform-script: ${file} is not a file`, 2);
        const { sha256, size } = await sha256File(file);
        const { missing } = await client.json('POST', `/api/v1/orgs/${enc(org)}/blobs/missing`, MissingBlobsResponseSchema, { digests: [sha256] });
        if (missing.length > 0) await client.upload(`/api/v1/orgs/${enc(org)}/blobs/${sha256}`, BlobUploadResponseSchema, fs.createReadStream(file), size);
        transformScript = { name: path.basename(file), sha256, size };
      }
      const body = {
        name: ref.name,
        version: ref.version,
        sourceUri: opts.source,
        license: opts.license,
        ...(transformScript ? { transformScript } : {}),
        ...(opts.approvedBy ? { approvedBy: opts.approvedBy } : {}),
        ...(opts.sensitivity ? { sensitivity: opts.sensitivity } : {}),
        ...(opts.digest ? { digest: opts.digest } : {}),
        ...(opts.description ? { description: opts.description } : {}),
        ...(piiReport ? { piiReport } : {}),
      };
      const r = await client.json('POST', `/api/v1/orgs/${enc(org)}/datasets`, z.object({ created: z.boolean(), dataset: DatasetSchema }), body);
      if (opts.json) return printJson(io, r);
      io.out(`${r.created ? 'registered' : 'already registered (identical)'} dataset ${r.dataset.name}@${r.dataset.version} in org ${org}${piiReport ? `; PII: ${piiSummary(piiReport.counts)}` : ''}`);
    });
  datasets
    .command('pii <name@version> <samples...>')
    .description('scan sample files of a registered dataset for PII and attach the report (counts and locations, never values); policies read the newest')
    .option('--json', 'machine-readable output')
    .action(async (refText: string, samples: string[], opts: { json?: boolean }, cmd: Command) => {
      const ref = parseArg(() => parseDatasetRef(refText, 'datasets pii'));
      const body = await piiReportOf(samples);
      const { client, org } = connect(cmd, io);
      const r = await client.json('POST', `/api/v1/orgs/${enc(org)}/datasets/${enc(ref.name)}/versions/${enc(ref.version)}/pii-report`, PiiReportSchema, body);
      if (opts.json) return printJson(io, r);
      io.out(`attached PII report ${r.id} to ${r.dataset}@${r.version}: ${piiSummary(r.counts)}`);
    });
  datasets
    .command('list')
    .description('list dataset versions of the org')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { client, org } = connect(cmd, io);
      const all = await listAll(client, `/api/v1/orgs/${enc(org)}/datasets`, DatasetSchema);
      if (opts.json) return printJson(io, all);
      for (const line of table([['DATASET', 'LICENSE', 'SENSITIVITY', 'APPROVED BY', 'SOURCE'], ...all.map((d) => [`${d.name}@${d.version}`, d.license, d.sensitivity, d.approvedBy ?? '-', d.sourceUri])])) io.out(line);
    });
  datasets
    .command('show <name@version>')
    .description('show one dataset version')
    .option('--json', 'machine-readable output')
    .action(async (refText: string, opts: { json?: boolean }, cmd: Command) => {
      const ref = parseArg(() => parseDatasetRef(refText, 'datasets show'));
      const { client, org } = connect(cmd, io);
      const d = await client.json('GET', `/api/v1/orgs/${enc(org)}/datasets/${enc(ref.name)}/versions/${enc(ref.version)}`, DatasetSchema);
      if (opts.json) return printJson(io, d);
      io.out(`${d.name}@${d.version}`);
      io.out(`  source:       ${d.sourceUri}`);
      io.out(`  license:      ${d.license}`);
      io.out(`  sensitivity:  ${d.sensitivity}`);
      io.out(`  approved by:  ${d.approvedBy ?? '-'}`);
      io.out(`  transform:    ${d.transformScript ? `${d.transformScript.name} (sha256:${d.transformScript.sha256})` : '-'}`);
      io.out(`  digest:       ${d.digest ?? '-'}`);
      io.out(`  registered:   ${d.createdAt} by ${d.createdBy}`);
    });
}
