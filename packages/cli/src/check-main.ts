/**
 * `steward check` alone: the command and the argument parser, without the other commands' imports
 * (HTTP client, API schemas, server), bundled by scripts/bundle-cli.js, so a CI job does not pay
 * for the rest of the CLI's start-up (docs/benchmarks.md).
 */
import { runSingleCommand } from './program.js';
import { type Io, processIo } from './output.js';
import * as check from './commands/check.js';

export async function checkMain(argv: string[], io: Io = processIo): Promise<number> {
  return runSingleCommand(check, argv, io);
}
