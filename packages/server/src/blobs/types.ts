import type { Readable } from 'node:stream';

/** Lowercase hex SHA-256, 64 chars. Blobs are addressed by nothing else. */
export type Sha256Hex = string;

export interface BlobInfo {
  digest: Sha256Hex;
  size: number;
  /** When the blob was stored; garbage collection spares young blobs (an upload may still be registering). */
  storedAt: Date;
}

export interface PutBlobInput {
  /** The digest the client claims; the store re-hashes and refuses a mismatch, storing nothing. */
  expectedDigest: Sha256Hex;
  /** Optional claimed size; a mismatch is refused the same way. */
  expectedSize?: number;
  /** Upper bound on bytes accepted; exceeding it is a payload_too_large error and stores nothing. */
  maxBytes: number;
  body: Readable;
}

/**
 * Content-addressed blob storage. Every implementation must pass the shared contract test.
 * Errors are StewardError from @steward/domain (digest_mismatch, payload_too_large, not_found).
 */
export interface BlobStore {
  readonly kind: 'local' | 's3';
  stat(digest: Sha256Hex): Promise<BlobInfo | null>;
  /** Streams body to temporary storage while hashing; publishes under the digest only when it matches. Idempotent. */
  put(input: PutBlobInput): Promise<BlobInfo>;
  /** Streams the blob; `range` is inclusive start/end byte offsets. Throws not_found. */
  get(digest: Sha256Hex, range?: { start: number; end: number }): Promise<Readable>;
  delete(digest: Sha256Hex): Promise<void>;
  /** Every stored blob (not temporaries), in no particular order. */
  list(): AsyncIterable<BlobInfo>;
  /** Removes temporaries older than `olderThan` left by crashed uploads; returns how many. */
  sweepTemporaries(olderThan: Date): Promise<number>;
  close(): Promise<void>;
}

export type BlobStoreConfig =
  | { kind: 'local'; dir: string }
  | {
      kind: 's3';
      bucket: string;
      prefix: string;
      endpoint?: string;
      region: string;
      accessKeyId?: string;
      secretAccessKey?: string;
      forcePathStyle: boolean;
      /** Local directory used to spool uploads while hashing before they go to S3. */
      spoolDir: string;
    };
