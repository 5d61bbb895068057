/**
 * Signatures held by the server (ADR 0012, docs/signing.md): `steward signatures` (list, add,
 * sign, download), `steward signing-key` (the org key: create, rotate, show, list) and
 * `steward trusted-signers` (the keys and CAs the org trusts: add, list, remove).
 */
import { Readable } from 'node:stream';
import type { Command } from 'commander';
import {
  AddSignatureResponseSchema,
  type ModelVersionRef,
  RotatedSigningKeySchema,
  type Signature,
  SignatureListSchema,
  SignedBundleResponseSchema,
  SigningKeyAlgorithmSchema,
  SigningKeySchema,
  SigningKeysSchema,
  TrustedSignerSchema,
  TrustedSignersSchema,
  parseModelVersionRef,
} from '@steward/domain';
import { z } from 'zod';
import { enc } from '../client.js';
import { collect, connect, parseArg } from '../command.js';
import { CliError } from '../errors.js';
import { type Io, printJson, table } from '../output.js';
import { writeOutput } from './export.js';
import { readInputFile } from './sign.js';

export function versionPath(ref: ModelVersionRef): string {
  return `/api/v1/orgs/${enc(ref.org)}/models/${enc(ref.model)}/versions/${enc(ref.ref)}`;
}

function algorithm(value: string | undefined): z.infer<typeof SigningKeyAlgorithmSchema> | undefined {
  if (value === undefined) return undefined;
  const r = SigningKeyAlgorithmSchema.safeParse(value);
  if (!r.success) throw new CliError(`--algorithm: "${value}" is not one of ${SigningKeyAlgorithmSchema.options.join(', ')}`, 2);
  return r.data;
}

export function describeSignature(s: Signature): string {
  return `${s.subject} signature ${s.id}: ${s.kind} ${s.signer} (${s.source === 'server' ? 'org key' : 'uploaded'}, ${s.trusted ? 'trusted' : 'NOT trusted'})`;
}

function registerSignatures(program: Command, io: Io): void {
  const sig = program.command('signatures').description('signatures of model versions held by the server: list, add (verified on arrival), sign with the org key, download');

  sig
    .command('list <ref>')
    .description('list the signatures of ORG/NAME@VERSION (model files and provenance), with trust decided now')
    .option('--json', 'machine-readable output')
    .action(async (refText: string, opts: { json?: boolean }, cmd: Command) => {
      const ref = parseArg(() => parseModelVersionRef(refText, 'signatures list'));
      const { client } = connect(cmd, io);
      const r = await client.json('GET', `${versionPath(ref)}/signatures`, SignatureListSchema);
      if (opts.json) return printJson(io, r.items);
      if (r.items.length === 0) return io.out(`no signatures on ${refText}`);
      const rows = r.items.map((s) => [s.id, s.subject, s.kind, s.source, s.trusted ? 'yes' : 'no', s.signer, s.addedAt]);
      for (const line of table([['ID', 'SUBJECT', 'KIND', 'SOURCE', 'TRUSTED', 'SIGNER', 'ADDED'], ...rows])) io.out(line);
    });

  sig
    .command('add <ref> <bundle>')
    .description('attach a signature bundle (model.sig) to ORG/NAME@VERSION; the server verifies it against the version\'s files first')
    .option('--public-key <file>', 'the PEM public key of a signer the org does not trust (the signature is stored, untrusted)')
    .option('--ca <file>', 'PEM CA certificate(s) of a certificate signer the org does not trust (stored, untrusted); repeatable', collect, [])
    .option('--provenance', 'the bundle signs SLSA provenance of the version, not its files')
    .option('--json', 'print the stored signature as JSON')
    .action(async (refText: string, bundleFile: string, opts: { publicKey?: string; ca: string[]; provenance?: boolean; json?: boolean }, cmd: Command) => {
      const ref = parseArg(() => parseModelVersionRef(refText, 'signatures add'));
      const bundle = readInputFile(bundleFile, 'signature bundle');
      const body = {
        bundle,
        subject: opts.provenance ? 'provenance' : 'model',
        ...(opts.publicKey ? { publicKeyPem: readInputFile(opts.publicKey, 'public key') } : {}),
        ...(opts.ca.length ? { caCertificatesPem: opts.ca.map((f) => readInputFile(f, 'CA certificates')) } : {}),
      };
      const { client } = connect(cmd, io);
      const r = await client.json('POST', `${versionPath(ref)}/signatures`, AddSignatureResponseSchema, body);
      if (opts.json) return printJson(io, r.signature);
      io.out(`${r.created ? 'added' : 'already present:'} ${describeSignature(r.signature)}`);
    });

  sig
    .command('sign <ref>')
    .description('sign ORG/NAME@VERSION with the org key on the server (maintainers): an OpenSSF model-signing bundle over its files')
    .option('-o, --output <file>', 'also write the bundle to this file (verify with `steward verify-signature DIR --public-key org.pub --signature FILE`)')
    .option('--subject-name <name>', 'the directory name verifiers will check the bundle against (default: the model name)')
    .option('--json', 'print the stored signature as JSON')
    .action(async (refText: string, opts: { output?: string; subjectName?: string; json?: boolean }, cmd: Command) => {
      const ref = parseArg(() => parseModelVersionRef(refText, 'signatures sign'));
      const { client } = connect(cmd, io);
      const r = await client.json('POST', `${versionPath(ref)}/signatures/sign`, SignedBundleResponseSchema, opts.subjectName ? { subjectName: opts.subjectName } : {});
      if (opts.output) await writeOutput(Readable.from([r.bundle]), opts.output, io);
      if (opts.json) return printJson(io, r.signature);
      io.out(`signed: ${describeSignature(r.signature)}`);
      if (opts.output) io.err(`bundle written to ${opts.output}`);
    });

  sig
    .command('download <ref> <id>')
    .description('download one stored signature bundle, byte for byte')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .action(async (refText: string, id: string, opts: { output?: string }, cmd: Command) => {
      const ref = parseArg(() => parseModelVersionRef(refText, 'signatures download'));
      const { client } = connect(cmd, io);
      const { stream } = await client.download(`${versionPath(ref)}/signatures/${enc(id)}/bundle`);
      await writeOutput(stream, opts.output, io);
    });
}

function registerSigningKey(program: Command, io: Io): void {
  const key = program.command('signing-key').description('the org signing key held by the server (ECDSA; private key encrypted with the server master key)');
  const orgPath = (org: string) => `/api/v1/orgs/${enc(org)}/signing-keys`;

  key
    .command('create')
    .description('create the org signing key (org admins)')
    .option('--algorithm <algorithm>', 'ecdsa-p256 (default) or ecdsa-p384')
    .option('--json', 'machine-readable output')
    .action(async (opts: { algorithm?: string; json?: boolean }, cmd: Command) => {
      const alg = algorithm(opts.algorithm);
      const { client, org } = connect(cmd, io);
      const k = await client.json('POST', orgPath(org), SigningKeySchema, alg ? { algorithm: alg } : {});
      if (opts.json) return printJson(io, k);
      io.out(`created ${k.algorithm} signing key sha256:${k.fingerprint} for org ${org}`);
    });

  key
    .command('rotate')
    .description('replace the org signing key (org admins); the retired key stays trusted for what it signed')
    .option('--algorithm <algorithm>', 'ecdsa-p256 or ecdsa-p384 (default: the current key\'s)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { algorithm?: string; json?: boolean }, cmd: Command) => {
      const alg = algorithm(opts.algorithm);
      const { client, org } = connect(cmd, io);
      const r = await client.json('POST', `${orgPath(org)}/rotate`, RotatedSigningKeySchema, alg ? { algorithm: alg } : {});
      if (opts.json) return printJson(io, r);
      io.out(`rotated: sha256:${r.previous.fingerprint} retired, sha256:${r.current.fingerprint} (${r.current.algorithm}) current`);
    });

  key
    .command('show')
    .description('print the org\'s current public key (PEM), to verify its signatures with')
    .option('-o, --output <file>', 'write the PEM to this file instead of stdout')
    .option('--json', 'machine-readable output')
    .action(async (opts: { output?: string; json?: boolean }, cmd: Command) => {
      const { client, org } = connect(cmd, io);
      const k = await client.json('GET', `${orgPath(org)}/current`, SigningKeySchema);
      if (opts.json) return printJson(io, k);
      await writeOutput(Readable.from([k.publicKeyPem]), opts.output, io);
      io.err(`org ${org} signing key: ${k.algorithm}, sha256:${k.fingerprint}, created ${k.createdAt} by ${k.createdBy}`);
    });

  key
    .command('list')
    .description('list the org\'s signing keys, current and retired')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { client, org } = connect(cmd, io);
      const r = await client.json('GET', orgPath(org), SigningKeysSchema);
      if (opts.json) return printJson(io, r.keys);
      const rows = r.keys.map((k) => [`sha256:${k.fingerprint}`, k.algorithm, k.createdAt, k.current ? 'current' : `retired ${k.retiredAt}`]);
      for (const line of table([['FINGERPRINT', 'ALGORITHM', 'CREATED', 'STATUS'], ...rows])) io.out(line);
    });
}

function registerTrustedSigners(program: Command, io: Io): void {
  const trust = program.command('trusted-signers').description('public keys and CA certificates the org trusts for signatures, besides its own signing key');
  const orgPath = (org: string) => `/api/v1/orgs/${enc(org)}/trusted-signers`;

  trust
    .command('add <name>')
    .description('trust an ECDSA public key or a CA certificate (org admins)')
    .option('--public-key <file>', 'PEM public key')
    .option('--ca <file>', 'PEM CA certificate (one)')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { publicKey?: string; ca?: string; json?: boolean }, cmd: Command) => {
      if (Boolean(opts.publicKey) === Boolean(opts.ca)) throw new CliError('give exactly one of --public-key and --ca', 2);
      const body = { name, ...(opts.publicKey ? { publicKeyPem: readInputFile(opts.publicKey, 'public key') } : { caCertificatePem: readInputFile(opts.ca!, 'CA certificate') }) };
      const { client, org } = connect(cmd, io);
      const t = await client.json('POST', orgPath(org), TrustedSignerSchema, body);
      if (opts.json) return printJson(io, t);
      io.out(`trusted ${t.kind === 'key' ? 'key' : 'CA'} "${t.name}" (${t.description}), id ${t.id}, sha256:${t.fingerprint}`);
    });

  trust
    .command('list')
    .description('list the keys and CAs the org trusts')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { client, org } = connect(cmd, io);
      const r = await client.json('GET', orgPath(org), TrustedSignersSchema);
      if (opts.json) return printJson(io, r.items);
      const rows = r.items.map((t) => [t.id, t.kind, t.name, `sha256:${t.fingerprint}`, t.description]);
      for (const line of table([['ID', 'KIND', 'NAME', 'FINGERPRINT', 'DESCRIPTION'], ...rows])) io.out(line);
    });

  trust
    .command('remove <id>')
    .description('stop trusting a key or CA (org admins); its signatures stay, untrusted')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const { client, org } = connect(cmd, io);
      await client.json('DELETE', `${orgPath(org)}/${enc(id)}`, z.object({ id: z.string(), removed: z.literal(true) }));
      io.out(`removed trusted signer ${id}`);
    });
}

export function register(program: Command, io: Io): void {
  registerSignatures(program, io);
  registerSigningKey(program, io);
  registerTrustedSigners(program, io);
}
