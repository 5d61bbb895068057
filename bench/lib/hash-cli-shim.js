#!/usr/bin/env node
// Stand-in for `steward hash DIR --json` until the CLI exists: same work (process start, import,
// hashModelDirectory on worker threads, JSON manifest on stdout).
import { hashModelDirectory } from '@steward/attest';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: hash-cli-shim.js DIR\n');
  process.exit(2);
}
try {
  const manifest = await hashModelDirectory(dir);
  process.stdout.write(JSON.stringify(manifest) + '\n');
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
