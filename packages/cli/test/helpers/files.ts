/** Model directories on disk for the CLI tests. */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Writes `files` (relative path -> content) under dir; returns dir. */
export function writeTree(dir: string, files: Record<string, string | Buffer>): string {
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dir, ...rel.split('/'));
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
  return dir;
}

/** Every regular file below dir, as relative POSIX path -> bytes, sorted by path. */
export function readTree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string, prefix: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), rel);
      else out.set(rel, fs.readFileSync(path.join(d, e.name)));
    }
  };
  walk(dir, '');
  return new Map([...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Differences between two trees, byte for byte (Buffer.equals; vitest's deep equality walks a
 * Buffer element by element, which takes seconds for a few MiB). [] when identical.
 */
export function treeDiff(actualDir: string, expectedDir: string): string[] {
  const a = readTree(actualDir);
  const e = readTree(expectedDir);
  const out: string[] = [];
  for (const [p, buf] of e) {
    const got = a.get(p);
    if (!got) out.push(`missing ${p}`);
    else if (!got.equals(buf)) out.push(`differs ${p} (${got.length} vs ${buf.length} bytes)`);
  }
  for (const p of a.keys()) if (!e.has(p)) out.push(`unexpected ${p}`);
  return out;
}

/** Every entry name (files and dirs, recursively) below dir; [] when dir is missing. */
export function listAll(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).map(String).sort();
}

/** Regular files (not dirs) below dir, as relative paths; [] when dir is missing. */
export function listFiles(dir: string): string[] {
  return listAll(dir).filter((p) => fs.statSync(path.join(dir, p)).isFile());
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The model-signing "files" root digest computed independently: sha256 over the raw file digests in path order. */
export function expectedRootDigest(files: Map<string, Buffer>): string {
  const h = createHash('sha256');
  for (const [, content] of files) h.update(Buffer.from(sha256(content), 'hex'));
  return h.digest('hex');
}

export function random(n: number): Buffer {
  return randomBytes(n);
}

/** A Hugging Face model card with front matter (valid YAML). */
export function modelCard(opts: { license?: string; datasets?: string[]; baseModel?: string; accuracy?: number } = {}): string {
  return [
    '---',
    `license: ${opts.license ?? 'apache-2.0'}`,
    'datasets:',
    ...(opts.datasets ?? ['wiki']).map((d) => `  - ${d}`),
    `base_model: ${opts.baseModel ?? 'default/base'}`,
    'pipeline_tag: text-classification',
    'model-index:',
    '  - name: e2e-model',
    '    results:',
    '      - task:',
    '          type: text-classification',
    '        dataset:',
    '          name: wiki',
    '          type: wiki',
    '        metrics:',
    '          - type: accuracy',
    `            value: ${opts.accuracy ?? 0.91}`,
    '---',
    '# E2E model',
    '',
    '## Intended uses',
    'Classifying test fixtures.',
    '',
    '## Limitations',
    'Only knows about test fixtures.',
    '',
  ].join('\n');
}

/** Front matter whose line 6 is malformed YAML ("a: b: c"). */
export const MALFORMED_CARD = ['---', 'license: mit', 'tags:', '  - broken', 'pipeline_tag: text-generation', 'language: en: fr', '---', '# Broken card', ''].join('\n');
export const MALFORMED_CARD_LINE = 6;
