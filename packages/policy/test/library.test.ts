import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ScanReport } from '@steward/scanner';
import { describe, expect, it } from 'vitest';
import { builtinPolicyFiles, evaluate, helperFunctionNames, lintPolicyFiles, type GovernanceRecord } from '../src/index.js';
import { DIGEST, record } from './helpers.js';

const DOC = readFileSync(fileURLToPath(new URL('../../../docs/policy-library.md', import.meta.url)), 'utf8');
const NOW = new Date('2025-06-01T00:00:00Z');

const cleanScan: ScanReport = {
  tool: { name: 'steward-scanner', version: '1.0.0' },
  scannedAt: NOW.toISOString(),
  verdict: 'safe',
  summary: { files: 2, members: 0, safe: 2, unknown: 0, inconclusive: 0, unsafe: 0 },
  extraAllowed: [],
  files: [
    { path: 'README.md', format: 'text', size: 900, sha256: DIGEST('1'), verdict: 'safe', findings: [] },
    { path: 'model.safetensors', format: 'safetensors', size: 4096, sha256: DIGEST('2'), verdict: 'safe', findings: [], details: { parameters: 1024 } },
  ],
};

/** A high-risk model that meets every built-in rule, in production. */
function perfect(): GovernanceRecord {
  return record({
    model: { org: 'acme', name: 'tiny', version: '1.0.0', riskTier: 'high', owners: ['alice'] },
    scan: cleanScan,
    license: 'Apache-2.0',
    datasets: [{ name: 'acme/reviews', version: '2024-01', relation: 'trained_on', source: 's3://acme/reviews', license: 'CC-BY-4.0', approvedBy: 'bob', sensitivity: 'internal', pii: { email: 2 } }],
    signatures: [{ status: 'valid', signer: 'ci@acme', keyId: 'k1', trusted: true, signedAt: NOW.toISOString() }],
    targetRing: 'production',
  });
}

function library() {
  const r = lintPolicyFiles(builtinPolicyFiles());
  expect(r.diagnostics).toEqual([]);
  return r.policySet!;
}

type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function mutate(change: (r: Raw) => void): GovernanceRecord {
  const copy = JSON.parse(JSON.stringify(perfect())) as Raw;
  change(copy);
  return copy as GovernanceRecord;
}

function failing(rec: GovernanceRecord, ring?: string): string[] {
  return evaluate(library(), rec, { now: NOW, ...(ring ? { ring } : {}) })
    .results.filter((r) => r.status === 'fail' || r.status === 'error')
    .map((r) => r.ruleId);
}

/** For each rule: a change to the perfect record that makes it fail (alone, unless other rules are listed after it). */
const BREAKS: [string, (r: Raw) => void, ...string[]][] = [
  ['integrity.locked', (r) => Object.assign(r.integrity, { lockPresent: false })],
  ['integrity.pinned', (r) => Object.assign(r.integrity, { verified: false, mismatches: [{ path: 'model.safetensors', expected: DIGEST('2'), actual: DIGEST('3') }] })],
  ['scan.completed', (r) => (r.scan.status = 'running')],
  ['scan.no-unsafe', (r) => (r.scan.verdict = 'unsafe')],
  ['scan.no-critical-findings', (r) => (r.scan.findings.critical = 1), 'scan.no-high-findings'],
  ['scan.no-unknown', (r) => (r.files[1].verdict = 'inconclusive')],
  ['scan.no-high-findings', (r) => (r.scan.findings.high = 1)],
  ['scan.safe-serialization', (r) => (r.files[1].format = 'pickle')],
  ['license.declared', (r) => Object.assign(r.license, { declared: 'other', declaredValid: false, cardLicense: 'other' }), 'license.commercial-use'],
  ['license.commercial-use', (r) => Object.assign(r.license, { declared: 'CC-BY-NC-4.0', cardLicense: 'cc-by-nc-4.0' })],
  ['license.card-agrees', (r) => (r.license.cardLicense = 'MIT')],
  ['license.files-agree', (r) => (r.license.files = [{ path: 'LICENSE', detected: 'MIT' }])],
  ['card.present', (r) => (r.card.present = false)],
  ['card.intended-use', (r) => (r.card.intendedUse = { present: false, text: null, wordCount: null })],
  ['card.limitations', (r) => (r.card.limitations.wordCount = 2)],
  ['card.training-data', (r) => (r.card.trainingData = { present: false, text: null, wordCount: null })],
  ['card.evaluation', (r) => (r.card.evaluation = { present: false, text: null, wordCount: null })],
  ['card.well-formed', (r) => (r.card.errors = 1)],
  ['datasets.lineage', (r) => (r.datasets[0].approvedBy = null)],
  ['datasets.license-valid', (r) => (r.datasets[0].license = 'see website')],
  ['datasets.declared', (r) => (r.datasets[0].relation = 'evaluated_on')],
  ['datasets.no-ssn-or-card', (r) => (r.datasets[0].pii.creditCard = 1)],
  ['datasets.pii-scanned', (r) => (r.datasets[0].pii.scanned = false)],
  ['evaluation.frozen-benchmark', (r) => (r.evaluations[0].datasetRevision = null), 'evaluation.threshold'],
  ['evaluation.threshold', (r) => (r.evaluations[0].metrics[0].value = 0.5)],
  ['signing.no-invalid', (r) => r.signatures.push({ status: 'invalid', signer: 'mallory', keyId: null, trusted: false, signedAt: null })],
  ['signing.trusted-signature', (r) => (r.signatures[0].trusted = false)],
  ['export.eccn-required', (r) => Object.assign(r, { model: { ...r.model, parameterCount: 20_000_000_000 }, card: { ...r.card, eccn: null } })],
  ['export.parameter-count-known', (r) => (r.model.parameterCount = null)],
  ['base-models.registered', (r) => (r.baseModels = [{ ref: 'hf/base', registered: false, version: null, verdict: null, license: null }])],
  ['base-models.not-unsafe', (r) => (r.baseModels = [{ ref: 'acme/base@1.0.0', registered: true, version: '1.0.0', verdict: 'unsafe', license: null }])],
  ['governance.owners', (r) => (r.model.owners = [])],
  ['governance.not-unacceptable', (r) => (r.model.riskTier = 'unacceptable')],
  ['governance.risk-tier-assessed', (r) => (r.model.riskTier = null)],
  ['governance.semantic-version', (r) => (r.model.version = '1.0')],
  ['governance.approvals', (r) => Object.assign(r, { origin: 'registry', promotion: { ring: 'production', requestedBy: 'alice', approvals: [{ by: 'alice', role: null, at: null }, { by: 'bob', role: 'reviewer', at: null }], blockingAlerts: [] } })],
  ['governance.no-blocking-alerts', (r) => r.promotion.blockingAlerts.push({ rule: 'latency-p99', ring: 'production', environment: 'eu', severity: 'critical', firedAt: null })],
];

describe('built-in policy library', () => {
  it('lints clean and has at least 20 rules', () => {
    expect(library().ruleCount).toBeGreaterThanOrEqual(20);
  });

  it('passes a complete high-risk model in production, with every rule applied', () => {
    const ev = evaluate(library(), perfect(), { now: NOW });
    expect(ev.results.filter((r) => r.status !== 'pass').map((r) => [r.ruleId, r.status, r.message, r.error])).toEqual([]);
    expect(ev.outcome).toBe('passed');
  });

  it.each(BREAKS)('%s fails when its condition is broken', (ruleId, change, ...alsoFailing) => {
    expect(failing(mutate(change)).sort()).toEqual([ruleId, ...alsoFailing].sort());
  });

  it('covers every rule of the library with a breaking change', () => {
    const ids = library().policies.flatMap((p) => p.rules.map((r) => r.id));
    expect(BREAKS.map(([id]) => id).sort()).toEqual([...ids].sort());
  });

  it('layers by ring and tier: the sandbox gets the fast checks, high-risk production the full set', () => {
    const set = library();
    const applied = (rec: GovernanceRecord, ring: string) => evaluate(set, rec, { now: NOW, ring }).results.filter((r) => r.status !== 'skipped').map((r) => r.ruleId);
    const low = mutate((r) => (r.model.riskTier = 'minimal'));
    expect(applied(low, 'sandbox').sort()).toEqual(
      ['governance.not-unacceptable', 'governance.owners', 'integrity.locked', 'integrity.pinned', 'license.declared', 'scan.completed', 'scan.no-critical-findings', 'scan.no-unsafe', 'signing.no-invalid'].sort(),
    );
    expect(applied(perfect(), 'production')).toHaveLength(set.ruleCount);
    expect(applied(low, 'beta').length).toBeGreaterThan(applied(low, 'sandbox').length);
    expect(applied(low, 'beta').length).toBeLessThan(set.ruleCount);
  });

  it('explains failures with the values read', () => {
    const ev = evaluate(library(), mutate((r) => Object.assign(r.integrity, { verified: false, mismatches: [{ path: 'model.safetensors', expected: DIGEST('2'), actual: DIGEST('3') }] })), { now: NOW });
    const r = ev.results.find((x) => x.ruleId === 'integrity.pinned')!;
    expect(r.message).toBe(`Files differ from the lock: model.safetensors (expected ${DIGEST('2')}, got ${DIGEST('3')})`);
    const lic = evaluate(library(), mutate((x) => Object.assign(x.license, { declared: 'CC-BY-NC-4.0', cardLicense: 'CC-BY-NC-4.0' })), { now: NOW }).results.find((x) => x.ruleId === 'license.commercial-use')!;
    expect(lic.message).toMatch(/^License CC-BY-NC-4\.0 is not on the commercial-use allowlist \(Apache-2\.0, MIT, /);
  });

  it('takes parameter overrides', () => {
    const set = lintPolicyFiles(builtinPolicyFiles(), { params: { evaluation: { minimum: 0.95 }, 'commercial-use': { allowed: ['MIT'] } } }).policySet!;
    const ids = evaluate(set, perfect(), { now: NOW }).results.filter((r) => r.status === 'fail').map((r) => r.ruleId);
    expect(ids).toEqual(['evaluation.threshold', 'license.commercial-use']);
  });

  it('is documented rule by rule, with every helper function', () => {
    for (const p of library().policies) {
      expect(DOC, `policy ${p.name}`).toContain(`\`${p.name}\``);
      for (const r of p.rules) expect(DOC, `rule ${r.id}`).toContain(`\`${r.id}\``);
    }
    for (const name of helperFunctionNames()) expect(DOC, `helper ${name}`).toContain(`\`${name}(`);
  });
});
