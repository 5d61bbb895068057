/**
 * A model as model_signing sees it: a directory (one resource per file, named by relative path)
 * or a single file (one resource named "."; the v0.3.1 and v1.0.0 key vectors sign a file).
 */
import { realpath, stat } from 'node:fs/promises';
import { basename, isAbsolute, relative, resolve, sep } from 'node:path';
import { StewardError } from '@steward/domain/core';
import { hashModelDirectory, type HashModelDirectoryOptions } from './hash-directory.js';
import { normalizeIgnorePaths, rootDigestOf, type Manifest } from './manifest.js';
import { sha256File } from './sha256-file.js';

/** Resource name model_signing gives the one file of a single-file model. */
export const SINGLE_FILE_RESOURCE = '.';

export type ModelKind = 'directory' | 'file';

export interface HashedModel {
  kind: ModelKind;
  /** What model_signing puts in the subject: the last component of the resolved path. */
  name: string;
  manifest: Manifest;
}

export function modelNameOf(modelPath: string): string {
  return basename(resolve(modelPath));
}

/** The model path itself is followed if it is a link (it is what the user named, as for hashModelDirectory); links inside it are another matter. */
export async function modelKindOf(modelPath: string): Promise<ModelKind> {
  let st;
  try {
    st = await stat(modelPath);
  } catch (e) {
    throw new StewardError('bad_request', `cannot open model ${modelPath}: ${(e as Error).message}`, { path: modelPath });
  }
  if (st.isDirectory()) return 'directory';
  if (st.isFile()) return 'file';
  throw new StewardError('bad_request', `${modelPath}: not a regular file or directory`, { path: modelPath });
}

/** Hashes a directory (see hashModelDirectory) or a single file into a "files" manifest. */
export async function hashModel(modelPath: string, opts: HashModelDirectoryOptions = {}): Promise<HashedModel> {
  const kind = await modelKindOf(modelPath);
  const name = modelNameOf(modelPath);
  if (kind === 'directory') return { kind, name, manifest: await hashModelDirectory(modelPath, opts) };
  let digest;
  try {
    digest = await sha256File(modelPath);
  } catch (e) {
    throw new StewardError('bad_request', `cannot read ${modelPath}: ${(e as Error).message}`, { path: modelPath });
  }
  return {
    kind,
    name,
    manifest: {
      serialization: { method: 'files', hash_type: 'sha256', allow_symlinks: opts.allowSymlinks ?? false, ignore_paths: [] },
      files: [{ path: SINGLE_FILE_RESOURCE, size: digest.size, sha256: digest.sha256 }],
      rootDigest: rootDigestOf([digest.sha256]),
    },
  };
}

/** `target` relative to directory `dir` as a POSIX path, or undefined when it is not inside. */
async function insidePath(dir: string, target: string): Promise<string | undefined> {
  const realDir = await realpath(dir).catch(() => resolve(dir));
  // The target may not exist yet (a signature about to be written): resolve its directory.
  const abs = resolve(target);
  const realParent = await realpath(resolve(abs, '..')).catch(() => resolve(abs, '..'));
  const rel = relative(realDir, resolve(realParent, basename(abs)));
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
  return rel.split(sep).join('/');
}

/** The signature file's path relative to the model directory when it lies inside it (to be ignored). */
export async function signatureIgnorePath(modelPath: string, signaturePath: string, kind: ModelKind): Promise<string[]> {
  if (kind !== 'directory') return [];
  const rel = await insidePath(modelPath, signaturePath);
  return rel === undefined ? [] : [rel];
}

/**
 * Ignore paths as command lines give them. model_signing's CLI takes them as paths from the
 * current directory (`--ignore-paths model/ignore-me`); Steward's own commands take them relative
 * to the model. A path that names something inside the model from `cwd` is taken that way;
 * anything else is taken as relative to the model directory.
 */
export async function resolveIgnorePaths(modelPath: string, paths: readonly string[], cwd = process.cwd()): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const fromCwd = await insidePath(modelPath, resolve(cwd, p));
    out.push(fromCwd ?? p);
  }
  return normalizeIgnorePaths(out);
}
