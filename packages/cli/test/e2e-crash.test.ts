/**
 * End to end, the hard cases: kill -9 of the CLI and of the server in the middle of a push, then
 * `steward gc`; and the S3-compatible blob store. CLI and server are real processes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS, createTestDatabase, type TestDatabase } from '../../server/test/helpers/db.js';
import { startS3rver, type RunningS3rver } from '../../server/test/helpers/s3rver.js';
import { listFiles, modelCard, random, sha256, treeDiff, writeTree } from './helpers/files.js';
import { ADMIN_TOKEN, type CliResult, type ServerProcess, json, lastLine, ok, runCli, spawnCli, startServerProcess } from './helpers/processes.js';

const BIG = 200 * 1024 * 1024;
const MiB = 1024 * 1024;

/** A 200 MiB file: 64 KiB of random bytes (a unique digest), then a sparse hole. */
function bigFile(file: string): void {
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, random(64 * 1024), 0, 64 * 1024, 0);
    fs.ftruncateSync(fd, BIG);
  } finally {
    fs.closeSync(fd);
  }
}

/** Size of the largest upload temporary in dir (0 if none). */
function largestTemporary(dir: string): number {
  let max = 0;
  for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    try {
      max = Math.max(max, fs.statSync(path.join(dir, name)).size);
    } catch {
      // renamed or removed meanwhile
    }
  }
  return max;
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await sleep(5);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.each(DB_KINDS)('crash safety of push, and gc (%s)', (kind) => {
  let root: string;
  let dataDir: string;
  let db: TestDatabase;
  let server: ServerProcess;
  let home: { HOME: string; XDG_CONFIG_HOME: string };
  let modelDir: string;
  const small = { 'README.md': modelCard({ accuracy: 0.5 }), 'config.json': `{"kind": "${kind}"}\n` };

  const cli = (args: string[]): Promise<CliResult> => runCli(args, { env: { ...home, STEWARD_SERVER: server.url, STEWARD_TOKEN: ADMIN_TOKEN }, cwd: root });
  const start = () => startServerProcess({ dataDir, databaseUrl: db.url, env: { STEWARD_GC_GRACE_SECONDS: '0' } });
  const blobDir = () => path.join(dataDir, 'blobs', 'sha256');
  const tmpDir = () => path.join(dataDir, 'blobs', 'tmp');
  const stored = () => listFiles(blobDir()).map((p) => path.basename(p)).sort();
  const smallDigests = Object.values(small).map((c) => sha256(c)).sort();
  /** Mid-upload: the small files are uploaded and registered as held, the big one is partly written. */
  const midUpload = () =>
    waitFor('the small files uploaded and the big one in flight', async () => {
      if (largestTemporary(tmpDir()) < 4 * MiB) return false;
      const r = await fetch(`${server.url}/api/v1/orgs/default/blobs/missing`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ digests: smallDigests }),
      });
      return r.status === 200 && ((await r.json()) as { missing: string[] }).missing.length === 0;
    });

  beforeAll(async () => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `steward-cli-crash-${kind}-`)));
    home = { HOME: path.join(root, 'home'), XDG_CONFIG_HOME: path.join(root, 'xdg') };
    dataDir = path.join(root, 'data');
    fs.mkdirSync(dataDir);
    db = await createTestDatabase(kind, dataDir);
    server = await start();
    modelDir = writeTree(path.join(root, 'model'), small);
    bigFile(path.join(modelDir, 'weights.bin'));
  });

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('kill -9 of the CLI mid-upload: no version, server healthy, gc removes the orphaned blobs', async () => {
    const push = spawnCli(['push', modelDir, '--model', 'default/crash', '--version', '1.0.0'], { env: { ...home, STEWARD_SERVER: server.url, STEWARD_TOKEN: ADMIN_TOKEN } });
    try {
      await midUpload();
    } finally {
      push.proc.kill('SIGKILL');
    }
    const r = await push.result;
    expect(r.signal).toBe('SIGKILL');
    expect(r.stdout).toBe('');

    const [show, ready, who] = await Promise.all([cli(['show', 'default/crash@1.0.0']), fetch(`${server.url}/readyz`), cli(['whoami'])]);
    expect(show.code).toBe(1);
    expect(show.stderr).toContain('model "crash" not found');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    expect(ok(who).stdout).toContain('admin');
    expect(server.proc.exitCode).toBeNull();

    // The small files made it; the big one never did.
    expect(stored()).toEqual(smallDigests);
    const gc = json(await cli(['gc', '--json']));
    expect(gc).toMatchObject({ possessionsDeleted: 2, blobsDeleted: 2, bytesFreed: Object.values(small).reduce((n, c) => n + Buffer.byteLength(c), 0) });
    expect(stored()).toEqual([]);
    expect(listFiles(tmpDir())).toEqual([]);
  }, 120_000);

  it('kill -9 of the server mid-upload: after a restart no version exists, gc removes the temporary, the push succeeds', async () => {
    const push = spawnCli(['push', modelDir, '--model', 'default/crash', '--version', '1.0.0'], { env: { ...home, STEWARD_SERVER: server.url, STEWARD_TOKEN: ADMIN_TOKEN } });
    let r!: CliResult;
    try {
      await midUpload();
      await server.kill9();
      r = await push.result;
    } finally {
      push.proc.kill('SIGKILL');
    }
    expect(r.code).not.toBe(0);
    expect(r.signal).toBeNull();
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^steward: error: /m);
    expect(r.stderr).not.toContain('internal error');
    // The dead server left its upload temporary behind.
    expect(listFiles(tmpDir())).toHaveLength(1);

    server = await start();
    expect(server.stderr()).not.toContain('admin API token');
    const show = await cli(['show', 'default/crash@1.0.0']);
    expect(show.code).toBe(1);
    expect(show.stderr).toContain('model "crash" not found');

    const gc = json(await cli(['gc', '--json']));
    expect(gc.temporariesDeleted).toBe(1);
    expect(listFiles(tmpDir())).toEqual([]);
    expect(stored()).toEqual([]);

    const again = ok(await cli(['push', modelDir, '--model', 'default/crash', '--version', '1.0.0']));
    expect(again.stderr).toMatch(/pushed default\/crash@1\.0\.0: 3 files, 200 MiB; uploaded 3 files/);
    const v = json(await cli(['show', 'default/crash@1.0.0', '--json']));
    expect(lastLine(again.stdout)).toBe(`sha256:${v.manifestDigest}`);
    const big = v.manifest.files.find((f: { path: string }) => f.path === 'weights.bin');
    expect(big.size).toBe(BIG);
    expect(fs.statSync(path.join(blobDir(), big.sha256.slice(0, 2), big.sha256)).size).toBe(BIG);
    // Nothing a version uses is collected.
    const gc2 = json(await cli(['gc', '--json']));
    expect(gc2).toMatchObject({ blobsDeleted: 0, possessionsDeleted: 0 });
    expect(stored()).toEqual([...smallDigests, big.sha256].sort());
  }, 120_000);
});

describe('S3-compatible blob store (sqlite)', () => {
  let root: string;
  let s3: RunningS3rver;
  let db: TestDatabase;
  let server: ServerProcess;

  beforeAll(async () => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'steward-cli-s3-')));
    s3 = await startS3rver();
    const dataDir = path.join(root, 'data');
    fs.mkdirSync(dataDir);
    db = await createTestDatabase('sqlite', dataDir);
    server = await startServerProcess({
      dataDir,
      databaseUrl: db.url,
      args: ['--blob-store', `s3://${s3.bucket}/steward`],
      env: { STEWARD_S3_ENDPOINT: s3.endpoint, STEWARD_S3_ACCESS_KEY_ID: 'S3RVER', STEWARD_S3_SECRET_ACCESS_KEY: 'S3RVER' },
    });
  });

  afterAll(async () => {
    await server?.stop();
    await s3?.stop();
    await db?.drop();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('push then pull round-trips through the bucket', async () => {
    expect(server.stderr()).toContain('blobs: s3)');
    const env = { HOME: path.join(root, 'home'), XDG_CONFIG_HOME: path.join(root, 'xdg'), STEWARD_SERVER: server.url, STEWARD_TOKEN: ADMIN_TOKEN };
    const weights = random(3 * MiB + 17);
    const dir = writeTree(path.join(root, 'model'), { 'README.md': modelCard(), 'weights.bin': weights, 'nested/config.json': '{"s3": true}\n' });
    const pushed = ok(await runCli(['push', dir, '--model', 'default/s3', '--version', '1.0.0'], { env }));
    expect(s3.requests.some((r) => r.startsWith(`PUT /${s3.bucket}/steward/sha256/${sha256(weights)}`))).toBe(true);
    // Nothing went to the local blob folder.
    expect(listFiles(path.join(root, 'data', 'blobs', 'sha256'))).toEqual([]);

    const out = path.join(root, 'pulled');
    const pulled = ok(await runCli(['pull', 'default/s3@1.0.0', out], { env }));
    expect(lastLine(pulled.stdout)).toBe(lastLine(pushed.stdout));
    expect(treeDiff(out, dir)).toEqual([]);
    expect(listFiles(out)).toHaveLength(3);
    expect(s3.requests.some((r) => r.startsWith(`GET /${s3.bucket}/steward/sha256/${sha256(weights)}`))).toBe(true);
  });
});
