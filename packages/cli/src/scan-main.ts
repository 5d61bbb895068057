/**
 * `steward scan` alone: the scanner and the argument parser, nothing else (no HTTP client, no
 * schemas, never the server), so a CI gate starts in tens of milliseconds.
 */
import { runSingleCommand } from './program.js';
import { type Io, processIo } from './output.js';
import * as scan from './commands/scan.js';

export async function scanMain(argv: string[], io: Io = processIo): Promise<number> {
  return runSingleCommand(scan, argv, io);
}
