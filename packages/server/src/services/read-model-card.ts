import { parseModelCard } from '@steward/modelcard';
import type { z } from 'zod';
import type { ModelCardSchema } from '@steward/domain';
import type { ServiceContext } from './context.js';

type StoredCard = z.infer<typeof ModelCardSchema>;

/** Cards are prose; anything bigger than this is not a card we should parse on the request path. */
export const MAX_MODEL_CARD_BYTES = 1024 * 1024;

/**
 * Parses the version's root README.md as a Hugging Face model card. A malformed card never fails
 * the push: the problems (with line numbers) are stored with the version.
 */
export async function readModelCard(ctx: ServiceContext, files: { path: string; size: number; sha256: string }[]): Promise<StoredCard | null> {
  const readme = files.find((f) => f.path.toLowerCase() === 'readme.md');
  if (!readme) return null;
  if (readme.size > MAX_MODEL_CARD_BYTES) {
    return {
      path: readme.path,
      sha256: readme.sha256,
      metadata: {},
      sections: [],
      recognizedSections: [],
      missingRecommendedSections: [],
      problems: [{ line: 1, severity: 'error', message: `model card is ${readme.size} bytes; cards over ${MAX_MODEL_CARD_BYTES} bytes are not parsed` }],
    };
  }
  const chunks: Buffer[] = [];
  for await (const chunk of await ctx.blobs.get(readme.sha256)) chunks.push(chunk as Buffer);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(chunks));
  const parsed = parseModelCard(text);
  return {
    path: readme.path,
    sha256: readme.sha256,
    metadata: parsed.metadata as unknown as Record<string, unknown>,
    sections: parsed.sections.map((s) => ({ title: s.title, level: s.level, line: s.line, kind: s.kind })),
    recognizedSections: parsed.recognizedSections,
    missingRecommendedSections: parsed.missingRecommendedSections,
    problems: parsed.problems,
  };
}
