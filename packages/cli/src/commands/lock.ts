/**
 * `steward lock`: pins every model declared in steward.yaml by digest: writes steward.lock (next
 * to steward.yaml) with each model's manifest digest and per-file SHA-256. Review and commit it;
 * `steward check` fails when a file no longer matches.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Io } from '../output.js';
import { loadRepo, modelDir, shownPath } from './check.js';

export async function runLock(opts: { config?: string }, io: Io): Promise<void> {
  const repo = await loadRepo(opts.config);
  const { hashModelDirectory } = await import('@steward/attest');
  const dirs = repo.loaded.config.models.map((m, i) => modelDir(repo, m, i));
  const models: import('@steward/policy').LockFile['models'] = {};
  for (const [i, m] of repo.loaded.config.models.entries()) {
    const manifest = await hashModelDirectory(dirs[i]!);
    models[m.name] = { path: m.path, version: m.version ?? null, manifestDigest: manifest.rootDigest, files: manifest.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 })) };
    io.err(`locked ${m.name}: ${manifest.files.length} files, sha256:${manifest.rootDigest}`);
  }
  const lockPath = path.join(repo.root, 'steward.lock');
  writeFileSync(lockPath, repo.policy.renderLock({ lockVersion: 1, models }));
  io.out(`wrote ${shownPath(lockPath)}`);
}

export function register(program: Command, io: Io): void {
  program
    .command('lock')
    .description("pin the files of every model in steward.yaml: write steward.lock with each model's manifest and file digests")
    .option('--config <file>', 'the repository configuration (default ./steward.yaml)')
    .action(async (opts: { config?: string }) => runLock(opts, io));
}
