import { StewardError } from '@steward/domain';
import { CliError } from './errors.js';
import type { Command } from 'commander';
import { resolveTarget } from './config.js';
import { StewardClient } from './client.js';
import type { Io } from './output.js';

export interface CommandEnv {
  io: Io;
}

export interface Connected {
  client: StewardClient;
  org: string;
  io: Io;
}

/** Global flags (--server, --token, --org) merged with the environment and the login file. */
export function connect(cmd: Command, io: Io): Connected {
  const g = cmd.optsWithGlobals() as { server?: string; token?: string; org?: string };
  const t = resolveTarget(g);
  return { client: new StewardClient({ server: t.server, token: t.token }), org: t.org, io };
}

export { collect } from './args.js';

/** Runs a local argument parser; its StewardError becomes a usage error (exit 2). */
export function parseArg<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof StewardError) throw new CliError(err.message, 2);
    throw err;
  }
}
