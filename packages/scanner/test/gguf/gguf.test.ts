import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { GGUF_RULES, ggufHandler } from '../../src/formats/gguf.js';
import { scanPaths } from '../../src/scan.js';
import { engine, ruleIds, scan } from '../jinja/engine.js';
import { fuzzSeconds, fuzzSeed, reportFailures } from '../jinja/fuzz-core.js';
import { fuzzGguf } from './fuzz-lib.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name));
const expected: Record<string, string | null> = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8'));

/** Minimal GGUF v3 writer for tests that need files the generator does not make. */
class Gguf {
  private kvs: Buffer[] = [];
  private infos: Buffer[] = [];
  private tensorCount = 0;
  static str(s: string | Buffer): Buffer {
    const b = typeof s === 'string' ? Buffer.from(s) : s;
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(b.length));
    return Buffer.concat([len, b]);
  }
  static u32(n: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  }
  static u64(n: bigint): Buffer {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(n);
    return b;
  }
  kvString(key: string, value: string): this {
    this.kvs.push(Buffer.concat([Gguf.str(key), Gguf.u32(8), Gguf.str(value)]));
    return this;
  }
  kvRaw(key: string, type: number, raw: Buffer): this {
    this.kvs.push(Buffer.concat([Gguf.str(key), Gguf.u32(type), raw]));
    return this;
  }
  tensor(name: string, dims: bigint[], type: number, offset: bigint): this {
    this.infos.push(Buffer.concat([Gguf.str(name), Gguf.u32(dims.length), ...dims.map(Gguf.u64), Gguf.u32(type), Gguf.u64(offset)]));
    this.tensorCount++;
    return this;
  }
  header(): Buffer {
    const h = Buffer.concat([Buffer.from('GGUF'), Gguf.u32(3), Gguf.u64(BigInt(this.tensorCount)), Gguf.u64(BigInt(this.kvs.length)), ...this.kvs, ...this.infos]);
    return Buffer.concat([h, Buffer.alloc((32 - (h.length % 32)) % 32)]);
  }
}

describe('gguf: benign files', () => {
  test.each(['model.gguf', 'named-templates.gguf', 'no-template.gguf', 'big-endian.gguf', 'v2.gguf'])('%s is safe', async (name) => {
    const r = await scan(fixture(name), name);
    expect(r.format).toBe('gguf');
    expect(r.findings, JSON.stringify(r.findings)).toEqual([]);
    expect(r.verdict).toBe('safe');
  });

  test('details: version, counts, alignment, architecture, templates, tensor types', async () => {
    const r = await scan(fixture('named-templates.gguf'), 'm.gguf');
    expect(r.details).toMatchObject({
      version: 3,
      endianness: 'little',
      tensorCount: 3,
      alignment: 32,
      architecture: 'llama',
      name: 'steward-fixture',
      chatTemplates: ['default', 'tool_use'],
      tensorTypes: { F32: 1, F16: 1, Q8_0: 1 },
      parameters: 24 + 4 + 32,
    });
    const be = await scan(fixture('big-endian.gguf'), 'be.gguf');
    expect(be.details).toMatchObject({ endianness: 'big', chatTemplates: ['default'] });
  });

  test('version 1 (32-bit counts) is parsed, with an informational finding', async () => {
    const r = await scan(fixture('v1.gguf'), 'v1.gguf');
    expect(r.verdict).toBe('safe');
    expect(ruleIds(r)).toEqual(['gguf.legacy-version']);
    expect(r.details).toMatchObject({ version: 1, tensorCount: 3, chatTemplates: ['default'] });
  });
});

describe('gguf: every rule', () => {
  const cases = Object.entries(expected).filter((e): e is [string, string] => e[1] !== null && e[1] !== 'gguf.legacy-version');
  test.each(cases)('%s -> %s', async (name, rule) => {
    const r = await scan(fixture(name), name);
    expect(r.format).toBe('gguf');
    expect(ruleIds(r)).toContain(rule);
    const def = rule.startsWith('gguf.') ? GGUF_RULES[rule.slice(5) as keyof typeof GGUF_RULES] : null;
    if (def) expect(r.verdict).toBe(def.verdict);
    const f = r.findings.find((x) => x.ruleId === rule)!;
    expect(f.location?.offset).toBeTypeOf('number');
  });

  test('every rule has a fixture', () => {
    const covered = new Set(Object.values(expected));
    for (const k of Object.keys(GGUF_RULES)) expect(covered).toContain(`gguf.${k}`);
  });

  test('the CVE-2024-34359 template in GGUF metadata is unsafe, located by offset, key and line', async () => {
    const r = await scan(fixture('cve-2024-34359.gguf'), 'evil.gguf');
    expect(r.verdict).toBe('unsafe');
    const f = r.findings.find((x) => x.ruleId === 'template.dunder-attribute')!;
    expect(f.severity).toBe('critical');
    expect(f.location).toMatchObject({ path: 'tokenizer.chat_template', line: 1 });
    const buf = fixture('cve-2024-34359.gguf');
    // The offset points at the string value (u64 length, then the template text).
    expect(buf.subarray(f.location!.offset! + 8, f.location!.offset! + 8 + 10).toString()).toBe('{{ self.__');
  });

  test('a named template (tokenizer.chat_template.<name>) is analysed too', async () => {
    const r = await scan(fixture('named-malicious.gguf'), 'x.gguf');
    expect(r.verdict).toBe('unsafe');
    expect(r.findings.every((f) => f.location?.path === 'tokenizer.chat_template.rag')).toBe(true);
    expect(r.details).toMatchObject({ chatTemplates: ['default', 'rag'] });
  });

  test('with a duplicated template key, both values are analysed', async () => {
    const r = await scan(fixture('duplicate-key.gguf'), 'x.gguf');
    expect(ruleIds(r)).toEqual(expect.arrayContaining(['gguf.duplicate-key', 'template.dunder-attribute']));
  });

  test('a template key that appears after the header is cut still reports what was seen', async () => {
    const full = new Gguf().kvString('tokenizer.chat_template', "{{ cycler.__init__.__globals__.os.popen('id') }}").kvString('general.name', 'x').header();
    const cut = full.subarray(0, full.indexOf('general.name') + 5);
    const r = await scan(cut, 'cut.gguf');
    expect(ruleIds(r)).toEqual(expect.arrayContaining(['gguf.truncated', 'template.dunder-attribute']));
    expect(r.verdict).toBe('unsafe');
  });

  test('other string values whose key names a template are analysed', async () => {
    const b = new Gguf().kvString('general.prompt_template', "{{ lipsum.__globals__['os'] }}").header();
    const r = await scan(b, 'x.gguf');
    expect(ruleIds(r)).toContain('template.dunder-attribute');
  });

  test('a template over the text limit is inconclusive, not skipped', async () => {
    const b = new Gguf().kvString('tokenizer.chat_template', '{{ messages }}'.repeat(100)).header();
    const r = await scan(b, 'x.gguf', { limits: { maxTextBytes: 100 } });
    expect(r.verdict).toBe('inconclusive');
    expect(ruleIds(r)).toContain('template.limit');
  });

  test('a long template is analysed in full (a payload at the end is found)', async () => {
    const body = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] }}{% endfor %}\n".repeat(5000);
    const b = new Gguf().kvString('tokenizer.chat_template', body + '{{ joiner.__init__.__globals__ }}').header();
    const r = await scan(b, 'x.gguf');
    expect(r.verdict).toBe('unsafe');
    expect(r.findings.find((f) => f.ruleId === 'template.dunder-attribute')!.location?.line).toBe(5001);
  });

  test('zero-size tensors do not overlap; packed tensors with padding leave no gap', async () => {
    const h = new Gguf().tensor('a', [8n], 0, 0n).tensor('empty', [0n, 4n], 0, 32n).tensor('b', [4n], 0, 32n).header();
    const r = await scan(Buffer.concat([h, Buffer.alloc(48)]), 'x.gguf');
    expect(r.findings).toEqual([]);
  });

  test('a huge token vocabulary is skipped quickly', async () => {
    const n = 200_000;
    const parts: Buffer[] = [Gguf.u32(8), Gguf.u64(BigInt(n))];
    for (let i = 0; i < n; i++) parts.push(Gguf.str(`tok${i}`));
    const b = new Gguf().kvRaw('tokenizer.ggml.tokens', 9, Buffer.concat(parts)).kvString('tokenizer.chat_template', '{{ messages }}').header();
    const t0 = performance.now();
    const r = await scan(b, 'x.gguf');
    expect(r.verdict).toBe('safe');
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe('gguf: detection and reading', () => {
  test('magic decides, not the name', () => {
    expect(ggufHandler.detect(fixture('model.gguf').subarray(0, 4096), 3552, 'model.bin')).toBe(true);
    expect(ggufHandler.detect(Buffer.from('GGML....'), 8, 'x.gguf')).toBe(false);
  });

  test('a 2 GiB file: only the header is read', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gguf-big-'));
    const file = path.join(dir, 'big.gguf');
    try {
      const size = 2 * 1024 ** 3;
      const probe = new Gguf().kvString('general.architecture', 'llama').kvString('tokenizer.chat_template', fs.readFileSync(path.join(FIXTURES, '../../jinja/fixtures/llama3.jinja'), 'utf8')).tensor('w', [1n], 0, 0n).header();
      const dataLen = BigInt(size - probe.length);
      const h = new Gguf().kvString('general.architecture', 'llama').kvString('tokenizer.chat_template', fs.readFileSync(path.join(FIXTURES, '../../jinja/fixtures/llama3.jinja'), 'utf8')).tensor('w', [dataLen / 4n], 0, 0n).header();
      expect(h.length).toBe(probe.length);
      const fd = fs.openSync(file, 'w');
      fs.writeSync(fd, h);
      fs.ftruncateSync(fd, size);
      fs.closeSync(fd);
      const t0 = performance.now();
      const report = await scanPaths(engine, [file]);
      const f = report.files[0]!;
      expect(f.format).toBe('gguf');
      expect(f.findings).toEqual([]);
      expect(f.sha256).toBeNull();
      expect(performance.now() - t0).toBeLessThan(1000);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('gguf: fuzzing', () => {
  test('mutated files never crash the scanner, never hang, always get a verdict', async () => {
    const r = await fuzzGguf(fuzzSeconds(2), fuzzSeed(0x6961));
    expect(r.cases).toBeGreaterThan(100);
    expect(r.formats['gguf'] ?? 0).toBeGreaterThan(r.cases / 3);
    expect(reportFailures('fuzzGguf', r)).toEqual([]);
  });
});
