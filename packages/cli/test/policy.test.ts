/** `steward policy lint` and `steward pii`, in-process. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseProgram, runProgram } from '../src/program.js';
import * as policy from '../src/commands/policy.js';
import type { Io } from '../src/output.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const EXAMPLE_POLICY = path.resolve(here, '../../../examples/policies/acme.yaml');
const PII = (f: string) => path.resolve(here, '../../policy/test/fixtures/pii', f);

async function steward(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l), isTTY: false };
  const program = baseProgram(io);
  policy.register(program, io);
  const code = await runProgram(program, ['node', 'steward', ...args], io);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'steward-policy-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const BAD = `policies:
  - name: acme-bad
    rules:
      - id: acme.typo
        severity: error
        message: m
        expression: |
          record.card.present &&
            record.card.licence == "MIT"
      - id: scan.no-unsafe
        severity: error
        message: m
        expression: "true"
`;

describe('steward policy lint', () => {
  it('accepts a valid file (exit 0) and reports the policy set', async () => {
    const r = await steward(['policy', 'lint', EXAMPLE_POLICY]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^1 policy file OK \(\d+ rules with the built-in library; policy set sha256:[0-9a-f]{64}\)$/);
  });

  it('reports errors with file, line and column (exit 1), in text, github and json', async () => {
    const file = path.join(tmp, 'bad.yaml');
    fs.writeFileSync(file, BAD);
    const shown = file.split(path.sep).join('/');
    const r = await steward(['policy', 'lint', file]);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')).toEqual([
      `${shown}:9:25: error: expression does not type-check: No such key: licence (the governance record's fields are listed in docs/governance-record.schema.json) [acme-bad/acme.typo]`,
      `${shown}:10:13: error: duplicate rule id "scan.no-unsafe" (first defined at builtin:scanning.yaml:12) [acme-bad/scan.no-unsafe]`,
    ]);
    expect(r.stderr).toBe(`steward: error: 2 errors in 1 policy file`);

    const g = await steward(['policy', 'lint', file, '--format', 'github']);
    expect(g.stdout.split('\n')[0]).toMatch(new RegExp(`^::error file=${shown.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')},line=9,col=25,title=policy lint \\[acme-bad/acme\\.typo\\]::expression does not type-check`));

    const alone = await steward(['policy', 'lint', file, '--no-builtin', '--format', 'json']);
    expect(alone.code).toBe(1);
    const j = JSON.parse(alone.stdout);
    expect(j.ok).toBe(false);
    expect(j.diagnostics.map((d: { ruleId: string; line: number; column: number }) => [d.ruleId, d.line, d.column])).toEqual([['acme.typo', 9, 25]]);
  });

  it('exits 2 for a missing file or an unknown format', async () => {
    const r = await steward(['policy', 'lint', path.join(tmp, 'missing.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing\.yaml: no such file$/);
    expect((await steward(['policy', 'lint', EXAMPLE_POLICY, '--format', 'sarif'])).code).toBe(2);
  });
});

describe('steward pii', () => {
  it('counts by kind and location without printing values', async () => {
    const r = await steward(['pii', PII('samples.csv'), PII('samples.parquet')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/samples\.csv \(csv, 4 records\): 5 found: email 1, phone 1, ssn 1, creditCard 1, ipv4 1/);
    expect(r.stdout).toMatch(/samples\.parquet \(parquet, 5 records\): 7 found: email 2, phone 1, ssn 1, creditCard 1, iban 1, ipv4 1/);
    expect(r.stdout).toContain('  ssn        line 3, row 2, field notes');
    for (const secret of ['ada@example.com', '123-45-6789', '4111', '5555 5555']) expect(r.stdout).not.toContain(secret);
  });

  it('--json', async () => {
    const r = await steward(['pii', PII('samples.jsonl'), '--json', '--max-locations', '2']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ format: 'jsonl', total: 6, locationsTruncated: true, counts: { email: 2, phone: 1, iban: 1, creditCard: 1, ipv6: 1 } });
    expect(j.locations).toHaveLength(2);
  });

  it('exits 2 for a missing file or a broken Parquet file', async () => {
    expect((await steward(['pii', path.join(tmp, 'none.csv')])).code).toBe(2);
    const broken = path.join(tmp, 'broken.parquet');
    fs.writeFileSync(broken, 'PAR1 not really parquet PAR1');
    const r = await steward(['pii', broken]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/broken\.parquet: not a readable Parquet file/);
  });
});
