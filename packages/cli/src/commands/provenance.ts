import { Readable } from 'node:stream';
import type { Command } from 'commander';
import {
  SLSA_PROVENANCE_PREDICATE_TYPE,
  SignatureError,
  hashModel,
  modelKindOf,
  parseDsseBundle,
  signatureIgnorePath,
  verifyStatementBundle,
  type SignerIdentity,
  type VerificationTrust,
} from '@steward/attest';
import { SignedBundleResponseSchema, StewardError, parseModelVersionRef } from '@steward/domain';
import { connect, parseArg } from '../command.js';
import { CliError } from '../errors.js';
import { type Io, printJson } from '../output.js';
import { writeOutput } from './export.js';
import { describeSignature, versionPath } from './signatures.js';

export function register(program: Command, io: Io): void {
  program
    .command('provenance <ref>')
    .description('download the signed SLSA provenance v1 of ORG/NAME@VERSION (datasets, base model, code commit, evaluations); verify it with `steward verify-signature DIR --public-key org.pub --signature FILE`')
    .option('-o, --output <file>', 'write the bundle to this file instead of stdout')
    .option('--statement', 'write the signed statement (JSON) instead of the bundle')
    .option('--sign', 'first build and sign it anew with the org key (maintainers)')
    .option('--builder-id <uri>', 'with --sign: builder.id, a URI naming the training platform or pipeline (default: the registry)')
    .action(async (refText: string, opts: { output?: string; statement?: boolean; sign?: boolean; builderId?: string }, cmd: Command) => {
      if (opts.builderId && !opts.sign) throw new CliError('--builder-id needs --sign', 2);
      const ref = parseArg(() => parseModelVersionRef(refText, 'provenance'));
      const { client } = connect(cmd, io);
      if (opts.sign) {
        const r = await client.json('POST', `${versionPath(ref)}/provenance`, SignedBundleResponseSchema, opts.builderId ? { builderId: opts.builderId } : {});
        io.err(`signed: ${describeSignature(r.signature)}`);
        if (!opts.statement) return writeOutput(Readable.from([r.bundle]), opts.output, io);
      }
      const { stream } = await client.download(`${versionPath(ref)}/provenance${opts.statement ? '' : '/bundle'}`);
      await writeOutput(stream, opts.output, io);
    });
}

/** Whether a bundle signs SLSA provenance (rather than model files); anything unreadable is left to the model-signature path to report. */
export function isProvenanceBundle(bundle: string): boolean {
  try {
    const payload = parseDsseBundle(bundle).payload as { predicateType?: unknown } | null;
    return payload?.predicateType === SLSA_PROVENANCE_PREDICATE_TYPE;
  } catch {
    return false;
  }
}

/**
 * `steward verify-signature DIR --signature provenance.sig`: the bundle's signature, then that one
 * of the statement's subjects is the directory's manifest root digest (hashed now, with the
 * default ignore paths, the signature file and --ignore-paths left out). Exit 1 when it does not hold.
 */
export async function verifyProvenanceSignature(
  opts: { modelPath: string; bundle: string; trust: VerificationTrust; ignorePaths: string[]; signaturePath: string; allowSymlinks: boolean; json: boolean },
  io: Io,
): Promise<void> {
  let statement;
  let signer: SignerIdentity;
  let rootDigest: string;
  let files: number;
  try {
    const kind = await modelKindOf(opts.modelPath);
    const hashed = await hashModel(opts.modelPath, {
      allowSymlinks: opts.allowSymlinks,
      ignorePaths: kind === 'file' ? [] : [...opts.ignorePaths, ...(await signatureIgnorePath(opts.modelPath, opts.signaturePath, kind))],
    });
    const v = verifyStatementBundle({ bundle: opts.bundle, trust: opts.trust, predicateType: SLSA_PROVENANCE_PREDICATE_TYPE, manifest: hashed.manifest });
    statement = v.statement;
    signer = v.signer;
    rootDigest = hashed.manifest.rootDigest;
    files = hashed.manifest.files.length;
  } catch (err) {
    if (err instanceof SignatureError || (err instanceof StewardError && err.code === 'invalid_path')) {
      const reason = err instanceof SignatureError ? err.reason : 'model_unreadable';
      if (opts.json) printJson(io, { verified: false, reason, message: err.message, details: err.details });
      throw new CliError(`provenance verification failed (${reason}): ${err.message}`, 1);
    }
    if (err instanceof StewardError) throw new CliError(err.message, 2);
    throw err;
  }
  if (opts.json) return printJson(io, { verified: true, predicateType: statement.predicateType, rootDigest, files, signer, statement });
  const deps = ((statement.predicate as { buildDefinition?: { resolvedDependencies?: unknown[] } }).buildDefinition?.resolvedDependencies ?? []).length;
  io.out(`verified provenance of ${statement.subject.map((s) => s.name).join(', ')}: ${files} file${files === 1 ? '' : 's'}, sha256:${rootDigest}, ${deps} resolved dependenc${deps === 1 ? 'y' : 'ies'}`);
  io.out(`signed by ${signer.method === 'key' ? `key ${signer.publicKeyHint} (ECDSA ${signer.curve})` : `certificate ${signer.subject.replace(/\n/g, ', ')} (ECDSA ${signer.curve})`}`);
}
