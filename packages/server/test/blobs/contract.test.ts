import { mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createBlobStore, type BlobInfo, type BlobStore } from '../../src/blobs/index.js';
import { startS3rver, type RunningS3rver } from '../helpers/s3rver.js';
import { bodyOf, digestOf, expectStewardError, failingBody, largeBlob, readAll, sha256 } from './helpers.js';

const MiB = 1024 * 1024;

interface Backend {
  store: BlobStore;
  /** Where in-flight uploads are spooled (local tmp dir or S3 spool dir). */
  tempDir: string;
  /** Requests the S3 server saw, when there is one. */
  requests?: string[];
}

interface Harness {
  name: 'local' | 's3';
  setup(): Promise<void>;
  teardown(): Promise<void>;
  open(): Promise<Backend>;
}

function localHarness(): Harness {
  let root = '';
  let n = 0;
  return {
    name: 'local',
    async setup() {
      root = await mkdtemp(join(tmpdir(), 'steward-blobs-'));
    },
    async teardown() {
      await rm(root, { recursive: true, force: true });
    },
    async open() {
      const dir = join(root, `store-${++n}`);
      const store = await createBlobStore({ kind: 'local', dir });
      return { store, tempDir: join(dir, 'tmp') };
    },
  };
}

function s3Harness(): Harness {
  let s3: RunningS3rver | undefined;
  let n = 0;
  return {
    name: 's3',
    async setup() {
      s3 = await startS3rver();
    },
    async teardown() {
      await s3?.stop();
    },
    async open() {
      if (!s3) throw new Error('s3rver not started');
      // A fresh prefix per test keeps cases independent inside the one bucket.
      const config = s3.config(`case-${++n}/`);
      const store = await createBlobStore(config, { s3: { multipartThreshold: 8 * MiB, partSize: 5 * MiB } });
      return { store, tempDir: config.spoolDir, requests: s3.requests };
    },
  };
}

async function listAll(store: BlobStore): Promise<BlobInfo[]> {
  const out: BlobInfo[] = [];
  for await (const info of store.list()) out.push(info);
  return out;
}

async function expectNothingStored(b: Backend, digest: string): Promise<void> {
  expect(await b.store.stat(digest)).toBeNull();
  expect((await listAll(b.store)).map((i) => i.digest)).not.toContain(digest);
  expect(await readdir(b.tempDir)).toEqual([]);
}

describe.each([localHarness(), s3Harness()])('BlobStore contract: $name', (harness) => {
  let b: Backend;

  beforeAll(() => harness.setup());
  afterAll(() => harness.teardown());
  beforeEach(async () => {
    b = await harness.open();
  });
  afterEach(async () => {
    await b.store.close();
  });

  it('has the right kind', () => {
    expect(b.store.kind).toBe(harness.name);
  });

  it('put, then stat, get and list', async () => {
    const data = Buffer.from('hello, content-addressed world\n'.repeat(50));
    const digest = sha256(data);
    const before = Date.now();
    const info = await b.store.put({ expectedDigest: digest, expectedSize: data.length, maxBytes: 1 * MiB, body: bodyOf(data) });
    expect(info).toMatchObject({ digest, size: data.length });
    expect(info.storedAt).toBeInstanceOf(Date);
    // S3 LastModified has second precision.
    expect(info.storedAt.getTime()).toBeGreaterThan(before - 2000);
    expect(info.storedAt.getTime()).toBeLessThan(Date.now() + 2000);

    const st = await b.store.stat(digest);
    expect(st).toMatchObject({ digest, size: data.length });
    expect(Math.abs(st!.storedAt.getTime() - info.storedAt.getTime())).toBeLessThan(2000);

    expect((await readAll(await b.store.get(digest))).equals(data)).toBe(true);
    const listed = await listAll(b.store);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ digest, size: data.length });
    expect(listed[0]!.storedAt).toBeInstanceOf(Date);
    expect(await readdir(b.tempDir)).toEqual([]);
  });

  it('stores the empty blob', async () => {
    const digest = sha256('');
    const info = await b.store.put({ expectedDigest: digest, expectedSize: 0, maxBytes: 10, body: bodyOf('') });
    expect(info).toMatchObject({ digest, size: 0 });
    expect((await readAll(await b.store.get(digest))).length).toBe(0);
  });

  it('re-putting the same blob is idempotent', async () => {
    const data = 'same bytes twice';
    const digest = sha256(data);
    const first = await b.store.put({ expectedDigest: digest, maxBytes: 100, body: bodyOf(data) });
    const second = await b.store.put({ expectedDigest: digest, maxBytes: 100, body: bodyOf(data) });
    expect(second).toMatchObject({ digest, size: first.size });
    const listed = await listAll(b.store);
    expect(listed.map((i) => i.digest)).toEqual([digest]);
    expect((await readAll(await b.store.get(digest))).toString()).toBe(data);
    expect(await readdir(b.tempDir)).toEqual([]);
  });

  it('concurrent puts of the same blob all succeed', async () => {
    const data = Buffer.from('raced upload '.repeat(1000));
    const digest = sha256(data);
    const results = await Promise.all(
      [1, 2, 3].map(() => b.store.put({ expectedDigest: digest, maxBytes: MiB, body: bodyOf(data, 1024) })),
    );
    for (const r of results) expect(r).toMatchObject({ digest, size: data.length });
    expect((await listAll(b.store)).map((i) => i.digest)).toEqual([digest]);
    expect(await readdir(b.tempDir)).toEqual([]);
  });

  it('a digest mismatch stores nothing', async () => {
    const claimed = sha256('what the client said');
    const err = await expectStewardError(
      b.store.put({ expectedDigest: claimed, maxBytes: 1000, body: bodyOf('what the client sent') }),
      'digest_mismatch',
    );
    expect(err.details).toMatchObject({ expected: claimed, actual: sha256('what the client sent') });
    await expectNothingStored(b, claimed);
    await expectNothingStored(b, sha256('what the client sent'));
  });

  it('a size mismatch stores nothing', async () => {
    const data = 'twelve bytes';
    const digest = sha256(data);
    const err = await expectStewardError(
      b.store.put({ expectedDigest: digest, expectedSize: 13, maxBytes: 1000, body: bodyOf(data) }),
      'digest_mismatch',
    );
    expect(err.details).toMatchObject({ expectedSize: 13, actualSize: 12 });
    await expectNothingStored(b, digest);
  });

  it('exceeding maxBytes stores nothing', async () => {
    const data = Buffer.alloc(5000, 1);
    const digest = sha256(data);
    await expectStewardError(b.store.put({ expectedDigest: digest, maxBytes: 4999, body: bodyOf(data, 100) }), 'payload_too_large');
    await expectNothingStored(b, digest);
    // Aborted early, the body is left to the caller (an HTTP layer still wants to answer 413 on it).
    const tooLarge = bodyOf(data, 100);
    await expectStewardError(b.store.put({ expectedDigest: digest, maxBytes: 1000, body: tooLarge }), 'payload_too_large');
    expect(tooLarge.destroyed).toBe(false);
    tooLarge.destroy();
    await expectNothingStored(b, digest);
    // A claimed size over the limit is refused before reading.
    const body = bodyOf(data);
    await expectStewardError(
      b.store.put({ expectedDigest: digest, expectedSize: 5000, maxBytes: 4999, body }),
      'payload_too_large',
    );
    await expectNothingStored(b, digest);
    // Exactly maxBytes is fine.
    await b.store.put({ expectedDigest: digest, maxBytes: 5000, body: bodyOf(data, 100) });
    expect(await b.store.stat(digest)).toMatchObject({ size: 5000 });
  });

  it('a body that errors midway stores nothing and leaves no temp file', async () => {
    const first = Buffer.alloc(64 * 1024, 7);
    const digest = sha256(Buffer.concat([first, first]));
    const err = await expectStewardError(
      b.store.put({ expectedDigest: digest, maxBytes: MiB, body: failingBody(first) }),
      'bad_request',
    );
    expect(err.message).toMatch(/aborted/);
    await expectNothingStored(b, digest);
  });

  it('a body destroyed by the client stores nothing', async () => {
    const digest = sha256('never finished');
    const body = new Readable({ read() {} });
    body.push(Buffer.alloc(1000, 1));
    setTimeout(() => body.destroy(new Error('client went away')), 10);
    await expectStewardError(b.store.put({ expectedDigest: digest, maxBytes: MiB, body }), 'bad_request');
    await expectNothingStored(b, digest);
  });

  it('serves byte ranges', async () => {
    const data = Buffer.from('0123456789abcdefghij');
    const digest = sha256(data);
    await b.store.put({ expectedDigest: digest, maxBytes: 100, body: bodyOf(data) });
    const read = async (start: number, end: number) => (await readAll(await b.store.get(digest, { start, end }))).toString();
    expect(await read(2, 5)).toBe('2345');
    expect(await read(0, 0)).toBe('0');
    expect(await read(19, 19)).toBe('j');
    expect(await read(15, 1000)).toBe('fghij'); // end is clamped like HTTP
    await expectStewardError(b.store.get(digest, { start: 20, end: 25 }), 'bad_request');
    await expectStewardError(b.store.get(digest, { start: 5, end: 4 }), 'bad_request');
    await expectStewardError(b.store.get(digest, { start: -1, end: 4 }), 'bad_request');
  });

  it('reports absent blobs', async () => {
    const digest = sha256('absent');
    expect(await b.store.stat(digest)).toBeNull();
    await expectStewardError(b.store.get(digest), 'not_found');
    await expectStewardError(b.store.get(digest, { start: 0, end: 1 }), 'not_found');
    expect(await listAll(b.store)).toEqual([]);
  });

  it.each(['../etc', '../../' + 'a'.repeat(58), 'A'.repeat(64), 'abc', 'a'.repeat(65), 'g'.repeat(64), '', 'a'.repeat(63) + '/'])(
    'refuses the invalid digest %j',
    async (bad) => {
      await expectStewardError(b.store.stat(bad), 'bad_request');
      await expectStewardError(b.store.get(bad), 'bad_request');
      await expectStewardError(b.store.delete(bad), 'bad_request');
      await expectStewardError(b.store.put({ expectedDigest: bad, maxBytes: 10, body: bodyOf('x') }), 'bad_request');
      expect(await readdir(b.tempDir)).toEqual([]);
    },
  );

  it('round-trips a 40 MiB blob streamed from a generator', async () => {
    const blob = largeBlob(40);
    const info = await b.store.put({
      expectedDigest: blob.digest,
      expectedSize: blob.size,
      maxBytes: 64 * MiB,
      body: Readable.from(blob.chunks(), { objectMode: false }),
    });
    expect(info).toMatchObject({ digest: blob.digest, size: blob.size });
    expect(await digestOf(await b.store.get(blob.digest))).toEqual({ digest: blob.digest, size: blob.size });
    const tail = await readAll(await b.store.get(blob.digest, { start: blob.size - 10, end: blob.size - 1 }));
    expect(tail.length).toBe(10);
    expect(await readdir(b.tempDir)).toEqual([]);
    if (b.requests) {
      // Above the test threshold of 8 MiB the S3 store must have gone multipart (5 MiB parts → 8 parts).
      const parts = b.requests.filter((r) => r.startsWith('PUT ') && /[?&]partNumber=/.test(r) && r.includes(blob.digest));
      expect(parts).toHaveLength(8);
      expect(b.requests.some((r) => r.startsWith('POST ') && r.includes(blob.digest) && /[?&]uploads/.test(r))).toBe(true);
    }
  });

  it('sweepTemporaries removes old temporaries and keeps fresh ones', async () => {
    const old = join(b.tempDir, 'crashed-upload.part');
    const fresh = join(b.tempDir, 'in-flight-upload.part');
    await writeFile(old, 'partial');
    await writeFile(fresh, 'partial');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    await utimes(old, twoHoursAgo, twoHoursAgo);
    // A stored blob is never a temporary.
    const digest = sha256('keep me');
    await b.store.put({ expectedDigest: digest, maxBytes: 100, body: bodyOf('keep me') });

    expect(await b.store.sweepTemporaries(new Date(Date.now() - 3600_000))).toBe(1);
    expect((await readdir(b.tempDir)).sort()).toEqual(['in-flight-upload.part']);
    expect((await stat(fresh)).isFile()).toBe(true);
    expect(await b.store.stat(digest)).not.toBeNull();
    expect(await b.store.sweepTemporaries(new Date(Date.now() - 3600_000))).toBe(0);
  });

  it('deletes blobs, idempotently', async () => {
    const keep = sha256('keep');
    const drop = sha256('drop');
    await b.store.put({ expectedDigest: keep, maxBytes: 100, body: bodyOf('keep') });
    await b.store.put({ expectedDigest: drop, maxBytes: 100, body: bodyOf('drop') });
    await b.store.delete(drop);
    expect(await b.store.stat(drop)).toBeNull();
    await expectStewardError(b.store.get(drop), 'not_found');
    expect((await listAll(b.store)).map((i) => i.digest)).toEqual([keep]);
    await b.store.delete(drop);
    // It can be stored again afterwards.
    await b.store.put({ expectedDigest: drop, maxBytes: 100, body: bodyOf('drop') });
    expect(await b.store.stat(drop)).toMatchObject({ size: 4 });
  });

  it('lists many blobs', async () => {
    const digests = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const data = `blob number ${i}`;
      digests.add(sha256(data));
      await b.store.put({ expectedDigest: sha256(data), maxBytes: 100, body: bodyOf(data) });
    }
    const listed = await listAll(b.store);
    expect(new Set(listed.map((i) => i.digest))).toEqual(digests);
    expect(listed).toHaveLength(30);
  });
});

describe('local blob store specifics', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'steward-blobs-local-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('uses a two-character fan-out and ignores stray files when listing', async () => {
    const store = await createBlobStore({ kind: 'local', dir });
    const digest = sha256('laid out');
    await store.put({ expectedDigest: digest, maxBytes: 100, body: bodyOf('laid out') });
    expect((await stat(join(dir, 'sha256', digest.slice(0, 2), digest))).size).toBe(8);
    await writeFile(join(dir, 'sha256', digest.slice(0, 2), 'README'), 'not a blob');
    await writeFile(join(dir, 'sha256', 'stray'), 'not a blob');
    expect((await listAll(store)).map((i) => i.digest)).toEqual([digest]);
  });
});

describe('s3 blob store specifics', () => {
  let s3: RunningS3rver;
  beforeAll(async () => {
    s3 = await startS3rver();
  });
  afterAll(async () => {
    await s3.stop();
  });

  it('keeps prefixes apart and stores the digest in metadata', async () => {
    const a = await createBlobStore(s3.config('tenant-a/'));
    const c = await createBlobStore(s3.config('tenant-c/'));
    const digest = sha256('only in a');
    await a.put({ expectedDigest: digest, maxBytes: 100, body: bodyOf('only in a') });
    expect(await c.stat(digest)).toBeNull();
    expect(await listAll(c)).toEqual([]);
    expect((await listAll(a)).map((i) => i.digest)).toEqual([digest]);
    // Objects live at <prefix>sha256/<hex>.
    expect(s3.requests).toContain(`PUT /${s3.bucket}/tenant-a/sha256/${digest}?x-id=PutObject`);
    await a.close();
    await c.close();
  });

  /** A proxy in front of s3rver that answers 500 to part uploads chosen by `fail`. */
  async function faultyProxy(fail: (url: string) => boolean): Promise<{ endpoint: string; server: Server }> {
    const target = new URL(s3.endpoint);
    const server = createHttpServer((req, res) => {
      if (fail(req.url ?? '')) {
        req.resume();
        req.on('end', () => {
          res.writeHead(500, { 'content-type': 'application/xml' });
          res.end('<?xml version="1.0"?><Error><Code>InternalError</Code><Message>injected</Message></Error>');
        });
        return;
      }
      const upstream = httpRequest(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
  }

  it('retries a failed part upload with a fresh stream', async () => {
    let failures = 0;
    const proxy = await faultyProxy((url) => url.includes('partNumber=2') && failures++ === 0);
    const config = { ...s3.config('retry/'), endpoint: proxy.endpoint };
    const store = await createBlobStore(config, { s3: { multipartThreshold: 8 * MiB, partSize: 5 * MiB } });
    const blob = largeBlob(12);
    const body = Readable.from(blob.chunks(), { objectMode: false });
    await store.put({ expectedDigest: blob.digest, maxBytes: 64 * MiB, body });
    expect(failures).toBe(2); // one injected failure, then the retry passed through
    expect(await digestOf(await store.get(blob.digest))).toEqual({ digest: blob.digest, size: blob.size });
    await store.close();
    proxy.server.closeAllConnections();
    proxy.server.close();
  });

  it('a multipart upload that keeps failing stores nothing and is aborted', async () => {
    const seen: string[] = [];
    const proxy = await faultyProxy((url) => {
      seen.push(url);
      return url.includes('partNumber=2');
    });
    const config = { ...s3.config('fail/'), endpoint: proxy.endpoint };
    const store = await createBlobStore(config, { s3: { multipartThreshold: 8 * MiB, partSize: 5 * MiB, maxAttempts: 2 } });
    const blob = largeBlob(12);
    const body = Readable.from(blob.chunks(), { objectMode: false });
    const err = await expectStewardError(store.put({ expectedDigest: blob.digest, maxBytes: 64 * MiB, body }), 'unavailable');
    expect(err.message).toMatch(/UploadPart/);
    expect(seen.filter((u) => u.includes('partNumber=2'))).toHaveLength(2);
    expect(seen.some((u) => /uploadId=/.test(u) && !/partNumber=/.test(u) && u.includes('AbortMultipartUpload'))).toBe(true);
    expect(await store.stat(blob.digest)).toBeNull();
    expect(await readdir(config.spoolDir)).toEqual([]);
    await store.close();
    proxy.server.closeAllConnections();
    proxy.server.close();
  });

  it('list follows continuation tokens', async () => {
    // s3rver cannot paginate on Node >= 17 (its tokens use DES, gone from OpenSSL 3), so a fake answers here.
    const d = (c: string) => c.repeat(64);
    const entry = (key: string, size: number) =>
      `<Contents><Key>${key}</Key><LastModified>2024-05-01T10:00:00.000Z</LastModified><Size>${size}</Size></Contents>`;
    const pages: Record<string, string> = {
      '': `<IsTruncated>true</IsTruncated><NextContinuationToken>t/2</NextContinuationToken>${entry(`p/sha256/${d('a')}`, 1)}${entry('p/sha256/junk', 9)}`,
      't/2': `<IsTruncated>true</IsTruncated><NextContinuationToken>t/3</NextContinuationToken>${entry(`p/sha256/${d('b')}`, 2)}`,
      't/3': `<IsTruncated>false</IsTruncated>${entry(`p/sha256/${d('c')}`, 3)}`,
    };
    const seen: string[] = [];
    const fake = createHttpServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push(`${url.searchParams.get('prefix')}|${url.searchParams.get('continuation-token') ?? ''}`);
      const page = pages[url.searchParams.get('continuation-token') ?? ''];
      res.writeHead(page ? 200 : 400, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${s3.bucket}</Name>${page ?? ''}</ListBucketResult>`);
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    const store = await createBlobStore({ ...s3.config('p/'), endpoint: `http://127.0.0.1:${(fake.address() as { port: number }).port}` });
    const listed = await listAll(store);
    expect(listed).toEqual([
      { digest: d('a'), size: 1, storedAt: new Date('2024-05-01T10:00:00.000Z') },
      { digest: d('b'), size: 2, storedAt: new Date('2024-05-01T10:00:00.000Z') },
      { digest: d('c'), size: 3, storedAt: new Date('2024-05-01T10:00:00.000Z') },
    ]);
    expect(seen).toEqual(['p/sha256/|', 'p/sha256/|t/2', 'p/sha256/|t/3']);
    await store.close();
    fake.closeAllConnections();
    fake.close();
  });

  it('maps an unreachable endpoint to unavailable without leaking credentials', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const secret = 'very-secret-access-key-value';
    const config = { ...s3.config('x/'), endpoint: `http://127.0.0.1:${port}`, accessKeyId: 'AKIDEXAMPLEKEY', secretAccessKey: secret };
    const store = await createBlobStore(config, { s3: { maxAttempts: 1, connectionTimeout: 2000 } });
    const err = await expectStewardError(store.stat(sha256('x')), 'unavailable');
    expect(err.message).toContain(s3.bucket);
    expect(err.message).toContain(`127.0.0.1:${port}`);
    const serialized = JSON.stringify({ message: err.message, details: err.details, envelope: err.toEnvelope() });
    expect(serialized).not.toContain(secret);
    expect(serialized).not.toContain('AKIDEXAMPLEKEY');
    // Put fails the same way after hashing, and cleans its spool file.
    const data = 'spooled then failed';
    await expectStewardError(store.put({ expectedDigest: sha256(data), maxBytes: 100, body: bodyOf(data) }), 'unavailable');
    expect(await readdir(config.spoolDir)).toEqual([]);
    await store.close();
  });

  it('rejected credentials are unavailable, not a crash', async () => {
    // s3rver checks only the access key id (SigV4 signatures are not verified).
    const store = await createBlobStore({ ...s3.config('y/'), accessKeyId: 'NOSUCHKEY', secretAccessKey: 'wrong-secret-123' });
    for (const call of [() => store.stat(sha256('y')), () => store.get(sha256('y')), () => listAll(store)]) {
      const err = await expectStewardError(call(), 'unavailable');
      expect(err.message).toContain(s3.bucket);
      expect(JSON.stringify(err.toEnvelope())).not.toContain('wrong-secret-123');
    }
    await store.close();
  });
});
