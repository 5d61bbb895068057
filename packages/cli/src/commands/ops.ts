import type { Command } from 'commander';
import { GcResponseSchema } from '@steward/domain';
import { enc } from '../client.js';
import { connect } from '../command.js';
import { type Io, formatBytes, printJson } from '../output.js';

export function register(program: Command, io: Io): void {
  program
    .command('gc')
    .description('delete blobs that abandoned or crashed pushes left behind (org admins)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { client, org } = connect(cmd, io);
      const r = await client.json('POST', `/api/v1/orgs/${enc(org)}/gc`, GcResponseSchema, {});
      if (opts.json) return printJson(io, r);
      io.out(`released ${r.possessionsDeleted} unreferenced upload(s); deleted ${r.blobsDeleted} blob(s) (${formatBytes(r.bytesFreed)}) and ${r.temporariesDeleted} temporary file(s)`);
    });
}
