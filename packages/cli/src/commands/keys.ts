import fs from 'node:fs';
import type { Command } from 'commander';
import { SIGNING_CURVES, generateSigningKeyPair, loadVerificationPublicKey, publicKeyHint, type SigningCurve } from '@steward/attest';
import { CliError } from '../errors.js';
import { type Io, printJson } from '../output.js';

export function register(program: Command, io: Io): void {
  const keys = program.command('keys').description('model signing keys');
  keys
    .command('create')
    .description('create an ECDSA key pair for `steward sign`: PREFIX.key (private, mode 0600) and PREFIX.pub')
    .requiredOption('--out <prefix>', 'write PREFIX.key and PREFIX.pub (never overwritten)')
    .option('--curve <curve>', `curve: ${SIGNING_CURVES.join(' or ')}`, 'P-256')
    .option('--json', 'print the file names and the public key hint as JSON')
    .action((opts: { out: string; curve: string; json?: boolean }) => {
      if (!SIGNING_CURVES.includes(opts.curve as SigningCurve)) throw new CliError(`--curve: "${opts.curve}" is not one of ${SIGNING_CURVES.join(', ')}`, 2);
      const privatePath = `${opts.out}.key`;
      const publicPath = `${opts.out}.pub`;
      for (const p of [privatePath, publicPath]) if (fs.existsSync(p)) throw new CliError(`${p} already exists; not overwriting a key`, 2);
      const pair = generateSigningKeyPair({ curve: opts.curve as SigningCurve });
      // 'wx' refuses a file that appeared since the check; the private key is never world-readable, even briefly.
      try {
        fs.writeFileSync(privatePath, pair.privateKeyPem, { flag: 'wx', mode: 0o600 });
      } catch (err) {
        throw new CliError(`cannot write ${privatePath}: ${(err as Error).message}`, 2);
      }
      try {
        fs.writeFileSync(publicPath, pair.publicKeyPem, { flag: 'wx', mode: 0o644 });
      } catch (err) {
        fs.rmSync(privatePath, { force: true });
        throw new CliError(`cannot write ${publicPath}: ${(err as Error).message}`, 2);
      }
      const hint = publicKeyHint(loadVerificationPublicKey(pair.publicKeyPem).key);
      if (opts.json) return printJson(io, { privateKey: privatePath, publicKey: publicPath, curve: pair.curve, publicKeyHint: hint });
      io.err(`created an ECDSA ${pair.curve} key pair: ${privatePath} (keep it secret) and ${publicPath}`);
      io.out(publicPath);
    });
}
