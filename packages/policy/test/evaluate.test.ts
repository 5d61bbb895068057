import { describe, expect, it } from 'vitest';
import { evaluate, type GovernanceRecord } from '../src/index.js';
import { compile, oneRule, record } from './helpers.js';

const NOW = new Date('2025-06-15T12:00:00Z');

function only(set: ReturnType<typeof compile>, rec: GovernanceRecord, opts: Parameters<typeof evaluate>[2] = {}) {
  const ev = evaluate(set, rec, { now: NOW, ...opts });
  expect(ev.results).toHaveLength(1);
  return { ev, r: ev.results[0]! };
}

describe('evaluate', () => {
  it('passes and fails, rendering the message and the values read only on failure', () => {
    const set = compile(oneRule('licenseAllowed(record.license.declared, params.allowed)', { params: '{ allowed: { type: list<string>, default: [MIT] } }', message: 'License {{ record.license.declared }} is not one of {{ params.allowed }}' }));
    const fail = only(set, record());
    expect(fail.ev.outcome).toBe('failed');
    expect(fail.r).toMatchObject({ status: 'fail', message: 'License apache-2.0 is not one of MIT', reads: [{ source: 'record.license.declared', value: 'apache-2.0' }, { source: 'params.allowed', value: ['MIT'] }] });
    const pass = only(set, record({ license: 'MIT' }));
    expect(pass.ev.outcome).toBe('passed');
    expect(pass.r).toMatchObject({ status: 'pass', message: null, reads: [] });
  });

  it('reports an expression that throws on missing data as an error, never a pass', () => {
    // No declared license at all: licenseAllowed(null, ...) has no overload at run time.
    const set = compile(oneRule('licenseAllowed(record.license.declared, ["MIT"])', { message: 'license {{ record.license.declared }}' }));
    const { ev, r } = only(set, record({ license: null, card: null }));
    expect(r.status).toBe('error');
    expect(r.error).toMatch(/no matching overload.*null/);
    expect(r.message).toBe('license null');
    expect(r.reads).toEqual([{ source: 'record.license.declared', value: null }]);
    expect(ev.outcome).toBe('failed');
    expect(ev.counts).toMatchObject({ error: 1, pass: 0 });
  });

  it('reports an invalid SPDX expression as an error of spdxSatisfies', () => {
    const set = compile(oneRule('spdxSatisfies(record.license.declared, ["MIT"])'));
    expect(only(set, record({ license: 'not a license (' })).r).toMatchObject({ status: 'error', error: expect.stringContaining('not a valid SPDX license expression') });
  });

  it('does not fail the outcome for warning-severity failures and errors', () => {
    const set = compile(oneRule('record.files.size() > 100', { severity: 'warning' }));
    const { ev, r } = only(set, record());
    expect(r.status).toBe('fail');
    expect(ev.outcome).toBe('passed');
  });

  it('applies unexpired waivers by rule id or glob, with reason, approver and expiry; expired ones do not apply', () => {
    const set = compile(oneRule('record.files.size() > 100', { id: 'files.many' }));
    const waiver = { ruleId: 'files.*', reason: 'tiny test model', approver: 'carol', expires: '2025-06-15' };
    const waived = only(set, record(), { waivers: [waiver] });
    expect(waived.r).toMatchObject({ status: 'waived', waivedStatus: 'fail', waiver, message: 'rule failed' });
    expect(waived.ev.outcome).toBe('passed');
    expect(waived.ev.counts.waived).toBe(1);

    // A bare date is valid through the end of that day; the day after it has expired.
    const expired = only(set, record(), { waivers: [waiver], now: new Date('2025-06-16T00:00:01Z') });
    expect(expired.r).toMatchObject({ status: 'fail', waiver: null, expiredWaiver: waiver });
    expect(expired.ev.outcome).toBe('failed');

    // Waivers carried in the record apply too; exact times are exact.
    const inRecord = only(set, record({ waivers: [{ ...waiver, ruleId: 'files.many', expires: '2025-06-15T11:00:00Z' }] }));
    expect(inRecord.r.status).toBe('fail');
    expect(() => evaluate(set, record(), { waivers: [{ ...waiver, expires: 'soon' }] })).toThrow(/waivers\[0\]\.expires/);
  });

  it('waives errors as well as failures', () => {
    const set = compile(oneRule('record.license.declared.startsWith("MIT")', { id: 'l.x' }));
    const { r } = only(set, record({ license: null, card: null }), { waivers: [{ ruleId: 'l.x', reason: 'r', approver: 'a', expires: '2030-01-01' }] });
    expect(r).toMatchObject({ status: 'waived', waivedStatus: 'error' });
  });

  it('skips policies that do not apply to the ring, tier or model, and applies them when ring or tier is unknown', () => {
    const ringOnly = compile(oneRule('false', { appliesTo: '{ rings: [production] }' }));
    expect(only(ringOnly, record()).r).toMatchObject({ status: 'skipped', skipReason: 'policy test applies to rings production, not beta' });
    expect(only(ringOnly, record(), { ring: 'production' }).r.status).toBe('fail');
    expect(only(ringOnly, record({ targetRing: null })).r.status).toBe('fail');

    const tier = compile(oneRule('false', { appliesTo: '{ riskTiers: [high, unacceptable] }' }));
    expect(only(tier, record()).r.status).toBe('skipped');
    expect(only(tier, record({ model: { name: 'tiny', org: 'acme', riskTier: 'high' } })).r.status).toBe('fail');
    expect(only(tier, record({ model: { name: 'tiny', org: 'acme', riskTier: null } })).r.status).toBe('fail');

    const models = compile(oneRule('false', { appliesTo: '{ models: ["other/*", "acme/t*"] }' }));
    expect(only(models, record()).r.status).toBe('fail');
    expect(only(models, record({ model: { name: 'big', org: 'acme' } })).r.status).toBe('skipped');
  });

  it('exposes ring and now to expressions', () => {
    const set = compile(oneRule('ring == "beta" && now > timestamp("2025-01-01T00:00:00Z")'));
    expect(only(set, record()).r.status).toBe('pass');
    expect(only(set, record(), { ring: 'production' }).r.status).toBe('fail');
    expect(only(set, record(), { now: new Date('2024-01-01') }).r.status).toBe('fail');
  });

  it('uses parameter overrides over defaults', () => {
    const text = oneRule('record.files.size() <= params.maxFiles', { params: '{ maxFiles: { type: int, default: 1 } }', message: 'more than {{ params.maxFiles }} files' });
    expect(only(compile(text), record()).r).toMatchObject({ status: 'fail', message: 'more than 1 files' });
    expect(only(compile(text, { params: { test: { maxFiles: 5 } } }), record()).r.status).toBe('pass');
  });

  it('reads integers as CEL ints and doubles as doubles', () => {
    const set = compile(oneRule('record.files.all(f, f.size >= 900) && record.evaluations.exists(e, e.metrics.exists(m, m.value > 0.9)) && countFindings(record, "critical") == 0'));
    expect(only(set, record()).r.status).toBe('pass');
  });

  it('reports helper calls over the record among the values read', () => {
    const set = compile(oneRule('record.findingsAtLeast("high") > 0', { message: '{{ record.findingsAtLeast("high") }} high findings' }));
    const { r } = only(set, record());
    expect(r).toMatchObject({ status: 'fail', message: '0 high findings', reads: [{ source: 'record.findingsAtLeast("high")', value: 0 }] });
  });

  it('renders a template hole that throws in place without changing the result', () => {
    const set = compile(oneRule('false', { message: 'x={{ record.license.declared.size() }}' }));
    const { r } = only(set, record({ license: null, card: null }));
    expect(r.status).toBe('fail');
    expect(r.message).toMatch(/^x=<record\.license\.declared\.size\(\): .*>$/);
  });

  it('validates records that did not come from a builder', () => {
    const set = compile(oneRule('true'));
    const copy = JSON.parse(JSON.stringify(record())) as GovernanceRecord;
    expect(evaluate(set, copy).outcome).toBe('passed');
    (copy.model as { riskTier: unknown }).riskTier = 'extreme';
    expect(() => evaluate(set, copy)).toThrow(/invalid governance record: model\.riskTier/);
  });

  it('records the model, ring, tier, digest and time', () => {
    const set = compile(oneRule('true'));
    const ev = evaluate(set, record(), { now: NOW, subject: { file: 'steward.yaml', line: 3, column: 5 } });
    expect(ev).toMatchObject({ model: 'acme/tiny@1.0.0', ring: 'beta', riskTier: 'limited', evaluatedAt: NOW.toISOString(), subject: { file: 'steward.yaml', line: 3, column: 5 }, policySet: { digest: set.digest } });
  });
});
