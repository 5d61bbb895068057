/**
 * `steward policy lint FILE...`: lint policy files (exit 1 on errors, 2 on unreadable files) and
 * `steward pii PATH...`: count personal data in dataset samples and cards, by kind and location,
 * never printing the values. Both offline.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import type { Io } from '../output.js';
import { registerServerPolicyCommands, registerWaiverCommands } from './policy-server.js';

const LINT_FORMATS = ['text', 'json', 'github'] as const;

async function runLint(files: string[], opts: { format: string; builtin: boolean }, io: Io): Promise<void> {
  if (!(LINT_FORMATS as readonly string[]).includes(opts.format)) throw new CliError(`--format: "${opts.format}" is not one of ${LINT_FORMATS.join(', ')}`, 2);
  const policy = await import('@steward/policy');
  const sources = files.map((f) => {
    try {
      return { path: f.split(path.sep).join('/'), text: readFileSync(f, 'utf8') };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new CliError(`${f}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code ?? String(e)})`}`, 2);
    }
  });
  // Linted with the built-in library by default: `steward check` combines them, so ids must not clash.
  const all = [...(opts.builtin ? policy.builtinPolicyFiles() : []), ...sources];
  const { diagnostics, policySet } = policy.lintPolicyFiles(all);
  if (opts.format === 'json') io.out(JSON.stringify({ ok: policySet !== null, diagnostics, ...(policySet ? { digest: policySet.digest, rules: policySet.ruleCount } : {}) }, null, 2));
  else {
    const text = opts.format === 'github' ? policy.renderLintGithub(diagnostics) : policy.renderLintText(diagnostics);
    for (const line of text.trimEnd().split('\n').filter(Boolean)) io.out(line);
  }
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  if (errors > 0) throw new CliError(`${errors} error${errors === 1 ? '' : 's'} in ${files.length} policy file${files.length === 1 ? '' : 's'}`, 1);
  if (opts.format === 'text') io.err(`${files.length} policy file${files.length === 1 ? '' : 's'} OK (${policySet!.ruleCount} rules with the built-in library; policy set ${policySet!.digest})`);
}

async function runPii(paths: string[], opts: { json?: boolean; maxLocations: string }, io: Io): Promise<void> {
  const max = Number(opts.maxLocations);
  if (!Number.isInteger(max) || max < 0) throw new CliError(`--max-locations: "${opts.maxLocations}" is not a non-negative integer`, 2);
  const policy = await import('@steward/policy');
  const results = [];
  for (const p of paths) {
    try {
      results.push(await policy.scanPii(p, { maxLocations: max }));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code) throw new CliError(`${p}: ${code === 'ENOENT' ? 'no such file' : `cannot be read (${code})`}`, 2);
      if (e instanceof policy.PiiFormatError) throw new CliError(e.message, 2);
      throw e;
    }
  }
  if (opts.json) io.out(JSON.stringify(results.length === 1 ? results[0] : results, null, 2));
  else for (const line of policy.renderPiiText(results).trimEnd().split('\n')) io.out(line);
}

export function register(program: Command, io: Io): void {
  const cmd = program.command('policy').description('policy files: lint offline; push to the server, evaluate versions and read results');
  cmd
    .command('lint <files...>')
    .description('lint policy files: YAML, fields, duplicate ids, CEL expressions type-checked against the governance record')
    .option('--format <format>', `output: ${LINT_FORMATS.join(', ')}`, 'text')
    .option('--no-builtin', 'lint the files alone, without the built-in library')
    .action(async (files: string[], opts: { format: string; builtin: boolean }) => runLint(files, opts, io));
  registerServerPolicyCommands(cmd, io);
  registerWaiverCommands(program, io);

  program
    .command('pii <paths...>')
    .description('count personal data (emails, phones, SSNs, card numbers, IBANs, IP addresses) in CSV, JSON Lines, Parquet or text files, by kind and location, without printing values')
    .option('--json', 'print the counts and locations as JSON')
    .option('--max-locations <n>', 'locations listed per file', '100')
    .action(async (paths: string[], opts: { json?: boolean; maxLocations: string }) => runPii(paths, opts, io));
}
