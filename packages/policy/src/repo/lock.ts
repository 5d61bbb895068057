/**
 * `steward.lock`: each declared model's manifest digest and per-file digests, written by
 * `steward lock` and compared by `steward check` (the "pinned and verified" rule). JSON with
 * sorted keys and files, so diffs in review show exactly which file changed.
 */
import { StewardError } from '@steward/domain/core';
import { z } from 'zod';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters');

export const LockedModelSchema = z
  .object({
    path: z.string().min(1),
    version: z.string().nullable(),
    manifestDigest: Sha256,
    files: z.array(z.object({ path: z.string().min(1), size: z.int().min(0), sha256: Sha256 }).strict()),
  })
  .strict();

export const LockFileSchema = z
  .object({
    lockVersion: z.literal(1),
    models: z.record(z.string(), LockedModelSchema),
  })
  .strict();

export type LockFile = z.infer<typeof LockFileSchema>;
export type LockedModel = z.infer<typeof LockedModelSchema>;

export interface LockMismatch {
  path: string;
  expected: string | null;
  actual: string | null;
}

export function renderLock(lock: LockFile): string {
  const models: Record<string, LockedModel> = {};
  for (const name of Object.keys(lock.models).sort()) {
    const m = lock.models[name]!;
    models[name] = { path: m.path, version: m.version, manifestDigest: m.manifestDigest, files: [...m.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 })) };
  }
  return `${JSON.stringify({ lockVersion: 1, models }, null, 2)}\n`;
}

/** Parses steward.lock; throws StewardError('validation_failed') naming the file and the field. */
export function parseLock(text: string, file = 'steward.lock'): LockFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new StewardError('validation_failed', `${file}: not valid JSON (${(e as Error).message}); regenerate it with \`steward lock\``);
  }
  const r = LockFileSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new StewardError('validation_failed', `${file}: ${i.path.join('.') || '(document)'}: ${i.message}; regenerate it with \`steward lock\``);
  }
  return r.data;
}

/** Files that differ from the lock: changed digests, files the lock does not know, locked files that are gone. */
export function compareWithLock(locked: LockedModel, files: readonly { path: string; sha256: string }[]): LockMismatch[] {
  const actual = new Map(files.map((f) => [f.path, f.sha256]));
  const out: LockMismatch[] = [];
  for (const f of locked.files) {
    const got = actual.get(f.path);
    if (got === undefined) out.push({ path: f.path, expected: f.sha256, actual: null });
    else if (got !== f.sha256) out.push({ path: f.path, expected: f.sha256, actual: got });
  }
  const known = new Set(locked.files.map((f) => f.path));
  for (const f of files) if (!known.has(f.path)) out.push({ path: f.path, expected: null, actual: f.sha256 });
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
