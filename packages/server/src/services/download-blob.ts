import type { Readable } from 'node:stream';
import { StewardError } from '@steward/domain';
import { authorize, type ServiceContext } from './context.js';

export async function downloadBlob({ ctx, input }: { ctx: ServiceContext; input: { org: string; digest: string; range?: { start: number; end: number } | undefined } }): Promise<{ size: number; stream: Readable; range: { start: number; end: number } | null }> {
  const scope = authorize(ctx, input.org, 'blob.read');
  const row = await ctx.db.selectFrom('blob_possessions').select('size').where('org_id', '=', scope.orgId).where('digest', '=', input.digest).executeTakeFirst();
  if (!row) throw new StewardError('not_found', `blob sha256:${input.digest} not found in org "${input.org}"`);
  const size = Number(row.size);
  let range: { start: number; end: number } | null = null;
  if (input.range) {
    const end = Math.min(input.range.end, size - 1);
    if (input.range.start > end || input.range.start >= size) {
      throw new StewardError('bad_request', `range ${input.range.start}-${input.range.end} is outside the blob (size ${size})`, { size });
    }
    range = { start: input.range.start, end };
  }
  const stream = await ctx.blobs.get(input.digest, range ?? undefined);
  return { size, stream, range };
}
