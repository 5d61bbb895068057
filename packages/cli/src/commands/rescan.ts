import type { Command } from 'commander';
import { ScanReportResponseSchema, ScanStatusSchema, parseModelVersionRef } from '@steward/domain';
import { enc, type StewardClient } from '../client.js';
import { connect, parseArg } from '../command.js';
import { CliError } from '../errors.js';
import { type Io, printJson } from '../output.js';

const TERMINAL = new Set(['done', 'failed']);

/** Polls the version's newest scan until it finishes (or the timeout passes). */
export async function waitForScan(client: StewardClient, base: string, scanId: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await client.json('GET', `${base}/scan?id=${enc(scanId)}`, ScanReportResponseSchema);
    if (TERMINAL.has(s.status)) return s;
    if (Date.now() > deadline) throw new CliError(`scan ${scanId} still ${s.status} after ${timeoutMs / 1000} s`, 1);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export function register(program: Command, io: Io): void {
  program
    .command('rescan <ref>')
    .description('scan ORG/NAME@VERSION again with the org\'s current allowlist')
    .option('--wait', 'wait for the scan to finish and print its verdict')
    .option('--timeout <seconds>', 'with --wait: give up after this long', '600')
    .option('--json', 'machine-readable output')
    .action(async (refText: string, opts: { wait?: boolean; timeout: string; json?: boolean }, cmd: Command) => {
      const r = parseArg(() => parseModelVersionRef(refText, 'rescan'));
      const { client } = connect(cmd, io);
      const base = `/api/v1/orgs/${enc(r.org)}/models/${enc(r.model)}/versions/${enc(r.ref)}`;
      const queued = await client.json('POST', `${base}/scans`, ScanStatusSchema);
      if (!opts.wait) {
        if (opts.json) return printJson(io, queued);
        io.out(`scan ${queued.id} queued for ${r.org}/${r.model}@${r.ref}`);
        return;
      }
      const done = await waitForScan(client, base, queued.id, Number(opts.timeout) * 1000);
      if (opts.json) return printJson(io, done);
      io.out(done.status === 'done' ? `verdict: ${done.verdict}` : `scan failed: ${done.error}`);
    });
}
