import { baseProgram, CLI_VERSION, runProgram } from './program.js';
import type { Command } from 'commander';
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
import * as auditCmd from './commands/audit.js';
import * as sign from './commands/sign.js';
import * as verifySignature from './commands/verify-signature.js';
import * as keys from './commands/keys.js';
import * as policy from './commands/policy.js';
import * as check from './commands/check.js';
import * as lock from './commands/lock.js';
import * as verify from './commands/verify.js';
import * as promote from './commands/promote.js';
import * as evidence from './commands/evidence.js';
import * as exportCmd from './commands/export.js';
import * as changelogCmd from './commands/changelog.js';
import * as signatures from './commands/signatures.js';
import * as provenance from './commands/provenance.js';
import * as webhooks from './commands/webhooks.js';
import * as modelRoles from './commands/model-roles.js';
import * as deploy from './commands/deploy.js';
import * as telemetry from './commands/telemetry.js';
import * as monitor from './commands/monitor.js';
import * as alerts from './commands/alerts.js';

export { CLI_VERSION };

export function buildProgram(io: Io): Command {
  const program = baseProgram(io);
  for (const mod of [server, login, whoami, orgs, users, tokens, hash, push, pull, show, list, update, datasets, lineage, rings, scan, rescan, allowlist, ops, auditCmd, sign, verifySignature, keys, policy, check, lock, verify, promote, evidence, exportCmd, changelogCmd, signatures, provenance, webhooks, modelRoles, deploy, telemetry, monitor, alerts]) mod.register(program, io);
  return program;
}

/** Runs the CLI; returns the exit code (0 ok, 1 failed, 2 usage/config/I/O, 3 scan inconclusive). */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  return runProgram(buildProgram(io), argv, io);
}
