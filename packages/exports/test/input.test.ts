import { describe, expect, it } from 'vitest';
import { ExportInputError, parseExportInput, toAnnexIv, toCycloneDx, toModelCard, toSpdx } from '../src/index.js';
import { buildExportInput } from './fixtures.js';

function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ExportInputError) return e.issues;
    throw e;
  }
  throw new Error('expected an ExportInputError');
}

describe('ExportInput', () => {
  it('parses the fixture and fills defaults for omitted lists', () => {
    const { datasets: _d, baseModels: _b, versions: _v, ...rest } = buildExportInput();
    const parsed = parseExportInput(rest);
    expect(parsed.datasets).toEqual([]);
    expect(parsed.baseModels).toEqual([]);
    expect(parsed.versions).toEqual([]);
  });

  it('names each invalid field by its path', () => {
    const input = buildExportInput();
    const issues = issuesOf(() =>
      parseExportInput({ ...input, generatedAt: 'yesterday', version: { ...input.version!, manifestDigest: 'abc' }, tool: { name: 'steward' } }),
    );
    expect(issues.map((i) => i.path).sort()).toEqual(['generatedAt', 'tool.version', 'version.manifestDigest']);
    expect(issues.find((i) => i.path === 'generatedAt')?.message).toBe('must be an ISO-8601 time');
  });

  it('refuses records of different models assembled together', () => {
    const input = buildExportInput();
    const issues = issuesOf(() => parseExportInput({ ...input, version: { ...input.version!, model: 'other-model' } }));
    expect(issues).toEqual([{ path: 'version.model', message: 'is "other-model", expected model "sentiment-bert"' }]);
  });

  it('every renderer parses its input at the edge', () => {
    const bad = { ...buildExportInput(), org: '' };
    for (const render of [toCycloneDx, toSpdx, toModelCard, (i: unknown) => toAnnexIv(i as never, { format: 'html' })]) {
      expect(() => render(bad as never)).toThrow(ExportInputError);
    }
  });
});
