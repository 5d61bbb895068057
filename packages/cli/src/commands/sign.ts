import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadSigningPrivateKey, resolveIgnorePaths, signModel } from '@steward/attest';
import { StewardError } from '@steward/domain';
import { collect, parseArg } from '../command.js';
import { CliError } from '../errors.js';
import { type Io, formatBytes, printJson } from '../output.js';

/** Reads a file named on the command line; a failure is a usage error (exit 2). */
export function readInputFile(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${what} ${file}: ${(err as Error).message}`, 2);
  }
}

/** The model path must exist; its signature defaults to model.sig inside it (or beside a single file). */
export function defaultSignaturePath(modelPath: string): string {
  let st: fs.Stats;
  try {
    st = fs.statSync(modelPath);
  } catch (err) {
    throw new CliError(`cannot open model ${modelPath}: ${(err as Error).message}`, 2);
  }
  return path.join(st.isDirectory() ? modelPath : path.dirname(modelPath), 'model.sig');
}

/** Writes beside the target, then renames: a reader never sees half a signature. */
function writeAtomically(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, text, { flag: 'wx' });
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new CliError(`cannot write the signature ${file}: ${(err as Error).message}`, 2);
  }
}

interface SignOptions {
  key: string;
  certificateChain: string[];
  signature?: string;
  ignorePaths: string[];
  allowSymlinks?: boolean;
  json?: boolean;
}

export function register(program: Command, io: Io): void {
  program
    .command('sign <path>')
    .description('sign a model directory (or a single model file) in the OpenSSF model-signing format (model_signing 1.x bundle)')
    .requiredOption('--key <file>', 'PEM private key: ECDSA on P-256, P-384 or P-521')
    .option('--certificate-chain <file>', 'PEM signing certificate for the key, then any intermediates (certificate method); repeatable', collect, [])
    .option('--signature <file>', 'where to write the signature (default: model.sig in the model directory)')
    .option('--ignore-paths <path>', 'leave this path out (a path inside the model, from here or relative to the model); repeatable', collect, [])
    .option('--allow-symlinks', 'follow symlinks that stay inside the model')
    .option('--json', 'print the signed statement as JSON')
    .action(async (modelPath: string, opts: SignOptions) => {
      // Also checks that the model exists: a missing one is a usage error, not an invalid signature.
      const defaultSignature = defaultSignaturePath(modelPath);
      const signaturePath = opts.signature ?? defaultSignature;
      const privateKeyPem = readInputFile(opts.key, 'private key');
      parseArg(() => loadSigningPrivateKey(privateKeyPem));
      const certificateChainPem = opts.certificateChain.map((f) => readInputFile(f, 'certificate chain'));
      const ignorePaths = await parseArgAsync(() => resolveIgnorePaths(modelPath, opts.ignorePaths));
      let signed;
      try {
        signed = await signModel({
          modelPath,
          privateKeyPem,
          ...(certificateChainPem.length ? { certificateChainPem } : {}),
          ignorePaths,
          allowSymlinks: Boolean(opts.allowSymlinks),
          signaturePath,
        });
      } catch (err) {
        if (err instanceof StewardError) throw new CliError(err.message, 1, err.details);
        throw err;
      }
      writeAtomically(signaturePath, signed.bundleJson);
      const root = signed.manifest.rootDigest;
      if (opts.json) return printJson(io, { signature: signaturePath, method: certificateChainPem.length ? 'certificate' : 'key', statement: signed.statement });
      const bytes = signed.manifest.files.reduce((n, f) => n + f.size, 0);
      io.err(`signed ${signed.statement.subject[0]!.name}: ${filesCount(signed.manifest.files.length)} (${formatBytes(bytes)}); signature written to ${signaturePath}`);
      io.out(`sha256:${root}`);
    });
}

export function filesCount(n: number): string {
  return `${n} file${n === 1 ? '' : 's'}`;
}

/** parseArg for async parsers: a StewardError becomes a usage error (exit 2). */
export async function parseArgAsync<T>(parse: () => Promise<T>): Promise<T> {
  try {
    return await parse();
  } catch (err) {
    if (err instanceof StewardError) throw new CliError(err.message, 2);
    throw err;
  }
}
