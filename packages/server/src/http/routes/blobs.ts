import type { Readable } from 'node:stream';
import { BlobParamsSchema, BlobUploadResponseSchema, MissingBlobsBodySchema, MissingBlobsResponseSchema, OrgParamsSchema, StewardError } from '@steward/domain';
import { defineRoute } from '../route.js';
import { findMissingBlobs } from '../../services/find-missing-blobs.js';
import { uploadBlob } from '../../services/upload-blob.js';
import { downloadBlob } from '../../services/download-blob.js';

function parseRange(header: string | undefined): { start: number; end: number } | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d+)-(\d*)$/.exec(header.trim());
  if (!m) throw new StewardError('bad_request', `unsupported Range header "${header}"; use bytes=START-[END]`);
  return { start: Number(m[1]), end: m[2] ? Number(m[2]) : Number.MAX_SAFE_INTEGER };
}

export const blobRoutes = [
  defineRoute({
    method: 'POST',
    url: '/api/v1/orgs/:org/blobs/missing',
    operationId: 'findMissingBlobs',
    summary: 'Which of these SHA-256 digests the org has not uploaded yet',
    tag: 'blobs',
    params: OrgParamsSchema,
    body: MissingBlobsBodySchema,
    response: { status: 200, schema: MissingBlobsResponseSchema, description: 'Digests to upload' },
    handler: ({ ctx, input }) => findMissingBlobs({ ctx, input: { org: input.params.org, digests: input.body.digests } }),
  }),
  defineRoute({
    method: 'PUT',
    url: '/api/v1/orgs/:org/blobs/:digest',
    operationId: 'uploadBlob',
    summary: 'Upload one file\'s bytes; the server re-hashes and stores nothing on a digest mismatch',
    description: 'Body is the raw bytes (application/octet-stream). Content-Length is required so size limits apply before any byte is stored.',
    tag: 'blobs',
    params: BlobParamsSchema,
    body: 'binary',
    response: { status: 200, schema: BlobUploadResponseSchema, description: 'Stored (or already held)' },
    errors: [411, 413],
    handler: async ({ ctx, input, req }) => {
      const lengthHeader = req.headers['content-length'];
      if (lengthHeader === undefined) throw new StewardError('bad_request', 'Content-Length is required for blob uploads');
      const size = Number(lengthHeader);
      if (!Number.isSafeInteger(size) || size < 0) throw new StewardError('bad_request', `invalid Content-Length "${lengthHeader}"`);
      if (size > ctx.config.maxBlobBytes) throw new StewardError('payload_too_large', `blob of ${size} bytes exceeds the limit of ${ctx.config.maxBlobBytes} bytes`, { limit: ctx.config.maxBlobBytes });
      return uploadBlob({ ctx, input: { org: input.params.org, digest: input.params.digest, size, body: input.body as Readable } });
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/blobs/:digest',
    operationId: 'downloadBlob',
    summary: 'Stream a blob the org holds (supports a single byte Range)',
    tag: 'blobs',
    params: BlobParamsSchema,
    response: { status: 200, schema: 'binary', description: 'The bytes (206 for a range)' },
    handler: async ({ ctx, input, req, reply }) => {
      const range = parseRange(req.headers.range);
      const r = await downloadBlob({ ctx, input: { org: input.params.org, digest: input.params.digest, range } });
      reply.header('content-type', 'application/octet-stream');
      reply.header('accept-ranges', 'bytes');
      reply.header('etag', `"sha256:${input.params.digest}"`);
      reply.header('cache-control', 'private, max-age=31536000, immutable');
      if (r.range) {
        reply.code(206);
        reply.header('content-range', `bytes ${r.range.start}-${r.range.end}/${r.size}`);
        reply.header('content-length', String(r.range.end - r.range.start + 1));
      } else {
        reply.header('content-length', String(r.size));
      }
      return reply.send(r.stream) as never;
    },
  }),
];
