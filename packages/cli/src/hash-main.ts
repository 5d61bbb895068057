/**
 * `steward hash` alone: the command and the argument parser, without the other commands' imports
 * (HTTP client, API schemas, server), bundled by scripts/bundle-cli.js, so a CI job does not pay
 * for the rest of the CLI's start-up (docs/benchmarks.md).
 */
import { runSingleCommand } from './program.js';
import { type Io, processIo } from './output.js';
import * as hash from './commands/hash.js';

export async function hashMain(argv: string[], io: Io = processIo): Promise<number> {
  return runSingleCommand(hash, argv, io);
}
