// Benchmark data: a directory of same-size pseudo-random files, created once and reused.
import { randomFillSync } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readSync, readdirSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const CHUNK = 8 * 1024 * 1024;

/** Ensures `dir` holds exactly `count` files of `size` bytes (f00..); returns their names. */
export function ensureFiles(dir, count, size) {
  mkdirSync(dir, { recursive: true });
  const names = Array.from({ length: count }, (_, i) => `f${String(i).padStart(2, '0')}.bin`);
  const present = new Set(readdirSync(dir));
  const buf = Buffer.allocUnsafe(CHUNK);
  for (const name of names) {
    const path = join(dir, name);
    if (present.has(name) && statSync(path).size === size) continue;
    const tmp = `${path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      for (let left = size; left > 0; ) {
        const n = Math.min(left, CHUNK);
        randomFillSync(buf, 0, n); // OpenSSL DRBG: GB/s, cheap enough for 2 GiB
        writeSync(fd, buf, 0, n);
        left -= n;
      }
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  }
  for (const extra of readdirSync(dir)) {
    if (!names.includes(extra)) throw new Error(`unexpected file ${join(dir, extra)}: remove it`);
  }
  return names;
}

/** Reads every file once so the timed runs hit the page cache. */
export function warmCache(dir, names) {
  const buf = Buffer.allocUnsafe(CHUNK);
  let total = 0;
  for (const name of names) {
    const fd = openSync(join(dir, name), 'r');
    try {
      let n;
      while ((n = readSync(fd, buf, 0, CHUNK, null)) > 0) total += n;
    } finally {
      closeSync(fd);
    }
  }
  return total;
}
