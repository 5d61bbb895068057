import path from 'node:path';
import type { Command } from 'commander';
import { parseModelVersionRef } from '@steward/domain';
import { collect, connect, parseArg } from '../command.js';
import { CliError } from '../errors.js';
import { type Io, printJson, table } from '../output.js';
import { assembleEvidence } from '../evidence/assemble.js';
import { type EvidenceVerification, verifyEvidence } from '../evidence/verify.js';
import { readInputFile } from './sign.js';

const STATUS_LABEL = { pass: 'ok', fail: 'FAIL', warn: 'warn', absent: 'absent' } as const;

export function printVerification(io: Io, r: EvidenceVerification): void {
  io.out(`evidence for ${r.model}@${r.version} (manifest sha256:${r.manifestDigest}), generated ${r.generatedAt} by ${r.generator}`);
  for (const line of table(r.checks.map((c) => [STATUS_LABEL[c.status], c.member, c.check, c.message]))) io.out(line);
  const count = (s: string) => r.checks.filter((c) => c.status === s).length;
  const tail = [`${count('pass')} passed`, `${count('warn')} warning(s)`, `${count('absent')} absent`].join(', ');
  if (r.ok) io.out(`ok: every check passed (${tail})`);
  else io.out(`FAILED: ${count('fail')} check(s) failed (${tail})`);
}

/** `steward export REF --format evidence` and `steward evidence create` share this. */
export async function createEvidenceArchive(cmd: Command, io: Io, refText: string, output: string, quiet = false): Promise<void> {
  const r = parseArg(() => parseModelVersionRef(refText, 'evidence'));
  const { client } = connect(cmd, io);
  const index = await assembleEvidence({ client, org: r.org, model: r.model, ref: r.ref, output, log: quiet ? () => {} : (l) => io.err(l) });
  io.out(`wrote ${output}: evidence for ${index.model}@${index.version}, ${index.members.length} member(s), ${index.absent.length} absent`);
}

export function register(program: Command, io: Io): void {
  const evidence = program.command('evidence').description('evidence archives: everything about one version in one file, verifiable offline');

  evidence
    .command('create <ref>')
    .description('gather a version\'s manifest, signatures, provenance, scan, policy results, ledger proofs and exports into one archive (ORG/NAME@VERSION)')
    .requiredOption('-o, --output <file>', 'archive to write (.tar.gz)')
    .option('--quiet', 'do not report progress and absent members on stderr')
    .action(async (refText: string, opts: { output: string; quiet?: boolean }, cmd: Command) => {
      await createEvidenceArchive(cmd, io, refText, opts.output, opts.quiet);
    });

  evidence
    .command('verify <archive>')
    .description('check every digest, signature and proof in an evidence archive, offline; exit 0 all passed, 1 a check failed, 2 unreadable archive or usage')
    .option('--public-key <vkey>', 'ledger verifier key (from `steward audit keys`, obtained independently); default: the archive\'s own, with a warning')
    .option('--trusted-key <pem>', 'public key (PEM) or CA certificate (PEM) to verify signatures with; repeatable; default: the keys the archive lists, with a warning', collect, [])
    .option('--json', 'machine-readable output')
    .action(async (archive: string, opts: { publicKey?: string; trustedKey: string[]; json?: boolean }) => {
      const trusted = opts.trustedKey.map((f) => ({ source: path.basename(f), pem: readInputFile(f, 'trusted key') }));
      const r = await verifyEvidence(archive, { ledgerKey: opts.publicKey, trusted });
      if (opts.json) printJson(io, r);
      else printVerification(io, r);
      // The report above names each failure; the exit status says there was one.
      if (!r.ok) throw new CliError('', 1);
    });
}
