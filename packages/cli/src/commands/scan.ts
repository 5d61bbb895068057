import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { collect } from '../args.js';
import type { Io } from '../output.js';

const ALLOW_ENTRY = /^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*\.(?:[A-Za-z_]\w*|\*)$/;

export function register(program: Command, io: Io): void {
  program
    .command('scan <paths...>')
    .description('scan model files, directories or archives for code that runs on load (offline)')
    .option('--format <format>', 'text, json or sarif', 'text')
    .option('--fail-on <verdict>', 'exit 1 at or above this verdict: unsafe or unknown', 'unknown')
    .option('--allow <module.name>', 'treat this pickle import (or module.*) as safe; repeatable', collect, [])
    .option('--full-digest', 'hash large files completely (slower; by default only what the analysis reads)')
    .option('--verbose', 'text format: also list safe imports, safe members and info findings')
    .action(async (paths: string[], opts: { format: string; failOn: string; allow: string[]; fullDigest?: boolean; verbose?: boolean }) => {
      if (!['text', 'json', 'sarif'].includes(opts.format)) throw new CliError(`--format: "${opts.format}" is not one of text, json, sarif`, 2);
      if (opts.failOn !== 'unsafe' && opts.failOn !== 'unknown') throw new CliError(`--fail-on: "${opts.failOn}" is not one of unsafe, unknown`, 2);
      for (const a of opts.allow) if (!ALLOW_ENTRY.test(a)) throw new CliError(`--allow: "${a}" must be module.name or module.* (e.g. sklearn.linear_model._base.LinearRegression)`, 2);
      // Only the scanner is loaded: scanning must start fast and never pull in the server.
      const scanner = await import('@steward/scanner');
      let report;
      try {
        report = await scanner.scanPaths(scanner.defaultEngine(), paths, { allow: opts.allow, ...(opts.fullDigest ? { fullDigest: true } : {}) });
      } catch (err) {
        if (err instanceof scanner.ScanIoError) throw new CliError(err.message, 2);
        throw err;
      }
      if (opts.format === 'json') io.out(JSON.stringify(report, null, 2));
      else if (opts.format === 'sarif') io.out(JSON.stringify(scanner.toSarif(report), null, 2));
      else for (const line of scanner.renderText(report, { verbose: Boolean(opts.verbose) })) io.out(line);
      const code = scanner.exitCodeFor(report, opts.failOn);
      if (code !== 0) throw new ScanExit(code);
    });
}

/** Carries a scan's exit code (1 findings, 3 inconclusive) without an error message. */
export class ScanExit extends CliError {
  constructor(code: 1 | 3) {
    super('', code);
    this.name = 'ScanExit';
  }
}
