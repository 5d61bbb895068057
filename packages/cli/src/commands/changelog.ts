import type { Command } from 'commander';
import { parseModelRef } from '@steward/domain';
import { enc } from '../client.js';
import { connect, parseArg } from '../command.js';
import type { Io } from '../output.js';
import { writeOutput } from './export.js';

export function register(program: Command, io: Io): void {
  program
    .command('changelog <model>')
    .description('the changelog of ORG/NAME in Markdown: every version against the one before, newest first (recorded in the audit log)')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .action(async (refText: string, opts: { output?: string }, cmd: Command) => {
      const m = parseArg(() => parseModelRef(refText, 'changelog'));
      const { client } = connect(cmd, io);
      const { stream } = await client.download(`/api/v1/orgs/${enc(m.org)}/models/${enc(m.model)}/changelog`);
      await writeOutput(stream, opts.output, io);
      if (opts.output) io.err(`wrote the changelog of ${m.org}/${m.model} to ${opts.output}`);
    });
}
