import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { Command } from 'commander';
import { rootDigestOf, sha256File } from '@steward/attest';
import { StewardError, VersionSchema, parseModelVersionRef, validateModelPath } from '@steward/domain';
import { enc, type StewardClient } from '../client.js';
import { connect, parseArg } from '../command.js';
import { CliError } from '../errors.js';
import { type Io, Progress, formatBytes, printJson } from '../output.js';

const DOWNLOAD_CONCURRENCY = 4;

export function register(program: Command, io: Io): void {
  program
    .command('pull <ref> <dir>')
    .description('download ORG/NAME@VERSION (or @RING) into DIR, verifying every file digest before reporting success')
    .option('--json', 'print the version pulled as JSON')
    .action(async (refText: string, dir: string, opts: { json?: boolean }, cmd: Command) => {
      const ref = parseArg(() => parseModelVersionRef(refText, 'pull'));
      const { client } = connect(cmd, io);
      const v = await client.json('GET', `/api/v1/orgs/${enc(ref.org)}/models/${enc(ref.model)}/versions/${enc(ref.ref)}`, VersionSchema);
      // Never trust paths from the network: validate each and keep it inside DIR.
      const root = path.resolve(dir);
      for (const f of v.manifest.files) {
        try {
          validateModelPath(f.path);
        } catch (err) {
          throw new CliError(`server sent an unsafe path: ${(err as StewardError).message}`, 1);
        }
      }
      const computedRoot = rootDigestOf(v.manifest.files.map((f) => f.sha256));
      if (computedRoot !== v.manifestDigest) throw new CliError(`server manifest is inconsistent: files hash to ${computedRoot}, version says ${v.manifestDigest}`, 1);
      fs.mkdirSync(root, { recursive: true });

      const total = v.manifest.files.reduce((n, f) => n + f.size, 0);
      const progress = new Progress(io, 'downloading', total);
      const queue = [...v.manifest.files];
      let downloaded = 0;
      let reused = 0;
      const failures: string[] = [];
      const worker = async () => {
        for (let f = queue.shift(); f !== undefined; f = queue.shift()) {
          const target = path.join(root, ...f.path.split('/'));
          if (await alreadyThere(target, f.size, f.sha256)) {
            reused++;
            progress.add(f.size);
            continue;
          }
          try {
            await downloadOne(client, ref.org, f, target, progress);
            downloaded++;
          } catch (err) {
            failures.push(`${f.path}: ${(err as Error).message}`);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(DOWNLOAD_CONCURRENCY, queue.length) }, worker));
      progress.finish();
      if (failures.length > 0) throw new CliError(`pull of ${v.org}/${v.model}@${v.version} failed; no file below was kept:\n  ${failures.join('\n  ')}`, 1);
      if (opts.json) return printJson(io, { version: v, downloaded, reused, directory: root });
      io.err(`pulled ${v.org}/${v.model}@${v.version} into ${root}: ${v.fileCount} files (${formatBytes(v.totalSize)}), ${downloaded} downloaded, ${reused} already present; all digests verified`);
      io.out(`sha256:${v.manifestDigest}`);
    });
}

async function alreadyThere(target: string, size: number, sha256: string): Promise<boolean> {
  try {
    const st = await fs.promises.lstat(target);
    if (!st.isFile() || st.size !== size) return false;
    return (await sha256File(target)).sha256 === sha256;
  } catch {
    return false;
  }
}

/** Streams to a temporary file beside the target while hashing; renames only when digest and size match. */
async function downloadOne(client: StewardClient, org: string, f: { path: string; size: number; sha256: string }, target: string, progress: Progress): Promise<void> {
  await fs.promises.mkdir(path.dirname(target), { recursive: true });
  const tmp = `${target}.steward-partial-${process.pid}`;
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    const { stream } = await client.download(`/api/v1/orgs/${enc(org)}/blobs/${f.sha256}`);
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        bytes += chunk.length;
        progress.add(chunk.length);
        cb(null, chunk);
      },
    });
    await pipeline(stream, tap, fs.createWriteStream(tmp, { flags: 'w', mode: 0o644 }));
    const actual = hash.digest('hex');
    if (bytes !== f.size) throw new Error(`expected ${f.size} bytes, received ${bytes}`);
    if (actual !== f.sha256) throw new Error(`digest mismatch: expected sha256:${f.sha256}, received sha256:${actual}`);
    await fs.promises.rename(tmp, target);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
}
