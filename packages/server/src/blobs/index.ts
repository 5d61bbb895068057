import { StewardError } from '@steward/domain';
import { LocalBlobStore } from './local.js';
import { S3BlobStore, type S3BlobStoreTuning } from './s3.js';
import type { BlobStore, BlobStoreConfig } from './types.js';

export type { BlobInfo, BlobStore, BlobStoreConfig, PutBlobInput, Sha256Hex } from './types.js';
export { LocalBlobStore } from './local.js';
export { S3BlobStore, type S3BlobStoreConfig, type S3BlobStoreTuning } from './s3.js';
export { assertDigest, isDigest } from './hashing-writer.js';

export interface BlobStoreOptions {
  /** S3 only: multipart threshold, part size, retries (tests lower the threshold). */
  s3?: S3BlobStoreTuning;
}

/** Opens the configured store, creating its local directories (blob dir, temp dir or spool dir). */
export async function createBlobStore(config: BlobStoreConfig, options: BlobStoreOptions = {}): Promise<BlobStore> {
  switch (config.kind) {
    case 'local':
      return LocalBlobStore.open(config.dir);
    case 's3':
      return S3BlobStore.open(config, options.s3);
    default:
      throw new StewardError('bad_request', `unknown blob store kind: ${String((config as { kind?: unknown }).kind)}`);
  }
}
