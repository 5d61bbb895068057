import path from 'node:path';
import type { Command } from 'commander';
import { hashModelDirectory, toInTotoStatement } from '@steward/attest';
import { collect } from '../args.js';
import { type Io, printJson, table, formatBytes } from '../output.js';

export function register(program: Command, io: Io): void {
  program
    .command('hash <dir>')
    .description('print the model manifest (OpenSSF model-signing "files" method, SHA-256) and its root digest')
    .option('--json', 'print the manifest and its in-toto statement as JSON')
    .option('--allow-symlinks', 'follow symlinks that stay inside the directory')
    .option('--ignore <path>', 'path (relative to DIR) to leave out; repeatable', collect, [])
    .option('--concurrency <n>', 'hashing threads (default: all cores)')
    .action(async (dir: string, opts: { json?: boolean; allowSymlinks?: boolean; ignore: string[]; concurrency?: string }) => {
      const manifest = await hashModelDirectory(dir, {
        allowSymlinks: Boolean(opts.allowSymlinks),
        ignorePaths: opts.ignore,
        ...(opts.concurrency ? { concurrency: Number(opts.concurrency) } : {}),
      });
      if (opts.json) return printJson(io, { ...manifest, statement: toInTotoStatement(manifest, path.basename(path.resolve(dir))) });
      for (const line of table(manifest.files.map((f) => [f.sha256, formatBytes(f.size).padStart(10), f.path]))) io.out(line);
      io.out(`sha256:${manifest.rootDigest}`);
    });
}
