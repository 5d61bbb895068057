import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { hashModelDirectory, type Manifest } from '@steward/attest';
import {
  BlobUploadResponseSchema,
  MissingBlobsResponseSchema,
  PushVersionResponseSchema,
  RiskTierSchema,
  SemverSchema,
  StewardError,
  parseDatasetRef,
  parseModelRef,
  parseModelVersionRef,
} from '@steward/domain';
import { ApiError, enc, type StewardClient } from '../client.js';
import { collect, connect, parseArg } from '../command.js';
import { CliError } from '../errors.js';
import { type Io, Progress, formatBytes, printJson } from '../output.js';

const UPLOAD_CONCURRENCY = 4;

interface PushOptions {
  model: string;
  version: string;
  dataset: string[];
  evalDataset: string[];
  baseModel?: string;
  sourceRepo?: string;
  sourceCommit?: string;
  sourceCommitTime?: string;
  allowSymlinks?: boolean;
  ignore: string[];
  description?: string;
  riskTier?: string;
  tag: string[];
  json?: boolean;
}

export function register(program: Command, io: Io): void {
  program
    .command('push <dir>')
    .description('hash a model directory, upload the files the server lacks, and register the version atomically')
    .requiredOption('--model <org/name>', 'model to push to (created on first push)')
    .requiredOption('--version <semver>', 'semantic version of this model version')
    .option('--dataset <name@version>', 'dataset the model was trained on; repeatable', collect, [])
    .option('--eval-dataset <name@version>', 'dataset the model was evaluated on; repeatable', collect, [])
    .option('--base-model <org/name@version>', 'model version this one derives from (fine-tune, quantization...)')
    .option('--source-repo <url>', 'repository of the training code')
    .option('--source-commit <sha>', 'commit of the training code')
    .option('--source-commit-time <iso>', 'when that commit was made (ISO-8601; lead time to production is measured from it)')
    .option('--allow-symlinks', 'follow symlinks that stay inside the directory')
    .option('--ignore <path>', 'path (relative to DIR) to leave out; repeatable', collect, [])
    .option('--description <text>', 'model description (when this push creates the model)')
    .option('--risk-tier <tier>', `risk tier when this push creates the model: ${RiskTierSchema.options.join(', ')}`)
    .option('--tag <tag>', 'model tag when this push creates the model; repeatable', collect, [])
    .option('--json', 'print the registered version as JSON')
    .action(async (dir: string, opts: PushOptions, cmd: Command) => {
      let model = { org: '', model: '' };
      const datasets: { name: string; version: string; relation: 'trained_on' | 'evaluated_on' }[] = [];
      parseArg(() => {
        model = parseModelRef(opts.model, '--model');
        const v = SemverSchema.safeParse(opts.version);
        if (!v.success) throw new StewardError('bad_request', `--version: "${opts.version}" ${v.error.issues[0]?.message}`);
        for (const d of opts.dataset) datasets.push({ ...parseDatasetRef(d, '--dataset'), relation: 'trained_on' });
        for (const d of opts.evalDataset) datasets.push({ ...parseDatasetRef(d, '--eval-dataset'), relation: 'evaluated_on' });
        if (opts.baseModel) parseModelVersionRef(opts.baseModel, '--base-model');
        if (opts.riskTier && !RiskTierSchema.safeParse(opts.riskTier).success) throw new StewardError('bad_request', `--risk-tier: "${opts.riskTier}" is not one of ${RiskTierSchema.options.join(', ')}`);
        if (opts.sourceCommit && !opts.sourceRepo) throw new StewardError('bad_request', '--source-commit needs --source-repo');
      });
      let st: fs.Stats;
      try {
        st = fs.statSync(dir);
      } catch {
        throw new CliError(`${dir}: no such directory`, 2);
      }
      if (!st.isDirectory()) throw new CliError(`${dir}: not a directory`, 2);
      const { client } = connect(cmd, io);

      let hashProgress: Progress | undefined;
      const manifest = await hashModelDirectory(dir, {
        allowSymlinks: Boolean(opts.allowSymlinks),
        ignorePaths: opts.ignore,
        onProgress: (done, total) => {
          hashProgress ??= new Progress(io, 'hashing  ', total);
          hashProgress.set(done);
        },
      }).catch((err: unknown) => {
        if (err instanceof StewardError) throw new CliError(`${dir}: ${err.message}`, 2);
        throw err;
      });
      hashProgress?.finish();

      const uploaded = await uploadMissing(client, model.org, dir, manifest, io);
      const body = {
        version: opts.version,
        manifest: { serialization: manifest.serialization, files: manifest.files, rootDigest: manifest.rootDigest },
        datasets,
        ...(opts.baseModel ? { baseModel: opts.baseModel } : {}),
        ...(opts.sourceRepo ? { sourceRepo: opts.sourceRepo } : {}),
        ...(opts.sourceCommit ? { sourceCommit: opts.sourceCommit } : {}),
        ...(opts.sourceCommitTime ? { sourceCommitTime: opts.sourceCommitTime } : {}),
        ...(opts.description ? { description: opts.description } : {}),
        ...(opts.riskTier ? { riskTier: opts.riskTier } : {}),
        ...(opts.tag.length ? { tags: opts.tag } : {}),
      };
      const r = await client.json('POST', `/api/v1/orgs/${enc(model.org)}/models/${enc(model.model)}/versions`, PushVersionResponseSchema, body);
      if (opts.json) return printJson(io, { ...r, uploadedFiles: uploaded.files, uploadedBytes: uploaded.bytes });
      const v = r.version;
      io.err(
        `${r.created ? 'pushed' : 'already registered (identical content)'} ${v.org}/${v.model}@${v.version}: ${v.fileCount} files, ${formatBytes(v.totalSize)}; uploaded ${uploaded.files} files (${formatBytes(uploaded.bytes)})`,
      );
      if (v.card && v.card.problems.length > 0) {
        io.err(`model card ${v.card.path} has ${v.card.problems.length} problem(s):`);
        for (const p of v.card.problems) io.err(`  ${v.card.path}:${p.line}: ${p.severity}: ${p.message}`);
      }
      io.out(`sha256:${v.manifestDigest}`);
    });
}

/** Asks which blobs the server lacks and streams only those, a few at a time. */
async function uploadMissing(client: StewardClient, org: string, dir: string, manifest: Manifest, io: Io): Promise<{ files: number; bytes: number }> {
  const byDigest = new Map<string, { path: string; size: number }>();
  for (const f of manifest.files) if (!byDigest.has(f.sha256)) byDigest.set(f.sha256, { path: f.path, size: f.size });
  const { missing } = await client.json('POST', `/api/v1/orgs/${enc(org)}/blobs/missing`, MissingBlobsResponseSchema, { digests: [...byDigest.keys()] });
  const total = missing.reduce((n, d) => n + byDigest.get(d)!.size, 0);
  const progress = new Progress(io, 'uploading', total);
  const queue = [...missing];
  let bytes = 0;
  const worker = async () => {
    for (let digest = queue.shift(); digest !== undefined; digest = queue.shift()) {
      const f = byDigest.get(digest)!;
      const stream = fs.createReadStream(path.join(dir, ...f.path.split('/')), { highWaterMark: 1024 * 1024 });
      stream.on('data', (chunk) => progress.add(chunk.length));
      try {
        await client.upload(`/api/v1/orgs/${enc(org)}/blobs/${digest}`, BlobUploadResponseSchema, stream, f.size);
      } catch (err) {
        if (err instanceof ApiError && err.code === 'digest_mismatch') throw new CliError(`${f.path} changed while it was being pushed; nothing was registered, push again`, 1);
        throw err;
      }
      bytes += f.size;
    }
  };
  await Promise.all(Array.from({ length: Math.min(UPLOAD_CONCURRENCY, queue.length) }, worker));
  progress.finish();
  return { files: missing.length, bytes };
}
