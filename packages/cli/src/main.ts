import { Command, CommanderError } from 'commander';
import { CliError } from './errors.js';
import { type Io, processIo } from './output.js';
import * as server from './commands/server.js';
import * as login from './commands/login.js';
import * as whoami from './commands/whoami.js';
import * as orgs from './commands/orgs.js';
import * as users from './commands/users.js';
import * as tokens from './commands/tokens.js';
import * as hash from './commands/hash.js';
import * as push from './commands/push.js';
import * as pull from './commands/pull.js';
import * as show from './commands/show.js';
import * as list from './commands/list.js';
import * as datasets from './commands/datasets.js';
import * as lineage from './commands/lineage.js';
import * as rings from './commands/rings.js';
import * as ops from './commands/ops.js';
import * as update from './commands/update.js';
import * as scan from './commands/scan.js';
import * as rescan from './commands/rescan.js';
import * as allowlist from './commands/allowlist.js';

export const CLI_VERSION = '0.1.0';

export function buildProgram(io: Io): Command {
  const program = new Command('steward')
    .description('Steward: governance for open-source ML models')
    // `push --version` is a model version, so the CLI's own version is -V (and a bare `steward --version`).
    .version(CLI_VERSION, '-V, --cli-version')
    .option('--server <url>', 'Steward server URL (or STEWARD_SERVER, or the saved login)')
    .option('--token <token>', 'API token (or STEWARD_TOKEN, or the saved login)')
    .option('--org <org>', 'org to act in (or STEWARD_ORG; default "default")')
    .exitOverride()
    .configureOutput({ writeErr: (s) => io.err(s.trimEnd()), writeOut: (s) => io.out(s.trimEnd()) });
  for (const mod of [server, login, whoami, orgs, users, tokens, hash, push, pull, show, list, update, datasets, lineage, rings, scan, rescan, allowlist, ops]) mod.register(program, io);
  for (const c of program.commands) c.exitOverride();
  return program;
}

/** Runs the CLI; returns the exit code (0 ok, 1 failed, 2 usage/config/I/O). */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const program = buildProgram(io);
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
    const e = err as NodeJS.ErrnoException;
    if (e?.code && typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) {
      io.err(`steward: error: ${e.message}`);
      return 2;
    }
    io.err(`steward: internal error: ${e?.stack ?? String(err)}`);
    return 1;
  }
}
