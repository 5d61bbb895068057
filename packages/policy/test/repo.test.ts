import { describe, expect, it } from 'vitest';
import { compareWithLock, parseLock, parseStewardConfig, renderLock, splitModelName } from '../src/index.js';

const CONFIG = `models:
  - name: acme/tiny
    path: model
    version: 1.0.0
    ring: beta
    params:
      evaluation: { minimum: 0.9 }
policies:
  files: [policies/acme.yaml]
  params:
    commercial-use:
      allowed: [MIT]
`;

describe('steward.yaml', () => {
  it('parses with defaults', () => {
    const { config } = parseStewardConfig(CONFIG);
    expect(config.models[0]).toMatchObject({ name: 'acme/tiny', path: 'model', card: 'README.md', datasets: [], owners: [], waivers: [] });
    expect(config.policies).toEqual({ builtin: true, files: ['policies/acme.yaml'], params: { 'commercial-use': { allowed: ['MIT'] } } });
  });

  it('names file, line and column of invalid YAML, unknown fields and bad values', () => {
    expect(() => parseStewardConfig('models:\n  - name: [a\n', 'steward.yaml')).toThrow(/^steward\.yaml:3:1: invalid YAML/);
    expect(() => parseStewardConfig(CONFIG.replace('    ring: beta\n', '    ring: beta\n    rnig: x\n'))).toThrow('steward.yaml:6:5: models.0: unknown field "rnig"');
    expect(() => parseStewardConfig(CONFIG.replace('path: model', 'path: ../model'))).toThrow('steward.yaml:3:11: models.0.path: must not contain ".."');
    expect(() => parseStewardConfig(CONFIG.replace('    path: model\n', ''))).toThrow('steward.yaml:2:5: models.0.path: required field is missing');
    expect(() => parseStewardConfig(`${CONFIG}waivers:\n  - { ruleId: a, reason: r, approver: b, expires: someday }\n`)).toThrow(/steward\.yaml:14:51: waivers\.0\.expires: must be a date/);
    expect(() => parseStewardConfig(CONFIG.replace('models:\n', 'models:\n  - { name: acme/tiny, path: other }\n'))).toThrow('steward.yaml:3:11: models.1.name: model "acme/tiny" is declared twice');
  });

  it('locates parameter overrides, per model first', () => {
    const loaded = parseStewardConfig(CONFIG);
    expect(loaded.locateParam(0, 'evaluation', 'minimum')).toEqual({ line: 7, column: 21 });
    expect(loaded.locateParam(0, 'commercial-use', 'allowed')).toEqual({ line: 12, column: 7 });
    expect(loaded.locateParam(0, 'commercial-use', null)).toEqual({ line: 11, column: 5 });
    expect(loaded.locateParam(0, 'nothing', null)).toBeNull();
    expect(loaded.locate(['models', 0])).toEqual({ line: 2, column: 5 });
  });

  it('splits model names', () => {
    expect(splitModelName('acme/tiny')).toEqual({ org: 'acme', name: 'tiny' });
    expect(splitModelName('tiny')).toEqual({ org: null, name: 'tiny' });
  });
});

describe('steward.lock', () => {
  const A = 'a'.repeat(64);
  const B = 'b'.repeat(64);
  const C = 'c'.repeat(64);
  const locked = { path: 'model', version: '1.0.0', manifestDigest: C, files: [{ path: 'z.bin', size: 1, sha256: A }, { path: 'a.txt', size: 2, sha256: B }] };

  it('renders sorted and parses back', () => {
    const text = renderLock({ lockVersion: 1, models: { 'z/m': locked, 'a/m': locked } });
    expect(Object.keys(JSON.parse(text).models)).toEqual(['a/m', 'z/m']);
    expect(JSON.parse(text).models['a/m'].files.map((f: { path: string }) => f.path)).toEqual(['a.txt', 'z.bin']);
    expect(parseLock(text).models['z/m']?.manifestDigest).toBe(C);
  });

  it('refuses a malformed lock, naming the field', () => {
    expect(() => parseLock('{')).toThrow(/^steward\.lock: not valid JSON/);
    expect(() => parseLock(JSON.stringify({ lockVersion: 1, models: { m: { ...locked, manifestDigest: 'x' } } }))).toThrow('steward.lock: models.m.manifestDigest: must be 64 lowercase hex characters; regenerate it with `steward lock`');
  });

  it('compares files: changed, unknown and missing', () => {
    expect(compareWithLock(locked, [{ path: 'z.bin', sha256: A }, { path: 'a.txt', sha256: B }])).toEqual([]);
    expect(compareWithLock(locked, [{ path: 'z.bin', sha256: B }, { path: 'new.bin', sha256: C }])).toEqual([
      { path: 'a.txt', expected: B, actual: null },
      { path: 'new.bin', expected: null, actual: C },
      { path: 'z.bin', expected: A, actual: B },
    ]);
  });
});
