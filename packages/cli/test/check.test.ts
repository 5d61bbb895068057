/**
 * `steward check` and `steward lock` on the sample repository in examples/: it passes as
 * committed; each realistic change fails with the right rule id and message in every format.
 * Runs the commands in-process (the CLI's own program with just these commands registered).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseProgram, runProgram } from '../src/program.js';
import * as check from '../src/commands/check.js';
import * as lock from '../src/commands/lock.js';
import type { Io } from '../src/output.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const EXAMPLE = path.resolve(here, '../../../examples');
const EVIL_PICKLE = path.resolve(here, '../../scanner/test/pickle/fixtures/malicious/reduce_system_p2.pkl');
const SARIF_SCHEMA = path.resolve(here, '../../../../shared/vectors/schemas/sarif-schema-2.1.0.json');
const FORMATS = ['text', 'json', 'sarif', 'junit', 'github'] as const;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function steward(args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l), isTTY: false };
  const program = baseProgram(io);
  check.register(program, io);
  lock.register(program, io);
  const code = await runProgram(program, ['node', 'steward', ...args], io);
  return { code, stdout: out.join('\n') + '\n', stderr: err.join('\n') };
}

let tmp: string;
let n = 0;
/** A fresh copy of the example repository. */
function copyExample(): string {
  const dir = path.join(tmp, `repo-${n++}`);
  fs.cpSync(EXAMPLE, dir, { recursive: true });
  return dir;
}

function edit(file: string, from: string | RegExp, to: string): void {
  const text = fs.readFileSync(file, 'utf8');
  const next = text.replace(from, to);
  if (next === text) throw new Error(`${file}: ${String(from)} not found`);
  fs.writeFileSync(file, next);
}

const sha256 = async (file: string) => (await import('node:crypto')).createHash('sha256').update(fs.readFileSync(file)).digest('hex');

let validateSarif: (v: unknown) => boolean;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'steward-check-'));
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  validateSarif = ajv.compile(JSON.parse(fs.readFileSync(SARIF_SCHEMA, 'utf8')) as object);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Asserts the failing rule and its message appear in the output of one format. */
function expectFailure(format: (typeof FORMATS)[number], r: Run, ruleId: string, message: RegExp): void {
  expect(r.code, `${format}: exit code\n${r.stdout}\n${r.stderr}`).toBe(1);
  switch (format) {
    case 'text':
      expect(r.stdout).toMatch(new RegExp(`FAIL +error +${ruleId.replace(/\./g, '\\.')}: ${message.source}`, 'm'));
      expect(r.stdout).toContain('policy check failed (1 of 1 model)');
      break;
    case 'json': {
      const j = JSON.parse(r.stdout) as { outcome: string; evaluations: { results: { ruleId: string; status: string; message: string | null }[] }[] };
      expect(j.outcome).toBe('failed');
      const res = j.evaluations[0]!.results.find((x) => x.ruleId === ruleId);
      expect(res?.status).toBe('fail');
      expect(res?.message).toMatch(message);
      break;
    }
    case 'sarif': {
      const s = JSON.parse(r.stdout) as { runs: { results: { ruleId: string; level: string; message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] }[] };
      expect(validateSarif(s)).toBe(true);
      const res = s.runs[0]!.results.find((x) => x.ruleId === ruleId);
      expect(res?.level).toBe('error');
      expect(res?.message.text).toMatch(message);
      expect(res?.locations[0]?.physicalLocation).toEqual({ artifactLocation: { uri: 'steward.yaml' }, region: { startLine: 4, startColumn: 5 } });
      break;
    }
    case 'junit': {
      const unescaped = r.stdout.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
      expect(r.stdout).toMatch(new RegExp(`<testcase [^>]*name="${ruleId.replace(/\./g, '\\.')}"[^/]*>\\s*<failure message="`));
      expect(unescaped).toMatch(new RegExp(`<failure message="\\[${ruleId.replace(/\./g, '\\.')}\\] ${message.source}`));
      break;
    }
    case 'github':
      expect(r.stdout).toMatch(new RegExp(`^::error file=steward\\.yaml,line=4,col=5,title=acme/sentiment@1\\.0\\.0%3A ${ruleId.replace(/\./g, '\\.')}::\\[${ruleId.replace(/\./g, '\\.')}\\] ${message.source}`, 'm'));
      break;
  }
}

describe('steward check on examples/', () => {
  it('passes as committed, in every format', async () => {
    const dir = copyExample();
    for (const format of FORMATS) {
      const r = await steward(['check', '--config', path.join(dir, 'steward.yaml'), '--format', format]);
      expect(r.code, `${format}\n${r.stdout}\n${r.stderr}`).toBe(0);
      if (format === 'text') expect(r.stdout).toMatch(/^acme\/sentiment@1\.0\.0 {2}ring beta {2}tier limited: PASSED {2}\(\d+ passed, 0 failed, 0 errors/);
      if (format === 'json') expect(JSON.parse(r.stdout).outcome).toBe('passed');
      if (format === 'sarif') {
        const s = JSON.parse(r.stdout);
        expect(validateSarif(s)).toBe(true);
        expect(s.runs[0].results).toEqual([]);
      }
      if (format === 'junit') expect(r.stdout).toMatch(/<testsuites name="steward policy" tests="\d+" failures="0" errors="0"/);
      if (format === 'github') expect(r.stdout.trim()).toBe('steward check passed');
    }
  });

  it('steward lock reproduces the committed steward.lock', async () => {
    const dir = copyExample();
    fs.rmSync(path.join(dir, 'steward.lock'));
    const r = await steward(['lock', '--config', path.join(dir, 'steward.yaml')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^locked acme\/sentiment: 3 files, sha256:[0-9a-f]{64}$/m);
    expect(fs.readFileSync(path.join(dir, 'steward.lock'), 'utf8')).toBe(fs.readFileSync(path.join(EXAMPLE, 'steward.lock'), 'utf8'));
  });

  const CHANGES: { name: string; ruleId: string; message: (dir: string) => Promise<RegExp>; apply: (dir: string) => void }[] = [
    {
      name: 'a malicious pickle swapped in as weights',
      ruleId: 'scan.no-unsafe',
      apply: (dir) => fs.copyFileSync(EVIL_PICKLE, path.join(dir, 'models/sentiment/pytorch_model.bin')),
      message: async () => /Unsafe artifacts: pytorch_model\.bin; unsafe imports: pytorch_model\.bin: (os|posix|nt)\.system/,
    },
    {
      name: 'a non-commercial license',
      ruleId: 'license.commercial-use',
      apply: (dir) => edit(path.join(dir, 'steward.yaml'), 'license: Apache-2.0', 'license: CC-BY-NC-4.0'),
      message: async () => /License CC-BY-NC-4\.0 is not on the commercial-use allowlist \(Apache-2\.0, MIT/,
    },
    {
      name: 'an edited weight file',
      ruleId: 'integrity.pinned',
      apply: (dir) => {
        const f = path.join(dir, 'models/sentiment/model.safetensors');
        const buf = fs.readFileSync(f);
        buf.writeFloatLE(0.75, buf.length - 4); // still a valid tensor, different bytes
        fs.writeFileSync(f, buf);
      },
      message: async (dir) => new RegExp(`Files differ from the lock: model\\.safetensors \\(expected c110f4aeb72ef700c1a6354adf54edca22421210bd669ffe83ed7d136baf4f61, got ${await sha256(path.join(dir, 'models/sentiment/model.safetensors'))}\\)`),
    },
    {
      name: "the card's intended use removed",
      ruleId: 'card.intended-use',
      apply: (dir) => edit(path.join(dir, 'models/sentiment/README.md'), /## Intended use\n[\s\S]*?(?=## Limitations)/, ''),
      message: async () => /The card does not state the intended use \(a section such as "## Intended use" with at least 5 words\)/,
    },
  ];

  for (const change of CHANGES) {
    it(`fails on ${change.name}: ${change.ruleId}, in every format`, async () => {
      const dir = copyExample();
      change.apply(dir);
      const message = await change.message(dir);
      for (const format of FORMATS) expectFailure(format, await steward(['check', '--config', path.join(dir, 'steward.yaml'), '--format', format]), change.ruleId, message);
    });
  }

  it('a waiver lets a failing rule through, visibly', async () => {
    const dir = copyExample();
    edit(path.join(dir, 'steward.yaml'), 'license: Apache-2.0', 'license: CC-BY-NC-4.0');
    fs.appendFileSync(path.join(dir, 'steward.yaml'), 'waivers:\n  - { ruleId: "license.*", reason: research preview, approver: dana, expires: "2999-01-01" }\n');
    const r = await steward(['check', '--config', path.join(dir, 'steward.yaml')]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain('WAIVED error   license.commercial-use: License CC-BY-NC-4.0 is not on the commercial-use allowlist');
    expect(r.stdout).toContain('waived by dana until 2999-01-01: research preview');
  });

  it('verifies a signature against the trusted keys: production passes with a trusted key only', async () => {
    const attest = await import('@steward/attest');
    const dir = copyExample();
    const trusted = attest.generateSigningKeyPair();
    const other = attest.generateSigningKeyPair();
    fs.mkdirSync(path.join(dir, 'keys'));
    fs.writeFileSync(path.join(dir, 'keys/release.pub'), trusted.publicKeyPem);
    const sign = async (privateKeyPem: string) => {
      const signed = await attest.signModel({ modelPath: path.join(dir, 'models/sentiment'), privateKeyPem });
      fs.writeFileSync(path.join(dir, 'sentiment.sig'), signed.bundleJson);
    };
    edit(path.join(dir, 'steward.yaml'), '    evaluation: eval/results.json\n', '    evaluation: eval/results.json\n    signature: { bundle: sentiment.sig, trustedKeys: [keys/release.pub] }\n');
    const run = async () => {
      const r = await steward(['check', '--config', path.join(dir, 'steward.yaml'), '--ring', 'production', '--format', 'json']);
      const results = JSON.parse(r.stdout).evaluations[0].results as { ruleId: string; status: string; reads: { source: string; value: unknown }[] }[];
      return { code: r.code, failed: results.filter((x) => x.status === 'fail' || x.status === 'error'), results };
    };

    await sign(trusted.privateKeyPem);
    expect((await run()).code).toBe(0);

    await sign(other.privateKeyPem);
    const untrusted = await run();
    expect(untrusted.code).toBe(1);
    expect(untrusted.failed.map((x) => x.ruleId)).toEqual(['signing.trusted-signature']);
    expect(untrusted.failed[0]!.reads[0]).toEqual({ source: 'record.signatures', value: [{ status: 'unverified', signer: 'sentiment.sig', keyId: null, trusted: false, signedAt: null }] });

    // Files changed after signing (and re-locked): the signature no longer verifies, in every ring.
    await sign(trusted.privateKeyPem);
    edit(path.join(dir, 'models/sentiment/config.json'), '"hidden_size": 4', '"hidden_size": 5');
    expect((await steward(['lock', '--config', path.join(dir, 'steward.yaml')])).code).toBe(0);
    const r = await steward(['check', '--config', path.join(dir, 'steward.yaml'), '--format', 'text']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL +error +signing\.no-invalid: Signatures that do not verify: sentiment\.sig/);
  });

  it('--ring selects the policies: production also requires a trusted signature', async () => {
    const dir = copyExample();
    const r = await steward(['check', '--config', path.join(dir, 'steward.yaml'), '--ring', 'production', '--format', 'json']);
    expect(r.code).toBe(1);
    const failed = (JSON.parse(r.stdout).evaluations[0].results as { ruleId: string; status: string }[]).filter((x) => x.status === 'fail').map((x) => x.ruleId);
    expect(failed).toEqual(['signing.trusted-signature']);
  });
});

describe('steward check: configuration errors exit 2', () => {
  it('without steward.lock', async () => {
    const dir = copyExample();
    fs.rmSync(path.join(dir, 'steward.lock'));
    const r = await steward(['check', '--config', path.join(dir, 'steward.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('steward: error: steward.lock not found: run `steward lock` to pin the models\' files, review and commit it');
  });

  it('with a lock for other files', async () => {
    const dir = copyExample();
    edit(path.join(dir, 'steward.yaml'), 'path: models/sentiment', 'path: models');
    const r = await steward(['check', '--config', path.join(dir, 'steward.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('steward.lock pins model acme/sentiment at models/sentiment, but steward.yaml declares models: run `steward lock`');

    const other = copyExample();
    edit(path.join(other, 'steward.yaml'), 'name: acme/sentiment', 'name: acme/other');
    const r2 = await steward(['check', '--config', path.join(other, 'steward.yaml')]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('steward.lock has no entry for model acme/other: run `steward lock`');
  });

  it('with an invalid steward.yaml, naming line and column', async () => {
    const dir = copyExample();
    edit(path.join(dir, 'steward.yaml'), '    ring: beta\n', '    ring: beta\n    rings: [beta]\n');
    const r = await steward(['check', '--config', path.join(dir, 'steward.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('steward: error: steward.yaml:12:5: models.0: unknown field "rings"');
  });

  it('with a policy that does not lint, or a bad parameter override', async () => {
    const dir = copyExample();
    edit(path.join(dir, 'policies/acme.yaml'), 'record.files.all(f, !globAny', 'record.filez.all(f, !globAny');
    const r = await steward(['check', '--config', path.join(dir, 'steward.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^policies\/acme\.yaml:15:28: error: expression does not type-check: No such key: filez/m);

    const p = copyExample();
    edit(path.join(p, 'steward.yaml'), 'minimum: 0.85', 'minimum: high');
    const r2 = await steward(['check', '--config', path.join(p, 'steward.yaml')]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/^steward\.yaml:\d+:\d+: error: params\.evaluation\.minimum: expected double, got "high"/m);
  });

  it('with no steward.yaml, or an unknown format', async () => {
    const r = await steward(['check', '--config', path.join(tmp, 'nowhere', 'steward.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/steward\.yaml not found/);
    const f = await steward(['check', '--config', path.join(copyExample(), 'steward.yaml'), '--format', 'xml']);
    expect(f.code).toBe(2);
    expect(f.stderr).toContain('--format: "xml" is not one of text, json, sarif, junit, github');
  });
});
