import { Transform, pipeline, type Readable } from 'node:stream';
import { StewardError } from '@steward/domain';
import { audit, authorize, type ServiceContext } from './context.js';

/**
 * Streams a blob the org holds. The stored size is checked against the recorded one before any
 * header is sent, and the stream fails (rather than ending short) if the store yields fewer bytes,
 * so a damaged store can never look like a complete download.
 */
export async function downloadBlob({ ctx, input }: { ctx: ServiceContext; input: { org: string; digest: string; range?: { start: number; end: number } | undefined } }): Promise<{ size: number; stream: Readable; range: { start: number; end: number } | null }> {
  const scope = authorize(ctx, input.org, 'blob.read');
  const row = await ctx.db.selectFrom('blob_possessions').select('size').where('org_id', '=', scope.orgId).where('digest', '=', input.digest).executeTakeFirst();
  if (!row) throw new StewardError('not_found', `blob sha256:${input.digest} not found in org "${input.org}"`);
  const size = Number(row.size);
  const stored = await ctx.blobs.stat(input.digest);
  if (!stored || stored.size !== size) {
    throw new StewardError('unavailable', `stored blob sha256:${input.digest} is damaged or missing (${stored ? `${stored.size} bytes` : 'absent'}, expected ${size}); restore it from a backup or push it again`);
  }
  let range: { start: number; end: number } | null = null;
  if (input.range) {
    const end = Math.min(input.range.end, size - 1);
    if (input.range.start > end || input.range.start >= size) {
      throw new StewardError('bad_request', `range ${input.range.start}-${input.range.end} is outside the blob (size ${size})`, { size });
    }
    range = { start: input.range.start, end };
  }
  // Artifact downloads are sensitive reads: recorded before the first byte leaves, or not served.
  await audit(ctx.db, ctx, { orgId: scope.orgId, action: 'blob.downloaded', targetType: 'blob', targetId: input.digest, details: { size, ...(range ? { range } : {}) } });
  const expected = range ? range.end - range.start + 1 : size;
  const source = await ctx.blobs.get(input.digest, range ?? undefined);
  // pipeline (not pipe) so a store read error also fails the response stream.
  const checked = exactLength(expected, input.digest);
  pipeline(source, checked, () => {});
  return { size, stream: checked, range };
}

function exactLength(expected: number, digest: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > expected) return cb(new Error(`blob sha256:${digest} is longer than recorded`));
      cb(null, chunk);
    },
    flush(cb) {
      cb(seen === expected ? null : new Error(`blob sha256:${digest} ended after ${seen} of ${expected} bytes`));
    },
  });
}
