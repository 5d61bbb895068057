import type { Command } from 'commander';
import {
  SignatureError,
  loadVerificationPublicKey,
  parsePemCertificates,
  resolveIgnorePaths,
  verifyModelSignature,
  type SignerIdentity,
  type VerificationTrust,
} from '@steward/attest';
import { StewardError } from '@steward/domain';
import { collect, parseArg } from '../command.js';
import { CliError } from '../errors.js';
import { type Io, printJson } from '../output.js';
import { defaultSignaturePath, filesCount, parseArgAsync, readInputFile } from './sign.js';
import { isProvenanceBundle, verifyProvenanceSignature } from './provenance.js';

interface VerifyOptions {
  publicKey?: string;
  certificateChain: string[];
  signature?: string;
  ignorePaths: string[];
  modelName?: string;
  allowSymlinks?: boolean;
  json?: boolean;
}

function trustFrom(opts: VerifyOptions): VerificationTrust {
  if (opts.publicKey && opts.certificateChain.length > 0) throw new CliError('give either --public-key or --certificate-chain, not both', 2);
  if (opts.publicKey) {
    const publicKeyPem = readInputFile(opts.publicKey, 'public key');
    parseArg(() => loadVerificationPublicKey(publicKeyPem));
    return { publicKeyPem };
  }
  if (opts.certificateChain.length === 0) throw new CliError('give --public-key (key signatures) or --certificate-chain (certificate signatures)', 2);
  const certificateChainPem = opts.certificateChain.map((f) => readInputFile(f, 'CA certificates'));
  certificateChainPem.forEach((pem, i) => parseArg(() => parsePemCertificates(pem, opts.certificateChain[i])));
  return { certificateChainPem };
}

function describeSigner(s: SignerIdentity): string {
  if (s.method === 'key') return `key ${s.publicKeyHint} (ECDSA ${s.curve})`;
  const oneLine = (dn: string) => dn.replace(/\n/g, ', ');
  return `certificate ${oneLine(s.subject)} (ECDSA ${s.curve}), chain ${s.chain.map(oneLine).join(' -> ')}, validity checked at ${s.checkedAt}`;
}

export function register(program: Command, io: Io): void {
  program
    .command('verify-signature <path>')
    .description('verify a model directory (or single model file) against its OpenSSF model-signing signature, or against signed SLSA provenance (steward provenance); exit 0 valid, 1 invalid, 2 usage')
    .option('--public-key <file>', 'PEM public key the model was signed with (key method)')
    .option('--certificate-chain <file>', 'PEM CA certificates to trust (certificate method); repeatable', collect, [])
    .option('--signature <file>', 'the signature (default: model.sig in the model directory)')
    .option('--ignore-paths <path>', 'leave this path out (a path inside the model, from here or relative to the model); repeatable', collect, [])
    .option('--model-name <name>', 'the name the model was signed under (default: the directory name)')
    .option('--allow-symlinks', 'follow symlinks inside the model even if the signer did not')
    .option('--json', 'print the result as JSON')
    .action(async (modelPath: string, opts: VerifyOptions) => {
      const trust = trustFrom(opts);
      // Also checks that the model exists: a missing one is a usage error, not an invalid signature.
      const defaultSignature = defaultSignaturePath(modelPath);
      const signaturePath = opts.signature ?? defaultSignature;
      const bundle = readInputFile(signaturePath, 'signature');
      const ignorePaths = await parseArgAsync(() => resolveIgnorePaths(modelPath, opts.ignorePaths));
      // Signed SLSA provenance (steward provenance): its subject must be this model's manifest.
      if (isProvenanceBundle(bundle)) {
        return verifyProvenanceSignature({ modelPath, bundle, trust, ignorePaths, signaturePath, allowSymlinks: Boolean(opts.allowSymlinks), json: Boolean(opts.json) }, io);
      }
      let r;
      try {
        r = await verifyModelSignature({
          modelPath,
          bundle,
          trust,
          ignorePaths,
          signaturePath,
          ...(opts.modelName === undefined ? {} : { modelName: opts.modelName }),
          ...(opts.allowSymlinks ? { allowSymlinks: true } : {}),
        });
      } catch (err) {
        // Verification ran and the model or its signature did not hold: exit 1. I/O trouble: exit 2.
        if (err instanceof SignatureError || (err instanceof StewardError && err.code === 'invalid_path')) {
          const reason = err instanceof SignatureError ? err.reason : 'model_unreadable';
          if (opts.json) printJson(io, { verified: false, reason, message: err.message, details: err.details });
          throw new CliError(`signature verification failed (${reason}): ${err.message}`, 1);
        }
        if (err instanceof StewardError) throw new CliError(err.message, 2);
        throw err;
      }
      if (opts.json) {
        return printJson(io, { verified: true, model: r.modelName, kind: r.kind, rootDigest: r.rootDigest, files: r.manifest.files.length, signer: r.signer, statement: r.statement });
      }
      io.out(`verified ${r.modelName}: ${filesCount(r.manifest.files.length)}, sha256:${r.rootDigest}`);
      io.out(`signed by ${describeSigner(r.signer)}`);
    });
}
