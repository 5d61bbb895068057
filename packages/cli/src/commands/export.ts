import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { EXPORT_FORMATS as SERVER_FORMATS, EXPORT_WARNINGS_HEADER, type ModelVersionRef, parseModelVersionRef } from '@steward/domain';
import { enc, type StewardClient } from '../client.js';
import { connect, parseArg } from '../command.js';
import { CliError } from '../errors.js';
import type { Io } from '../output.js';
import { createEvidenceArchive } from './evidence.js';

/** What one --format produces: the document as a stream, and what it could not say. */
export interface ExportOutput {
  stream: Readable;
  warnings: string[];
}

export type ExportHandler = (args: { client: StewardClient; ref: ModelVersionRef; io: Io }) => Promise<ExportOutput>;

function versionPath(ref: ModelVersionRef): string {
  return `/api/v1/orgs/${enc(ref.org)}/models/${enc(ref.model)}/versions/${enc(ref.ref)}`;
}

/** Warnings the server sent in its header (base64url JSON); an unreadable header is ignored. */
export function warningsFrom(header: string | string[] | undefined): string[] {
  if (typeof header !== 'string' || header === '') return [];
  try {
    const v: unknown = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    return Array.isArray(v) ? v.filter((w): w is string => typeof w === 'string') : [];
  } catch {
    return [];
  }
}

/** A format the server renders (GET .../exports/FORMAT). */
function serverExport(format: string): ExportHandler {
  return async ({ client, ref }) => {
    const { stream } = await client.download(`${versionPath(ref)}/exports/${enc(format)}`);
    return { stream, warnings: warningsFrom(stream.headers[EXPORT_WARNINGS_HEADER]) };
  };
}

/** Every `steward export --format`. Adding a format is one entry here. */
export const EXPORT_HANDLERS: Record<string, ExportHandler> = Object.fromEntries(SERVER_FORMATS.map((f) => [f, serverExport(f)]));

/**
 * Writes a document to FILE (a temporary file renamed into place, so a reader never sees half of
 * it) or to stdout.
 */
export async function writeOutput(stream: Readable, output: string | undefined, io: Io): Promise<void> {
  if (output) {
    const tmp = path.join(path.dirname(path.resolve(output)), `.${path.basename(output)}.${process.pid}.tmp`);
    try {
      await pipeline(stream, fs.createWriteStream(tmp, { flags: 'wx' }));
      fs.renameSync(tmp, output);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      if (err instanceof CliError) throw err;
      throw new CliError(`cannot write ${output}: ${(err as Error).message}`, 2);
    }
    return;
  }
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  io.out(Buffer.concat(chunks).toString('utf8').replace(/\n$/, ''));
}

export function register(program: Command, io: Io): void {
  program
    .command('export <ref>')
    .description(`export ORG/NAME@VERSION (or @RING) as a compliance or documentation document; the export is recorded in the audit log`)
    .requiredOption('--format <format>', `one of: ${Object.keys(EXPORT_HANDLERS).join(', ')}, evidence (an archive of all of them and more, with -o; see \`steward evidence\`)`)
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .option('--quiet', 'do not print the export\'s warnings (what is missing or approximated)')
    .action(async (refText: string, opts: { format: string; output?: string; quiet?: boolean }, cmd: Command) => {
      // An evidence archive is binary and gathered from many endpoints (commands/evidence.ts): to a file only.
      if (opts.format === 'evidence') {
        if (!opts.output) throw new CliError('--format evidence writes an archive: give -o FILE', 2);
        return createEvidenceArchive(cmd, io, refText, opts.output, opts.quiet);
      }
      const handler = Object.hasOwn(EXPORT_HANDLERS, opts.format) ? EXPORT_HANDLERS[opts.format] : undefined;
      if (!handler) throw new CliError(`--format: "${opts.format}" is not one of ${Object.keys(EXPORT_HANDLERS).join(', ')}`, 2);
      const ref = parseArg(() => parseModelVersionRef(refText, 'export'));
      const { client } = connect(cmd, io);
      const out = await handler({ client, ref, io });
      await writeOutput(out.stream, opts.output, io);
      if (!opts.quiet) for (const w of out.warnings) io.err(`steward: warning: ${w}`);
      if (opts.output) io.err(`wrote ${opts.format} export of ${ref.org}/${ref.model}@${ref.ref} to ${opts.output}`);
    });
}
