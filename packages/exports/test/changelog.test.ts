import { describe, expect, it } from 'vitest';
import type { Version } from '@steward/domain';
import { changelog, diffVersions, ExportInputError } from '../src/index.js';
import { manifestOf, sha256, versionLine } from './fixtures.js';

const [v100, v110, v120] = versionLine() as [Version, Version, Version];

/** A version with other files, for file-level cases. */
function withFiles(v: Version, files: { path: string; content: string }[]): Version {
  const manifest = manifestOf(files);
  return { ...v, manifest, manifestDigest: manifest.rootDigest, fileCount: files.length };
}

describe('diffVersions', () => {
  it('finds files added, removed and changed by digest', () => {
    const d = diffVersions(v100, v110);
    expect(d.from).toBe('1.0.0');
    expect(d.to).toBe('1.1.0');
    expect(d.manifest.changed).toBe(true);
    expect(d.files.added.map((f) => f.path)).toEqual(['model.safetensors']);
    expect(d.files.removed.map((f) => f.path)).toEqual(['pytorch_model.bin']);
    expect(d.files.changed.map((f) => f.path)).toEqual(['README.md']);
    expect(d.files.unchanged).toBe(1); // config.json
    expect(d.files.renamed).toEqual([]);
  });

  it('finds metric, licence, dataset and source changes', () => {
    const d = diffVersions(v110, v120);
    expect(d.files.changed.map((f) => f.path)).toEqual(['README.md', 'model.safetensors']);
    expect(d.license).toEqual({ from: 'mit', to: 'apache-2.0' });
    expect(d.card.fields).toEqual([{ field: 'license', from: 'mit', to: 'apache-2.0' }]);
    expect(d.metrics.changed).toEqual([
      expect.objectContaining({ label: 'Accuracy on IMDb (config plain_text, split test, revision e6281661ce1c48d982bc483cf8a173c1bbeb5d31)', from: '0.924', to: '0.931' }),
    ]);
    expect(d.datasets).toEqual({ added: [], removed: [], upgraded: [], changed: [] });
    expect(d.source).toEqual({ from: { repo: 'https://github.com/acme/sentiment-bert', commit: '8d41e07' }, to: { repo: 'https://github.com/acme/sentiment-bert', commit: 'c0ffee42d1' } });
    expect(d.hasChanges).toBe(true);

    const d1 = diffVersions(v100, v110);
    expect(d1.datasets.added).toEqual([{ name: 'acme-reviews', version: '2024-06', relations: ['trained_on'], license: 'CC-BY-4.0', sensitivity: 'internal' }]);
  });

  it('reports a move of the same bytes as a rename', () => {
    const a = withFiles(v110, [{ path: 'weights/model.safetensors', content: 'w' }, { path: 'config.json', content: 'c' }]);
    const b = withFiles(v120, [{ path: 'model.safetensors', content: 'w' }, { path: 'config.json', content: 'c' }]);
    const d = diffVersions(a, b);
    expect(d.files.renamed).toEqual([{ from: 'weights/model.safetensors', to: 'model.safetensors', sha256: sha256('w'), size: 1 }]);
    expect(d.files.added).toEqual([]);
    expect(d.files.removed).toEqual([]);
  });

  it('reports a new dataset version as an upgrade, and relation and licence changes', () => {
    const a = { ...v110 };
    const b: Version = {
      ...v110,
      version: '1.1.1',
      datasets: [
        { name: 'acme-reviews', version: '2024-09', relation: 'trained_on', license: 'CC-BY-4.0', sensitivity: 'internal' },
        { name: 'imdb', version: 'plain_text-1.0', relation: 'evaluated_on', license: 'other', sensitivity: 'confidential' },
        { name: 'imdb', version: 'plain_text-1.0', relation: 'trained_on', license: 'other', sensitivity: 'confidential' },
      ],
    };
    const d = diffVersions(a, b);
    expect(d.datasets.upgraded).toEqual([{ name: 'acme-reviews', from: '2024-06', to: '2024-09' }]);
    expect(d.datasets.changed).toEqual([
      { dataset: 'imdb@plain_text-1.0', field: 'relations', from: 'evaluated_on', to: 'evaluated_on, trained_on' },
      { dataset: 'imdb@plain_text-1.0', field: 'sensitivity', from: 'public', to: 'confidential' },
    ]);
    expect(d.manifest.changed).toBe(false);
    expect(d.hasChanges).toBe(true);
  });

  it('says nothing changed between a version and itself', () => {
    const d = diffVersions(v120, v120);
    expect(d.hasChanges).toBe(false);
    expect(d.files).toEqual({ added: [], removed: [], changed: [], renamed: [], unchanged: 3 });
  });
});

describe('changelog', () => {
  const md = changelog([v110, v120, v100]);

  it('lists versions newest first with their changes', () => {
    const headings = md.split('\n').filter((l) => l.startsWith('## '));
    expect(headings).toEqual(['## 1.2.0 (2025-02-20, alice)', '## 1.1.0 (2024-11-12, bob)', '## 1.0.0 (2024-08-01, alice)']);
    const section = (v: string) => md.split(/^## /m).find((s) => s.startsWith(v))!;
    expect(section('1.2.0')).toContain('- Licence: mit → apache-2.0');
    expect(section('1.2.0')).toMatch(/- Changed file `model\.safetensors`: sha256 `[0-9a-f]{12}` → `[0-9a-f]{12}`/);
    expect(section('1.2.0')).toContain('- Metric Accuracy on IMDb (config plain_text, split test, revision e6281661ce1c48d982bc483cf8a173c1bbeb5d31): 0.924 → 0.931');
    expect(section('1.2.0')).toContain('- Source: https://github.com/acme/sentiment-bert @ 8d41e07 → https://github.com/acme/sentiment-bert @ c0ffee42d1');
    expect(section('1.1.0')).toContain('- Added file `model.safetensors` (417.7 MiB');
    expect(section('1.1.0')).toContain('- Removed file `pytorch_model.bin`');
    expect(section('1.1.0')).toContain('- Dataset added: acme-reviews@2024-06 (trained_on; CC-BY-4.0; internal)');
    expect(section('1.0.0')).toContain('First version.');
    expect(section('1.0.0')).toContain('- Licence: mit');
  });

  it('refuses versions of different models, naming them', () => {
    expect(() => changelog([v100, { ...v110, model: 'other' }])).toThrow(ExportInputError);
    expect(() => changelog([v100, { ...v110, model: 'other' }])).toThrow(/versions\[1\.1\.0\]: is acme\/other, not acme\/sentiment-bert/);
  });
});
