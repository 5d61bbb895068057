import { createReadStream } from 'node:fs';
import { mkdir, unlink } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
  type HeadObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { StewardError } from '@steward/domain';
import { assertDigest, assertRange, isDigest, spoolVerified, sweepDir, toStewardError } from './hashing-writer.js';
import type { BlobInfo, BlobStore, BlobStoreConfig, PutBlobInput, Sha256Hex } from './types.js';

export type S3BlobStoreConfig = Extract<BlobStoreConfig, { kind: 's3' }>;

const MiB = 1024 * 1024;
const MIN_PART_SIZE = 5 * MiB; // S3's minimum for every part but the last
const MAX_PARTS = 10_000;

/** Knobs that are not part of the deployment config; tests lower the multipart threshold. */
export interface S3BlobStoreTuning {
  /** Blobs larger than this go through multipart upload. Default 64 MiB. */
  multipartThreshold?: number;
  /** Part size for multipart uploads, at least 5 MiB. Default 16 MiB. */
  partSize?: number;
  /** Parts uploaded at once; each streams from the spool file, so memory stays bounded. Default 4. */
  partConcurrency?: number;
  /** Attempts per request, including our own retries of streamed uploads (the SDK does not retry those). Default 3. */
  maxAttempts?: number;
  /** Connection timeout in ms. Default 10 s. */
  connectionTimeout?: number;
  /** MaxKeys per ListObjectsV2 page. Default: the server's (1000 on S3). */
  listPageSize?: number;
}

interface S3LikeError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

export class S3BlobStore implements BlobStore {
  readonly kind = 's3' as const;
  private readonly client: S3Client;
  private readonly keyPrefix: string;
  private readonly multipartThreshold: number;
  private readonly partSize: number;
  private readonly partConcurrency: number;
  private readonly maxAttempts: number;
  private readonly target: string;
  private readonly listPageSize: number | undefined;

  private constructor(
    private readonly config: S3BlobStoreConfig,
    tuning: S3BlobStoreTuning,
  ) {
    this.keyPrefix = `${config.prefix}sha256/`;
    this.multipartThreshold = tuning.multipartThreshold ?? 64 * MiB;
    this.partSize = Math.max(MIN_PART_SIZE, tuning.partSize ?? 16 * MiB);
    this.partConcurrency = Math.max(1, tuning.partConcurrency ?? 4);
    this.maxAttempts = Math.max(1, tuning.maxAttempts ?? 3);
    this.target = describeTarget(config);
    this.listPageSize = tuning.listPageSize;
    const connectionTimeout = tuning.connectionTimeout ?? 10_000;
    this.client = new S3Client({
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      maxAttempts: this.maxAttempts,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      ...(config.accessKeyId && config.secretAccessKey
        ? { credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey } }
        : {}),
      // We verify sha256 ourselves; the SDK's default CRC32 trailers (aws-chunked bodies) break many S3-compatible servers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      logger: quietStreamingRetryWarning,
      requestHandler: {
        connectionTimeout,
        // Each in-flight get() holds a socket until the client finishes reading.
        httpAgent: { keepAlive: true, maxSockets: 256 },
        httpsAgent: { keepAlive: true, maxSockets: 256 },
      },
    });
  }

  static async open(config: S3BlobStoreConfig, tuning: S3BlobStoreTuning = {}): Promise<S3BlobStore> {
    if (!config.bucket) throw new StewardError('bad_request', 's3 blob store needs a bucket');
    if (!config.spoolDir) throw new StewardError('bad_request', 's3 blob store needs a spoolDir');
    try {
      await mkdir(config.spoolDir, { recursive: true });
    } catch (err) {
      throw toStewardError(err, `creating the spool directory ${config.spoolDir}`);
    }
    return new S3BlobStore(config, tuning);
  }

  private key(digest: Sha256Hex): string {
    return this.keyPrefix + digest;
  }

  async stat(digest: Sha256Hex): Promise<BlobInfo | null> {
    assertDigest(digest);
    const head = await this.head(digest);
    return head ? infoFromHead(digest, head) : null;
  }

  private async head(digest: Sha256Hex): Promise<HeadObjectCommandOutput | null> {
    try {
      return await this.client.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key: this.key(digest) }));
    } catch (err) {
      if (isNotFound(err)) return null;
      throw this.fail('HeadObject', err);
    }
  }

  async put(input: PutBlobInput): Promise<BlobInfo> {
    assertDigest(input.expectedDigest);
    const spooled = await spoolVerified(input, this.config.spoolDir);
    try {
      const existing = await this.head(spooled.digest);
      if (existing && existing.ContentLength === spooled.size) return infoFromHead(spooled.digest, existing);

      if (spooled.size > this.multipartThreshold) {
        await this.putMultipart(spooled.path, spooled.digest, spooled.size);
      } else {
        await this.withFile(spooled.path, undefined, (body) =>
          this.client.send(
            new PutObjectCommand({
              Bucket: this.config.bucket,
              Key: this.key(spooled.digest),
              Body: body,
              ContentLength: spooled.size,
              ContentType: 'application/octet-stream',
              Metadata: { sha256: spooled.digest },
              // S3 re-checks the bytes it received against our verified digest.
              ChecksumSHA256: Buffer.from(spooled.digest, 'hex').toString('base64'),
            }),
          ),
        ).catch((err: unknown) => {
          throw this.fail('PutObject', err);
        });
      }

      const stored = await this.head(spooled.digest);
      if (!stored || stored.ContentLength !== spooled.size) {
        throw new StewardError('unavailable', `S3 upload to ${this.target} did not persist the expected object`, {
          digest: spooled.digest,
          size: spooled.size,
          storedSize: stored?.ContentLength ?? null,
        });
      }
      return infoFromHead(spooled.digest, stored);
    } finally {
      await unlink(spooled.path).catch(() => {});
    }
  }

  private async putMultipart(path: string, digest: Sha256Hex, size: number): Promise<void> {
    const partSize = Math.max(this.partSize, Math.ceil(size / MAX_PARTS / MiB) * MiB);
    const partCount = Math.ceil(size / partSize);
    const Bucket = this.config.bucket;
    const Key = this.key(digest);

    let uploadId: string | undefined;
    try {
      const created = await this.client.send(
        new CreateMultipartUploadCommand({
          Bucket,
          Key,
          ContentType: 'application/octet-stream',
          Metadata: { sha256: digest },
        }),
      );
      uploadId = created.UploadId;
    } catch (err) {
      throw this.fail('CreateMultipartUpload', err);
    }
    if (!uploadId) throw this.fail('CreateMultipartUpload', new Error('no UploadId in response'));
    const UploadId = uploadId;

    try {
      const parts: CompletedPart[] = [];
      let next = 0;
      let failed = false;
      const worker = async (): Promise<void> => {
        while (!failed && next < partCount) {
          const index = next++;
          const start = index * partSize;
          const length = Math.min(partSize, size - start);
          const PartNumber = index + 1;
          try {
            const res = await this.withFile(path, { start, end: start + length - 1 }, (body) =>
              this.client.send(
                new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body: body, ContentLength: length }),
              ),
            );
            if (!res.ETag) throw new Error(`no ETag for part ${PartNumber}`);
            parts[index] = { ETag: res.ETag, PartNumber };
          } catch (err) {
            failed = true;
            throw this.fail('UploadPart', err);
          }
        }
      };
      const results = await Promise.allSettled(
        Array.from({ length: Math.min(this.partConcurrency, partCount) }, () => worker()),
      );
      const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (rejected) throw rejected.reason;

      try {
        await this.client.send(
          new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }),
        );
      } catch (err) {
        throw this.fail('CompleteMultipartUpload', err);
      }
    } catch (err) {
      // Best effort: sweepTemporaries retries stale uploads later on servers that list them.
      await this.client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => {});
      throw err;
    }
  }

  /** Streams (part of) a spool file as a request body, retrying with a fresh stream on transient failures. */
  private async withFile<T>(
    path: string,
    range: { start: number; end: number } | undefined,
    send: (body: Readable) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const body = createReadStream(path, range);
      try {
        return await send(body);
      } catch (err) {
        if (attempt >= this.maxAttempts || !isTransient(err)) throw err;
        await sleep(Math.min(2000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2));
      } finally {
        body.destroy();
      }
    }
  }

  async get(digest: Sha256Hex, range?: { start: number; end: number }): Promise<Readable> {
    assertDigest(digest);
    if (range) assertRange(range);
    let res;
    try {
      res = await this.client.send(
        new GetObjectCommand({
          Bucket: this.config.bucket,
          Key: this.key(digest),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
    } catch (err) {
      if (isNotFound(err)) throw new StewardError('not_found', 'blob not found', { digest });
      if (statusOf(err) === 416 || (err as S3LikeError).name === 'InvalidRange') {
        throw new StewardError('bad_request', 'range start is beyond the end of the blob', { ...range });
      }
      throw this.fail('GetObject', err);
    }
    const body = res.Body;
    if (!(body instanceof Readable)) {
      throw this.fail('GetObject', new Error('response body is not a Node stream'));
    }
    if (range && res.ContentLength !== undefined && res.ContentLength > range.end - range.start + 1) {
      // Some servers (s3rver for `bytes=N-0`) ignore part of the range; never hand out more than asked.
      return limitBytes(body, range.end - range.start + 1);
    }
    return body;
  }

  async delete(digest: Sha256Hex): Promise<void> {
    assertDigest(digest);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: this.key(digest) }));
    } catch (err) {
      if (isNotFound(err)) return;
      throw this.fail('DeleteObject', err);
    }
  }

  async *list(): AsyncIterable<BlobInfo> {
    let ContinuationToken: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.config.bucket,
            Prefix: this.keyPrefix,
            ContinuationToken,
            ...(this.listPageSize ? { MaxKeys: this.listPageSize } : {}),
          }),
        );
      } catch (err) {
        throw this.fail('ListObjectsV2', err);
      }
      for (const obj of page.Contents ?? []) {
        const digest = obj.Key?.slice(this.keyPrefix.length);
        if (!obj.Key?.startsWith(this.keyPrefix) || !digest || !isDigest(digest)) continue;
        yield { digest, size: obj.Size ?? 0, storedAt: obj.LastModified ?? new Date(0) };
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  async sweepTemporaries(olderThan: Date): Promise<number> {
    let removed = await sweepDir(this.config.spoolDir, olderThan);
    let KeyMarker: string | undefined;
    let UploadIdMarker: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListMultipartUploadsCommand({ Bucket: this.config.bucket, Prefix: this.keyPrefix, KeyMarker, UploadIdMarker }),
        );
      } catch (err) {
        if (isUnsupported(err)) return removed; // e.g. s3rver: stale uploads cannot be listed, nothing to do
        throw this.fail('ListMultipartUploads', err);
      }
      for (const upload of page.Uploads ?? []) {
        if (!upload.Key || !upload.UploadId || !upload.Initiated || upload.Initiated >= olderThan) continue;
        try {
          await this.client.send(
            new AbortMultipartUploadCommand({ Bucket: this.config.bucket, Key: upload.Key, UploadId: upload.UploadId }),
          );
          removed += 1;
        } catch (err) {
          if (isNotFound(err)) continue; // completed or aborted meanwhile
          throw this.fail('AbortMultipartUpload', err);
        }
      }
      const more = page.IsTruncated === true;
      KeyMarker = more ? page.NextKeyMarker : undefined;
      UploadIdMarker = more ? page.NextUploadIdMarker : undefined;
    } while (KeyMarker);
    return removed;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  /** Maps an SDK/network error to `unavailable`, naming bucket and endpoint but never credentials. */
  private fail(operation: string, err: unknown): StewardError {
    if (err instanceof StewardError) return err;
    const e = (err ?? {}) as S3LikeError;
    const status = statusOf(err);
    const name = e.code && e.name === 'Error' ? e.code : (e.name ?? 'Error');
    const detail = this.redact(String(e.message ?? '')).slice(0, 300);
    return new StewardError('unavailable', `S3 ${operation} failed for ${this.target}: ${name}${detail ? `: ${detail}` : ''}`, {
      operation,
      bucket: this.config.bucket,
      ...(this.config.endpoint ? { endpoint: safeEndpoint(this.config.endpoint) } : {}),
      s3Error: name,
      ...(status === undefined ? {} : { httpStatus: status }),
    });
  }

  private redact(text: string): string {
    let out = text;
    for (const secret of [this.config.secretAccessKey, this.config.accessKeyId]) {
      if (secret) out = out.split(secret).join('***');
    }
    return out;
  }
}

/**
 * The SDK warns on every failed streamed upload (withFile retries those itself), so drop just that line.
 * Per-command error logs are dropped too: every error is mapped and thrown to the caller.
 */
const quietStreamingRetryWarning = {
  debug: () => {},
  info: () => {},
  warn: (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes('non-retryable streaming request')) return;
    console.warn(...args);
  },
  error: () => {},
};

function infoFromHead(digest: Sha256Hex, head: HeadObjectCommandOutput): BlobInfo {
  return { digest, size: head.ContentLength ?? 0, storedAt: head.LastModified ?? new Date(0) };
}

function statusOf(err: unknown): number | undefined {
  return (err as S3LikeError | undefined)?.$metadata?.httpStatusCode;
}

function isNotFound(err: unknown): boolean {
  const name = (err as S3LikeError | undefined)?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchUpload' || statusOf(err) === 404;
}

function isUnsupported(err: unknown): boolean {
  const name = (err as S3LikeError | undefined)?.name;
  const status = statusOf(err);
  return name === 'NotImplemented' || name === 'MethodNotAllowed' || status === 501 || status === 405;
}

function isTransient(err: unknown): boolean {
  const status = statusOf(err);
  if (status === undefined) return true; // network-level failure
  const name = (err as S3LikeError).name;
  return status >= 500 || status === 429 || name === 'RequestTimeout' || name === 'SlowDown';
}

function safeEndpoint(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    url.username = '';
    url.password = '';
    url.search = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return '(unparseable endpoint)';
  }
}

function describeTarget(config: S3BlobStoreConfig): string {
  return config.endpoint
    ? `bucket "${config.bucket}" at ${safeEndpoint(config.endpoint)}`
    : `bucket "${config.bucket}" in ${config.region}`;
}

/** Passes at most `limit` bytes of `source`, then destroys it. */
function limitBytes(source: Readable, limit: number): Readable {
  async function* take(): AsyncGenerator<Buffer> {
    let left = limit;
    try {
      for await (const chunk of source) {
        const buf = chunk as Buffer;
        if (buf.length >= left) {
          yield buf.subarray(0, left);
          return;
        }
        left -= buf.length;
        yield buf;
      }
    } finally {
      source.destroy();
    }
  }
  return Readable.from(take(), { objectMode: false });
}
