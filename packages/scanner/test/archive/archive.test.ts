import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ARCHIVE_RULES, unsafePathReason } from '../../src/archive/common.js';
import { crc32, inflateLimited } from '../../src/archive/inflate.js';
import { looksLikeTar, tarNumber } from '../../src/archive/tar.js';
import { openZip } from '../../src/archive/zip.js';
import type { ScanContext } from '../../src/context.js';
import { gzipHandler, zlibHandler } from '../../src/formats/gzip.js';
import { damagedTarHandler, tarHandler } from '../../src/formats/tar.js';
import { probeTrailingZip, zipHandler } from '../../src/formats/zip.js';
import { scanBuffer } from '../../src/scan.js';
import { BufferSource, type ByteSource } from '../../src/source.js';
import { DEFAULT_LIMITS, type FileReport, type ScanLimits } from '../../src/types.js';
import { allRules, engine, flatten } from './engine.js';
import { ARCHIVE_CORPUS, fuzzArchives } from './fuzz-lib.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fx = (name: string) => path.join(here, 'fixtures', name);
const read = (name: string) => fs.readFileSync(fx(name));

async function scan(name: string, limits?: Partial<ScanLimits>, displayName = name): Promise<FileReport> {
  return scanBuffer(engine, read(name), displayName, limits ? { limits } : {});
}

const rules = (r: FileReport) => r.findings.map((f) => f.ruleId);
const finding = (r: FileReport, ruleId: string) => r.findings.find((f) => f.ruleId === ruleId);
/** The stand-in pickle handler's payload finding, wherever in the tree it is. */
const payloadAt = (r: FileReport) => flatten(r).filter((x) => x.findings.some((f) => f.ruleId === 'test.pickle-payload')).map((x) => x.path);

/** Asserts the exact rule with the verdict and severity the rule table gives it. */
function expectRule(r: FileReport, ruleId: keyof typeof ARCHIVE_RULES) {
  const f = finding(r, ruleId);
  expect(f, `${ruleId} in ${JSON.stringify(rules(r))}`).toBeDefined();
  expect(f!.verdict).toBe(ARCHIVE_RULES[ruleId].verdict);
  expect(f!.severity).toBe(ARCHIVE_RULES[ruleId].severity);
  return f!;
}

describe('zip: path attacks and links', () => {
  it.each(['traversal.zip', 'absolute.zip', 'drive.zip', 'backslash.zip'])('%s is unsafe: archive.path-traversal', async (name) => {
    const r = await scan(name);
    expect(r.verdict).toBe('unsafe');
    expectRule(r, 'archive.path-traversal');
  });

  it('a symlink member is unsafe and its target is shown', async () => {
    const r = await scan('symlink.zip');
    expect(r.verdict).toBe('unsafe');
    expect(expectRule(r, 'archive.symlink').message).toContain('/etc/passwd');
  });

  it('names path problems precisely', () => {
    expect(unsafePathReason('a/../../b')).toMatch(/\.\./);
    expect(unsafePathReason('/etc/x')).toMatch(/absolute/);
    expect(unsafePathReason('C:/x')).toMatch(/drive/);
    expect(unsafePathReason('a\\b')).toMatch(/backslash/);
    expect(unsafePathReason('a/..b/c..')).toBeNull();
    expect(unsafePathReason('archive/data.pkl')).toBeNull();
  });
});

describe('zip: read the way PyTorch reads (CVE-2025-1944, CVE-2025-1945, CVE-2025-10156)', () => {
  it('local header name != central directory name: unsafe, both names reported, the payload still found', async () => {
    const r = await scan('name-mismatch.zip');
    expect(r.verdict).toBe('unsafe');
    const f = expectRule(r, 'zip.name-mismatch');
    expect(f.message).toContain('archive/data.pkl');
    expect(f.message).toContain('archive/data.txt');
    expect(payloadAt(r)).toEqual(['name-mismatch.zip!archive/data.pkl']);
    // Labelled by the central name PyTorch looks up.
    expect(r.format).toBe('pytorch-zip');
  });

  it.each(['bad-crc-stored.zip', 'bad-crc-deflated.zip'])('%s: CRC mismatch reported (medium, unknown) and the member scanned anyway', async (name) => {
    const r = await scan(name);
    expectRule(r, 'zip.crc-mismatch');
    expect(payloadAt(r)).toEqual([`${name}!archive/data.pkl`]);
    expect(r.verdict).toBe('unsafe');
  });

  it('flag bits Python refuses (bit 5) do not stop the scan', async () => {
    const r = await scan('flag-bits.zip');
    expectRule(r, 'zip.unusual-flags');
    expect(payloadAt(r)).toEqual(['flag-bits.zip!archive/data.pkl']);
    expect(r.verdict).toBe('unsafe');
  });

  it('a benign zip with a correct CRC has no CRC finding', async () => {
    const r = await scan('benign.zip');
    expect(r.verdict).toBe('safe');
    expect(allRules(r).filter((x) => x.startsWith('zip.') || x.startsWith('archive.'))).toEqual([]);
  });
});

describe('zip: structure attacks', () => {
  it('duplicate names: unsafe, every copy scanned', async () => {
    const r = await scan('duplicate.zip');
    expect(r.verdict).toBe('unsafe');
    expectRule(r, 'zip.duplicate-name');
    expect(r.children!.map((c) => c.path)).toEqual(['duplicate.zip!archive/data.pkl', 'duplicate.zip!archive/data.pkl']);
    expect(payloadAt(r)).toHaveLength(1);
  });

  it('overlapping members: unsafe', async () => {
    const r = await scan('overlap.zip');
    expect(r.verdict).toBe('unsafe');
    expectRule(r, 'zip.overlap');
  });

  it('a pickle prepended to a zip (polyglot) is scanned as its own content', async () => {
    const r = await scan('prepended-pickle.zip');
    expectRule(r, 'zip.prepended-data');
    expect(payloadAt(r)).toEqual(['prepended-pickle.zip!<prepended-data@0>']);
    expect(r.verdict).toBe('unsafe');
  });

  it('benign prepended data (a self-extractor stub) is unknown, not safe', async () => {
    const r = await scan('benign-prepended.zip');
    expect(r.format).toBe('zip');
    expectRule(r, 'zip.prepended-data');
    expect(r.verdict).toBe('unknown');
    expect(r.children!.map((c) => c.path)).toContain('benign-prepended.zip!a.txt');
  });

  it('a local entry missing from the central directory is a hidden member, and it is scanned', async () => {
    const r = await scan('hidden-member.zip');
    expect(r.verdict).toBe('unsafe');
    expectRule(r, 'zip.hidden-member');
    expect(payloadAt(r)).toEqual(['hidden-member.zip!<prepended-data@0>!hidden.pkl']);
  });

  it('end record count != directory entries: unsafe, every entry scanned', async () => {
    const r = await scan('count-mismatch.zip');
    expectRule(r, 'zip.count-mismatch');
    expect(payloadAt(r)).toEqual(['count-mismatch.zip!archive/data.pkl']);
  });

  it('two central directories (miniz at the recorded offset, Python before the end record): both scanned', async () => {
    const r = await scan('ambiguous-directory.zip');
    expect(r.verdict).toBe('unsafe');
    expectRule(r, 'zip.ambiguous-directory');
    const paths = r.children!.map((c) => c.path);
    expect(paths).toContain('ambiguous-directory.zip!a/data.pkl');
    expect(payloadAt(r)).toEqual(['ambiguous-directory.zip!b/data.pkl']);
  });

  it('no central directory (truncated): local headers are walked and the payload found', async () => {
    const r = await scan('no-central-directory.zip');
    expectRule(r, 'zip.no-central-directory');
    expect(payloadAt(r)).toEqual(['no-central-directory.zip!data.pkl']);
  });

  it('an encrypted member is unknown: it cannot be inspected', async () => {
    const r = await scan('encrypted.zip');
    expectRule(r, 'zip.encrypted');
    expect(r.verdict).toBe('unknown');
  });

  it('an unsupported method (lzma) is unknown', async () => {
    const r = await scan('lzma-member.zip');
    expectRule(r, 'zip.unsupported-method');
    expect(r.verdict).toBe('unknown');
  });

  it('ZIP64 (full ZIP64 directory by hand, and Python force_zip64): members found, no findings', async () => {
    for (const name of ['zip64-full.zip', 'zip64-python.zip']) {
      const r = await scan(name);
      expect(rules(r)).toEqual([]);
      expect(payloadAt(r)).toEqual([`${name}!archive/data.pkl`]);
    }
    const full = await scan('zip64-full.zip');
    expect(full.details?.zip64).toBe(true);
    expect(full.children!.map((c) => c.path)).toEqual(['zip64-full.zip!archive/data.pkl', 'zip64-full.zip!readme.txt']);
  });
});

describe('zip: bombs and limits', () => {
  it('declared ratio above the limit: archive.bomb, unsafe, not inflated', async () => {
    const r = await scan('bomb-ratio.zip');
    expect(r.verdict).toBe('unsafe');
    expect(expectRule(r, 'archive.bomb').message).toMatch(/ratio \d+ > 200/);
    expect(r.children).toEqual([]);
  });

  it('a compressed array of zeros below the bomb floor is not a bomb', async () => {
    const r = await scan('zeros-small.zip');
    expect(r.verdict).toBe('safe');
  });

  it('a high-ratio member allowed by the limits inflates to a temp file (over 16 MiB) and is scanned', async () => {
    const r = await scan('bomb-ratio.zip', { maxCompressionRatio: 5000 });
    expect(rules(r)).toEqual([]);
    expect(r.children).toHaveLength(1);
    expect(r.children![0]!.size).toBe(32 << 20);
    expect(r.children![0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('declared total above maxExpandedBytes: archive.bomb', async () => {
    expect((await scan('total-size.zip')).verdict).toBe('safe');
    const r = await scan('total-size.zip', { maxExpandedBytes: 2 * 1024 * 1024 });
    expect(r.verdict).toBe('unsafe');
    expect(expectRule(r, 'archive.bomb').message).toMatch(/in total/);
  });

  it('more members than maxMembers: inconclusive, the first ones scanned', async () => {
    const r = await scan('many-members.zip', { maxMembers: 10 });
    expect(r.verdict).toBe('inconclusive');
    expectRule(r, 'limit.maxMembers');
    expect(r.children).toHaveLength(10);
  });

  it('nesting deeper than maxDepth is inconclusive; within it the payload is found', async () => {
    const deep = await scan('nested-6.zip');
    expect(deep.verdict).toBe('inconclusive');
    expect(allRules(deep)).toContain('archive.depth-limit');
    const two = await scan('nested-2.zip');
    expect(two.verdict).toBe('unsafe');
    expect(payloadAt(two)).toEqual(['nested-2.zip!inner.zip!payload.txt']);
    const capped = await scan('nested-2.zip', { maxDepth: 1 });
    expect(capped.verdict).toBe('inconclusive');
  });

  it('the time budget stops a scan as inconclusive, never safe', async () => {
    const r = await scan('many-members.zip', { timeBudgetMs: -1 });
    expect(r.verdict).toBe('inconclusive');
    expect(rules(r)).toContain('limit.time');
  });
});

describe('zip: labels by content', () => {
  it('a real torch.save state dict is pytorch-zip, data.pkl scanned, no archive findings', async () => {
    for (const display of ['torch-state-dict.pt', 'weights.bin']) {
      const r = await scan('torch-state-dict.pt', undefined, display);
      expect(r.format).toBe('pytorch-zip');
      expect(r.verdict).toBe('safe');
      expect(r.findings).toEqual([]);
      const pkl = r.children!.find((c) => c.path === `${display}!archive/data.pkl`);
      expect(pkl?.format).toBe('pickle');
      expect(pkl?.details).toEqual({ standIn: true });
      expect(r.children!.filter((c) => c.path.includes('/data/')).every((c) => c.format === 'data')).toBe(true);
      expect(r.details?.zip64).toBe(true); // torch (miniz) always writes ZIP64 end records
    }
  });

  it('numpy savez / savez_compressed are numpy-npz', async () => {
    for (const name of ['arrays.npz', 'arrays-compressed.npz']) {
      const r = await scan(name, undefined, 'x.zip');
      expect(r.format).toBe('numpy-npz');
      expect(r.verdict).toBe('safe');
    }
  });

  it('config.json + metadata.json at the root is keras-zip', async () => {
    const r = await scan('keras-layout.keras', undefined, 'model.zip');
    expect(r.format).toBe('keras-zip');
    expect(r.children!.map((c) => c.path)).toContain('model.zip!config.json');
  });
});

describe('zip: detection', () => {
  it('claims PK\\3\\4 at 0 and whole small zips with prepended data; not text or random bytes', () => {
    const z = read('benign.zip');
    expect(zipHandler.detect(z.subarray(0, 4096), z.length, 'x')).toBe(true);
    const p = read('benign-prepended.zip');
    expect(zipHandler.detect(p.subarray(0, 4096), p.length, 'x')).toBe(true);
    expect(zipHandler.detect(Buffer.from('PK\x05\x06 is just text here, not a zip at all........'), 52, 'x')).toBe(false);
    let seed = 11;
    const rnd = Buffer.from(Buffer.alloc(4096, 0).map(() => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff));
    expect(zipHandler.detect(rnd, 1 << 20, 'x.zip')).toBe(false);
  });

  it('probeTrailingZip finds a zip behind more than a head of other bytes', async () => {
    const zip = read('benign.zip');
    const big = Buffer.concat([Buffer.alloc(64 * 1024, 0x41), zip]);
    expect(zipHandler.detect(big.subarray(0, 4096), big.length, 'x')).toBe(false);
    expect(await probeTrailingZip(new BufferSource(big))).toBe(true);
    expect(await probeTrailingZip(new BufferSource(Buffer.alloc(100 * 1024, 0x42)))).toBe(false);
  });
});

/** A source that counts the bytes read through it. */
class CountingSource implements ByteSource {
  bytesRead = 0;
  constructor(private readonly inner: ByteSource) {}
  get size() {
    return this.inner.size;
  }
  async read(offset: number, length: number) {
    const b = await this.inner.read(offset, length);
    this.bytesRead += b.length;
    return b;
  }
  async *chunks(start?: number, end?: number, chunkSize?: number) {
    for await (const c of this.inner.chunks(start, end, chunkSize)) {
      this.bytesRead += c.length;
      yield c;
    }
  }
}

/** A minimal zip of stored members (for tests that need sizes no fixture should have). */
function storedZip(members: Array<[string, Buffer]>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let off = 0;
  for (const [name, data] of members) {
    const n = Buffer.from(name);
    const crc = crc32(data);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(data.length, 18);
    lh.writeUInt32LE(data.length, 22);
    lh.writeUInt16LE(n.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(data.length, 20);
    ch.writeUInt32LE(data.length, 24);
    ch.writeUInt16LE(n.length, 28);
    ch.writeUInt32LE(off, 42);
    locals.push(lh, n, data);
    centrals.push(ch, n);
    off += 30 + n.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(off, 16);
  return Buffer.concat([...locals, cd, end]);
}

describe('zip: reads only what it must', () => {
  it('big stored tensors cost a head read each, not their size', async () => {
    const tensor = Buffer.alloc(8 * 1024 * 1024, 7);
    const buf = storedZip([
      ['archive/data.pkl', Buffer.from('\x80\x02}q\x00.', 'latin1')],
      ['archive/data/0', tensor],
      ['archive/data/1', tensor],
      ['archive/version', Buffer.from('3\n')],
    ]);
    const counting = new CountingSource(new BufferSource(buf));
    // Scan through the handler directly (scanBuffer wraps the buffer itself).
    const report: FileReport = { path: 'm.pt', format: 'zip', size: buf.length, sha256: null, verdict: 'safe', findings: [], children: [] };
    const ctx = testContext(os.tmpdir());
    await zipHandler.scan(ctx, counting, report);
    expect(report.format).toBe('pytorch-zip');
    expect(report.children).toHaveLength(4);
    expect(counting.bytesRead).toBeLessThan(200 * 1024);
  });
});

describe('tar', () => {
  it('benign ustar: members scanned by content', async () => {
    const r = await scan('benign.tar');
    expect(r.format).toBe('tar');
    expect(r.verdict).toBe('safe');
    expect(r.children!.map((c) => [c.path, c.format])).toEqual([
      ['benign.tar!model/readme.txt', 'text'],
      ['benign.tar!model/data.pkl', 'pickle'],
    ]);
  });

  it.each([
    ['tar-traversal.tar', 'archive.path-traversal'],
    ['tar-absolute.tar', 'archive.path-traversal'],
    ['tar-symlink.tar', 'archive.symlink'],
    ['tar-hardlink.tar', 'archive.hardlink'],
    ['tar-device.tar', 'archive.special-file'],
    ['tar-fifo.tar', 'archive.special-file'],
  ] as const)('%s is unsafe: %s', async (name, rule) => {
    const r = await scan(name);
    expect(r.verdict).toBe('unsafe');
    expectRule(r, rule);
  });

  it('link targets are shown', async () => {
    expect(finding(await scan('tar-symlink.tar'), 'archive.symlink')!.message).toContain('/etc/passwd');
    expect(finding(await scan('tar-hardlink.tar'), 'archive.hardlink')!.message).toContain('/etc/shadow');
  });

  it.each(['tar-pax-longname.tar', 'tar-gnu-longname.tar'])('%s: the long name is the member name and the payload is found', async (name) => {
    const r = await scan(name);
    const long = `model/${'d'.repeat(120)}/data.pkl`;
    expect(r.children!.map((c) => c.path)).toEqual([`${name}!${long}`]);
    expect(payloadAt(r)).toEqual([`${name}!${long}`]);
  });

  it('a bad header checksum is reported and the members after it still scanned (GNU tar reads on)', async () => {
    const r = await scan('tar-bad-checksum.tar');
    expect(r.format).toBe('tar');
    expectRule(r, 'tar.bad-checksum');
    expect(payloadAt(r)).toEqual(['tar-bad-checksum.tar!data.pkl']);
  });

  it('a truncated archive is reported and the partial member scanned', async () => {
    const r = await scan('tar-truncated.tar');
    expectRule(r, 'tar.truncated');
    expect(payloadAt(r)).toEqual(['tar-truncated.tar!data.pkl']);
  });

  it('member count limit', async () => {
    const r = await scan('benign.tar', { maxMembers: 1 });
    expect(r.verdict).toBe('inconclusive');
    expectRule(r, 'limit.maxMembers');
  });

  it('detects v7 tar (no magic) by its checksum, and not random data', () => {
    const t = Buffer.from(read('benign.tar'));
    t.fill(0, 257, 265);
    t.fill(0x20, 148, 156);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += t[i]!;
    t.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    expect(looksLikeTar(t.subarray(0, 4096))).toBe(true);
    expect(tarHandler.detect(Buffer.alloc(4096, 0x41), 1 << 20, 'x.tar')).toBe(false);
    // The magic alone (a bad first header) is left to the late damaged-tar handler.
    const pkl = read('ustar-pickle.pkl');
    expect(tarHandler.detect(pkl.subarray(0, 4096), pkl.length, 'x.tar')).toBe(false);
    expect(damagedTarHandler.detect(pkl.subarray(0, 4096), pkl.length, 'x.tar')).toBe(true);
    const bad = read('tar-bad-checksum.tar');
    expect(tarHandler.detect(bad.subarray(0, 4096), bad.length, 'x.tar')).toBe(false);
    expect(damagedTarHandler.detect(bad.subarray(0, 4096), bad.length, 'x.tar')).toBe(true);
    expect(damagedTarHandler.detect(read('benign.tar').subarray(0, 4096), 10240, 'x.tar')).toBe(false);
    expect(tarHandler.detect(Buffer.alloc(4096, 0), 1 << 20, 'x.tar')).toBe(false);
  });

  it('parses octal and GNU base-256 numbers', () => {
    expect(tarNumber(Buffer.from('00000001750\0', 'latin1'))).toBe(1000);
    expect(tarNumber(Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]))).toBe(256);
    expect(tarNumber(Buffer.from('12x4\0', 'latin1'))).toBeNull();
    expect(tarNumber(Buffer.from([0xff, 0xff]))).toBeNull();
  });
});

describe('gzip, zlib and other compressed streams', () => {
  it('a gzipped pickle: the content is scanned', async () => {
    const r = await scan('payload.pkl.gz');
    expect(r.format).toBe('gzip');
    expect(payloadAt(r)).toEqual(['payload.pkl.gz!payload.pkl']);
    expect(r.children![0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('tar.gz: gzip > tar > member', async () => {
    const r = await scan('model.tar.gz');
    expect(r.children![0]!.format).toBe('tar');
    expect(payloadAt(r)).toEqual(['model.tar.gz!model.tar!model/data.pkl']);
  });

  it('a gzip bomb stops at the ratio limit: inconclusive, the inflated part scanned', async () => {
    const r = await scan('gzip-bomb.gz');
    expect(r.verdict).toBe('inconclusive');
    expectRule(r, 'limit.maxCompressionRatio');
    expect(r.children![0]!.size).toBe(16 * 1024 * 1024);
  });

  it('a bad CRC is reported and everything inflated before it is scanned', async () => {
    const r = await scan('bad-crc.gz');
    expectRule(r, 'gzip.corrupt-data');
    expect(payloadAt(r)).toHaveLength(1);
    expect(r.verdict).toBe('unsafe');
  });

  it('a zlib stream (joblib compress) is inflated; bzip2 is unknown', async () => {
    const z = await scan('payload.zlib');
    expect(z.details?.container).toBe('zlib');
    expect(payloadAt(z)).toHaveLength(1);
    const b = await scan('payload.pkl.bz2');
    expectRule(b, 'archive.unsupported-compression');
    expect(b.verdict).toBe('unknown');
  });

  it('zlib detection needs a head that inflates, not just a checksum-valid pair', () => {
    // A safetensors-like header whose length bytes happen to be 0x78 0x9c.
    const fake = Buffer.concat([Buffer.from([0x78, 0x9c, 0, 0, 0, 0, 0, 0]), Buffer.from('{"a":{"dtype":"F32"}}')]);
    expect(zlibHandler.detect(fake, fake.length, 'x')).toBe(false);
    const real = zlib.deflateSync(Buffer.from('hello hello hello'));
    expect(zlibHandler.detect(real, real.length, 'x')).toBe(true);
    expect(gzipHandler.detect(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), 10, 'x')).toBe(true);
  });
});

function testContext(dir: string, limits: Partial<ScanLimits> = {}): ScanContext {
  return {
    limits: { ...DEFAULT_LIMITS, ...limits },
    allowlist: { classify: () => ({ verdict: 'unknown', reason: 'test' }) },
    depth: 0,
    checkTime: () => undefined,
    scanChild: async (source, displayPath) => ({ path: displayPath, format: 'data', size: source.size, sha256: null, verdict: 'safe', findings: [] }),
    tempDir: async () => dir,
  };
}

async function* once(b: Buffer) {
  yield b;
}

describe('inflateLimited', () => {
  it('spills past 16 MiB to a temp file, deletes it on close, and stops exactly at maxBytes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inflate-test-'));
    try {
      const data = Buffer.alloc(20 * 1024 * 1024, 1);
      const comp = zlib.deflateRawSync(data);
      const full = await inflateLimited(testContext(dir), once(comp), { format: 'raw', maxBytes: data.length, digest: true });
      expect(full.size).toBe(data.length);
      expect(full.ended).toBe(true);
      expect(full.overflow).toBe(false);
      expect(full.crc32).toBe(crc32(data));
      expect(full.source.filePath).toBeDefined();
      expect(fs.readdirSync(dir)).toHaveLength(1);
      expect((await full.source.read(data.length - 4, 10)).length).toBe(4);
      await full.close();
      expect(fs.readdirSync(dir)).toHaveLength(0);

      const cut = await inflateLimited(testContext(dir), once(comp), { format: 'raw', maxBytes: 1000 });
      expect(cut.size).toBe(1000);
      expect(cut.overflow).toBe(true);
      expect(cut.source.filePath).toBeUndefined();
      await cut.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('corrupt input: the error is reported and the good prefix salvaged', async () => {
    const data = Buffer.from('x'.repeat(3000) + 'y'.repeat(3000));
    const comp = zlib.deflateRawSync(data, { level: 0 });
    const broken = Buffer.concat([comp.subarray(0, comp.length - 100), Buffer.alloc(50, 0xff)]);
    const r = await inflateLimited(testContext(os.tmpdir()), once(broken), { format: 'raw', maxBytes: 1 << 20 });
    expect(r.error).not.toBeNull();
    // Stored blocks: everything up to the cut inflates (the bytes after it are taken as block data).
    expect(r.size).toBeGreaterThan(5000);
    expect((await r.source.read(0, 5000)).equals(data.subarray(0, 5000))).toBe(true);
  });

  it('crc32 matches zlib', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });
});

describe('robustness: mutated archives never crash the scanner', () => {
  it('bit flips, truncations, splices and saturated fields: a verdict, no scanner.error, no hang', async () => {
    const r = await fuzzArchives(3, 20260101, 2000);
    expect(r.failures).toEqual([]);
    expect(r.iterations).toBeGreaterThanOrEqual(ARCHIVE_CORPUS.length);
  });

  it('a directory with thousands of entries parses in bounded time', async () => {
    const members: Array<[string, Buffer]> = [];
    for (let i = 0; i < 5000; i++) members.push([`m/${i}.txt`, Buffer.from(String(i))]);
    const buf = storedZip(members);
    const t0 = Date.now();
    const layout = await openZip(new BufferSource(buf), { maxEntries: 100_000, checkTime: () => undefined });
    expect(layout!.directories[0]!.entries).toHaveLength(5000);
    const r = await scanBuffer(engine, buf, 'many.zip');
    expect(r.children).toHaveLength(5000);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });
});
