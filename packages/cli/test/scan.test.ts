import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../server/test/helpers/db.js';
import { ADMIN_TOKEN, json, runCli, startServerProcess, type ServerProcess } from './helpers/processes.js';
import { writeTree } from './helpers/files.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const FIX = path.resolve(here, '../../scanner/test/pickle/fixtures');
const SARIF_SCHEMA = path.resolve(here, '../../../../shared/vectors/schemas/sarif-schema-2.1.0.json');

/** os.system('id') as a protocol-2 pickle: what a poisoned pytorch_model.bin carries. */
const EVIL = Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.from('cos\nsystem\nX\x02\x00\x00\x00id\x85R.', 'latin1')]);
/** An instance of a class that is not on the allowlist. */
const CUSTOM = Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.from('cacme.models\nNet\n)R.', 'latin1')]);

describe('steward scan (offline)', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steward-scan-cli-'));
    writeTree(path.join(dir, 'evil'), { 'pytorch_model.bin': EVIL, 'config.json': '{"hidden_size": 8}' });
    writeTree(path.join(dir, 'custom'), { 'model.pkl': CUSTOM });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('benign real pickles (torch, numpy, sklearn) scan safe and exit 0', async () => {
    const files = ['torch_state_dict.data.pkl', 'torch_legacy_checkpoint.pt', 'numpy_arrays_p4.pkl', 'sklearn_pipeline.joblib', 'array_f8.npy'].map((f) => path.join(FIX, 'benign', f));
    const r = await runCli(['scan', ...files, '--format', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.verdict).toBe('safe');
    expect(report.files.map((f: any) => f.format)).toEqual(['pickle', 'pytorch-legacy', 'pickle', 'joblib', 'numpy-npy']);
  });

  it('a malicious pickle named .bin is found by content: text output, exit 1', async () => {
    const r = await runCli(['scan', path.join(dir, 'evil')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^UNSAFE +.*evil\/pytorch_model\.bin +\[pickle/m);
    expect(r.stdout).toMatch(/import +unsafe +(os|posix)\.system/);
    expect(r.stdout).toMatch(/^verdict: unsafe \(2 files/m);
  });

  it('JSON lists every import with its verdict; SARIF validates against the OASIS schema', async () => {
    const j = await runCli(['scan', path.join(dir, 'evil', 'pytorch_model.bin'), '--format', 'json']);
    const report = JSON.parse(j.stdout);
    expect(report.files[0].imports.map((i: any) => [i.module, i.name, i.verdict])).toEqual([['os', 'system', 'unsafe']]);
    const s = await runCli(['scan', path.join(dir, 'evil'), '--format', 'sarif']);
    expect(s.code).toBe(1);
    const sarif = JSON.parse(s.stdout);
    const ajv = new Ajv({ strict: false });
    addFormats(ajv);
    expect(ajv.validate(JSON.parse(fs.readFileSync(SARIF_SCHEMA, 'utf8')), sarif)).toBe(true);
    expect(sarif.runs[0].results.some((x: any) => x.level === 'error' && /system/.test(x.message.text))).toBe(true);
  });

  it('an import not on the allowlist fails the default gate, passes --fail-on unsafe, and --allow makes it safe', async () => {
    const p = path.join(dir, 'custom', 'model.pkl');
    expect((await runCli(['scan', p])).code).toBe(1);
    expect((await runCli(['scan', p, '--fail-on', 'unsafe'])).code).toBe(0);
    const allowed = await runCli(['scan', p, '--allow', 'acme.models.Net', '--format', 'json']);
    expect(allowed.code).toBe(0);
    expect(JSON.parse(allowed.stdout).files[0].verdict).toBe('safe');
    // --allow never overrides the denylist.
    expect((await runCli(['scan', path.join(dir, 'evil', 'pytorch_model.bin'), '--allow', 'os.system'])).code).toBe(1);
  });

  it('usage and I/O errors exit 2; a resource limit exits 3', async () => {
    const missing = await runCli(['scan', path.join(dir, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file or directory');
    expect((await runCli(['scan', dir, '--format', 'xml'])).code).toBe(2);
    expect((await runCli(['scan', dir, '--fail-on', 'maybe'])).code).toBe(2);
    expect((await runCli(['scan', dir, '--allow', 'os'])).code).toBe(2);
    const lzma = await runCli(['scan', path.join(FIX, 'benign', 'sklearn_logreg_lzma.joblib')]);
    expect(lzma.code).toBe(3);
    expect(lzma.stdout).toMatch(/^INCONCLUSIVE/m);
  });
});

describe('scanning on the server, seen through the CLI', () => {
  let db: TestDatabase;
  let server: ServerProcess;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steward-scan-e2e-'));
    db = await createTestDatabase('sqlite', dir);
    fs.mkdirSync(path.join(dir, 'data'));
    server = await startServerProcess({ dataDir: path.join(dir, 'data'), databaseUrl: db.url });
    env = { STEWARD_SERVER: server.url, STEWARD_TOKEN: ADMIN_TOKEN, HOME: dir, XDG_CONFIG_HOME: path.join(dir, 'cfg') };
  });
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function waitScanned(ref: string) {
    for (let i = 0; i < 100; i++) {
      const v = json(await runCli(['show', ref, '--json'], { env }));
      if (v.scan?.status === 'done') return v;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${ref} was not scanned`);
  }

  it('push a malicious model: the push succeeds, the background scan marks it unsafe, show lists why', async () => {
    writeTree(path.join(dir, 'evil-model'), { 'pytorch_model.bin': EVIL, 'README.md': '---\nlicense: mit\n---\n# Evil\n' });
    const push = await runCli(['push', path.join(dir, 'evil-model'), '--model', 'default/evil', '--version', '1.0.0'], { env });
    expect(push.code).toBe(0);
    const v = await waitScanned('default/evil@1.0.0');
    expect(v.scan).toMatchObject({ status: 'done', verdict: 'unsafe', trigger: 'push' });
    const show = await runCli(['show', 'default/evil@1.0.0'], { env });
    expect(show.stdout).toMatch(/scan: +UNSAFE at /);
    expect(show.stdout).toMatch(/UNSAFE pytorch_model\.bin: imports (os|posix)\.system/);
    const api = await fetch(`${server.url}/api/v1/orgs/default/models/evil/versions/1.0.0/scan`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const body = (await api.json()) as any;
    expect(body.report.files.find((f: any) => f.path === 'pytorch_model.bin').verdict).toBe('unsafe');
  });

  it('allowlist add + rescan --wait turns an unknown verdict safe', async () => {
    writeTree(path.join(dir, 'custom-model'), { 'model.pkl': CUSTOM });
    expect((await runCli(['push', path.join(dir, 'custom-model'), '--model', 'default/custom', '--version', '1.0.0'], { env })).code).toBe(0);
    expect((await waitScanned('default/custom@1.0.0')).scan.verdict).toBe('unknown');
    const add = await runCli(['allowlist', 'add', 'acme.models.Net', '--reason', 'our architecture class'], { env });
    expect(add.code).toBe(0);
    const list = json(await runCli(['allowlist', 'list', '--json'], { env }));
    expect(list).toMatchObject([{ entry: 'acme.models.Net', reason: 'our architecture class', addedBy: 'admin' }]);
    const rescan = await runCli(['rescan', 'default/custom@1.0.0', '--wait'], { env });
    expect(rescan.code).toBe(0);
    expect(rescan.stdout.trim()).toBe('verdict: safe');
    expect((await runCli(['allowlist', 'add', 'nodot', '--reason', 'x'], { env })).code).toBe(2);
  });
});
