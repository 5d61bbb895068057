import { Command, CommanderError } from 'commander';
import { type ErrorCode, StewardError } from '@steward/domain/core';
import { CliError } from './errors.js';
import type { Io } from './output.js';

export const CLI_VERSION = '0.1.0';

/** Codes that mean the user's input (a path, a file, an argument) was wrong: exit 2, like other usage and I/O errors. */
const LOCAL_INPUT_ERRORS = new Set<ErrorCode>(['bad_request', 'validation_failed', 'invalid_path', 'not_found', 'payload_too_large', 'unprocessable']);

/** The bare `steward` program with its global options; commands are registered by the caller. */
export function baseProgram(io: Io): Command {
  return new Command('steward')
    .description('Steward: governance for open-source ML models')
    // `push --version` is a model version, so the CLI's own version is -V (and a bare `steward --version`).
    .version(CLI_VERSION, '-V, --cli-version')
    .option('--server <url>', 'Steward server URL (or STEWARD_SERVER, or the saved login)')
    .option('--token <token>', 'API token (or STEWARD_TOKEN, or the saved login)')
    .option('--org <org>', 'org to act in (or STEWARD_ORG; default "default")')
    .exitOverride()
    .configureOutput({ writeErr: (s) => io.err(s.trimEnd()), writeOut: (s) => io.out(s.trimEnd()) });
}

/** Parses and runs; maps every failure to an exit code (0 ok, 1 failed, 2 usage/config/I-O, 3 scan inconclusive). */
export async function runProgram(program: Command, argv: string[], io: Io): Promise<number> {
  for (const c of program.commands) c.exitOverride();
  if (argv.length === 3 && argv[2] === '--version') {
    io.out(CLI_VERSION);
    return 0;
  }
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return 0;
      return 2;
    }
    if (err instanceof CliError) {
      if (err.message) io.err(`steward: error: ${err.message}`);
      const d = err.details as { issues?: { field: string; message: string }[]; missing?: string[] } | undefined;
      if (d?.issues) for (const i of d.issues.slice(1)) io.err(`  ${i.field}: ${i.message}`);
      return err.exitCode;
    }
    // A pure package (hashing, scanning, manifests) refused local input: say what, not where in the code.
    if (err instanceof StewardError && err.code !== 'internal') {
      io.err(`steward: error: ${err.message}`);
      return LOCAL_INPUT_ERRORS.has(err.code) ? 2 : 1;
    }
    const e = err as NodeJS.ErrnoException;
    if (e?.code && typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) {
      io.err(`steward: error: ${e.message}`);
      return 2;
    }
    io.err(`steward: internal error: ${e?.stack ?? String(err)}`);
    return 1;
  }
}

/** Runs a CLI made of one command (the lean entries bundled by scripts/bundle-cli.js). */
export function runSingleCommand(command: { register(program: Command, io: Io): void }, argv: string[], io: Io): Promise<number> {
  const program = baseProgram(io);
  command.register(program, io);
  return runProgram(program, argv, io);
}
