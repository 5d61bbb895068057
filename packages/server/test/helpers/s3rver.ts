import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import type { BlobStoreConfig } from '../../src/blobs/index.js';

export interface RunningS3rver {
  /** e.g. http://127.0.0.1:41234 — path-style only. */
  endpoint: string;
  bucket: string;
  /** Every request seen, as "METHOD /path?query", for asserting on traffic (e.g. multipart was used). */
  requests: string[];
  stop(): Promise<void>;
  /** A ready-to-use S3 blob store config; each call gets its own spool directory. */
  config(prefix?: string): Extract<BlobStoreConfig, { kind: 's3' }>;
}

/**
 * Starts s3rver on 127.0.0.1 with a free port and a fresh temp directory holding both its data and
 * the spool directories handed out by config(); one bucket exists; credentials are S3RVER/S3RVER.
 * s3rver quirks: SigV4 signatures are not verified (only the access key id); listings that would be
 * truncated (> 1000 keys) fail with InternalError on Node >= 17 (DES continuation tokens);
 * ListMultipartUploads/AbortMultipartUpload are not implemented; checksum headers are ignored.
 */
export async function startS3rver(): Promise<RunningS3rver> {
  const root = await mkdtemp(join(tmpdir(), 'steward-s3rver-'));
  const bucket = 'steward-test';
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: join(root, 'data'),
    vhostBuckets: false,
    configureBuckets: [{ name: bucket }],
  });
  let address;
  try {
    address = await server.run();
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
  const endpoint = `http://127.0.0.1:${address.port}`;
  const requests: string[] = [];
  server.httpServer?.on('request', (req) => requests.push(`${req.method} ${req.url}`));

  let spools = 0;
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    bucket,
    requests,
    config(prefix = '') {
      spools += 1;
      return {
        kind: 's3',
        bucket,
        prefix,
        endpoint,
        region: 'us-east-1',
        accessKeyId: 'S3RVER',
        secretAccessKey: 'S3RVER',
        forcePathStyle: true,
        spoolDir: join(root, `spool-${spools}`),
      };
    },
    stop() {
      stopped ??= (async () => {
        const http = server.httpServer;
        const closing = server.close();
        // Keep-alive sockets from SDK clients would otherwise hold close() open.
        http?.closeAllConnections();
        await closing;
        await rm(root, { recursive: true, force: true, maxRetries: 3 });
      })();
      return stopped;
    },
  };
}
