import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GovernanceRecordSchema } from '@steward/policy';
import { DB_KINDS } from './helpers/db.js';
import { pushFiles, uploadAndManifest } from './helpers/push.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const POLICY = `# Test policy: the card names a license; production needs a signature; no SSNs in training data.
policies:
  - name: basics
    rules:
      - id: basics.license
        severity: error
        message: "declared license is {{ record.license.declared }}"
        expression: record.license.declared != null
      - id: basics.no-ssn
        severity: error
        message: "training data with SSNs: {{ record.datasets.filter(d, d.pii.ssn > 0).map(d, d.name) }}"
        expression: record.datasets.all(d, d.pii.ssn == 0)
  - name: prod
    appliesTo: { rings: [production] }
    rules:
      - id: prod.signed
        severity: error
        message: "{{ record.model.ref }} is not signed"
        expression: record.signatures.exists(s, s.status == "valid" && s.trusted)
      - id: prod.card-warning
        severity: warning
        message: "card has {{ record.card.warnings }} warnings"
        expression: record.card.warnings == 0
`;

const CARD = `---
license: apache-2.0
---
# tiny

## Intended uses
Testing.
`;

async function userToken(srv: TestServer, name: string, role: string): Promise<string> {
  const u = await srv.api('POST', '/api/v1/orgs/default/users', { body: { name, role } });
  expect(u.status).toBe(201);
  const t = await srv.api('POST', '/api/v1/orgs/default/tokens', { body: { name: `${name}-token`, user: name } });
  expect(t.status).toBe(201);
  return t.json.token;
}

describe.each(DB_KINDS)('server policy sets, evaluations, waivers on %s', (kind) => {
  let srv: TestServer;
  let reviewer: string;
  let viewer: string;
  let contributor: string;

  beforeAll(async () => {
    srv = await startTestServer(kind);
    reviewer = await userToken(srv, 'rita', 'reviewer');
    viewer = await userToken(srv, 'vic', 'viewer');
    contributor = await userToken(srv, 'cora', 'contributor');
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('refuses policy files that do not lint, naming file, rule, line and column, and stores nothing', async () => {
    const bad = POLICY.replace('record.license.declared != null', 'record.license.declard != null');
    const r = await srv.api('POST', '/api/v1/orgs/default/policy-sets', { body: { files: [{ path: 'policies/basics.yaml', text: bad }] } });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('validation_failed');
    expect(r.json.error.message).toMatch(/policies\/basics\.yaml:\d+:\d+ rule basics\.license/);
    expect(r.json.error.details.diagnostics[0]).toMatchObject({ file: 'policies/basics.yaml', ruleId: 'basics.license' });
    const unknownField = await srv.api('POST', '/api/v1/orgs/default/policy-sets', { body: { files: [{ path: 'p.yaml', text: 'policies:\n  - name: x\n    colour: red\n    rules: []\n' }] } });
    expect(unknownField.status).toBe(400);
    expect(unknownField.json.error.message).toMatch(/colour/);
    const badParams = await srv.api('POST', '/api/v1/orgs/default/policy-sets', { body: { files: [{ path: 'policies/basics.yaml', text: POLICY }], params: { basics: { minimum: 1 } } } });
    expect(badParams.status).toBe(400);
    expect(badParams.json.error.message).toMatch(/policy "basics" has no parameter "minimum"/);
    const dup = await srv.api('POST', '/api/v1/orgs/default/policy-sets', { body: { files: [{ path: 'a.yaml', text: POLICY }, { path: 'a.yaml', text: POLICY }] } });
    expect(dup.status).toBe(400);
    expect((await srv.api('GET', '/api/v1/orgs/default/policy-sets')).json.items).toEqual([]);
    // Without a set there is nothing to evaluate against: said plainly.
    await pushFiles(srv, 'early', '1.0.0', [{ path: 'README.md', content: CARD }]);
    const e = await srv.api('POST', '/api/v1/orgs/default/models/early/versions/1.0.0/policy/evaluate', { body: { ring: 'production' } });
    expect(e.status).toBe(409);
    expect(e.json.error.message).toMatch(/no policy set.*steward policy push/);
  });

  it('stores a set by digest, records every push, and only admins may push', async () => {
    const denied = await srv.api('POST', '/api/v1/orgs/default/policy-sets', { token: contributor, body: { files: [{ path: 'policies/basics.yaml', text: POLICY }] } });
    expect(denied.status).toBe(403);
    const r = await srv.api('POST', '/api/v1/orgs/default/policy-sets', { body: { files: [{ path: 'policies/basics.yaml', text: POLICY }], comment: 'first' } });
    expect(r.status).toBe(201);
    expect(r.json.policySet).toMatchObject({ active: true, policies: 2, rules: 4, createdBy: 'admin' });
    expect(r.json.policySet.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const again = await srv.api('POST', '/api/v1/orgs/default/policy-sets', { body: { files: [{ path: 'policies/basics.yaml', text: POLICY }] } });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ created: false, policySet: { digest: r.json.policySet.digest } });
    expect(again.json.policySet.pushes).toHaveLength(2);
    const active = await srv.api('GET', '/api/v1/orgs/default/policy-sets/active', { token: viewer });
    expect(active.json.fileTexts[0]).toMatchObject({ path: 'policies/basics.yaml', text: POLICY });
    const byDigest = await srv.api('GET', `/api/v1/orgs/default/policy-sets/${r.json.policySet.digest.slice('sha256:'.length)}`);
    expect(byDigest.json.digest).toBe(r.json.policySet.digest);
    const audit = await srv.api('GET', '/api/v1/orgs/default/audit-events?action=policy_set.pushed');
    expect(audit.json.items[0].details).toMatchObject({ digest: r.json.policySet.digest, rules: 4 });
  });

  it('evaluates every ring when a pushed version has been scanned, and stores the results with the set digest', async () => {
    const push = await pushFiles(srv, 'tiny', '1.0.0', [{ path: 'README.md', content: CARD }, { path: 'weights.bin', content: Buffer.alloc(64, 1) }]);
    expect(push.status).toBe(201);
    await srv.running.scans.idle();
    const list = await srv.api('GET', '/api/v1/orgs/default/models/tiny/versions/1.0.0/policy/evaluations', { token: viewer });
    expect(list.status).toBe(200);
    const byRing = Object.fromEntries(list.json.items.map((e: any) => [e.ring, e]));
    expect(Object.keys(byRing).sort()).toEqual(['beta', 'production', 'sandbox']);
    expect(byRing.sandbox).toMatchObject({ trigger: 'push', outcome: 'passed', blocking: [], evaluatedBy: 'steward-server' });
    expect(byRing.production).toMatchObject({ outcome: 'failed', blocking: ['prod.signed'] });
    expect(byRing.production.results.find((r: any) => r.ruleId === 'prod.signed').message).toBe('default/tiny@1.0.0 is not signed');
    const set = await srv.api('GET', '/api/v1/orgs/default/policy-sets/active');
    expect(byRing.production.policySetDigest).toBe(set.json.digest);
    const audit = await srv.api('GET', '/api/v1/orgs/default/audit-events?action=policy.evaluated&model=default/tiny');
    expect(audit.json.items).toHaveLength(3);
  });

  it('evaluates on request for a ring; a dry run stores nothing and needs only read access', async () => {
    const dry = await srv.api('POST', '/api/v1/orgs/default/models/tiny/versions/1.0.0/policy/evaluate', { token: viewer, body: { ring: 'production', record: false } });
    expect(dry.status).toBe(200);
    expect(dry.json).toMatchObject({ outcome: 'failed', trigger: 'request', ring: 'production' });
    expect(dry.json.id).toMatch(/^dry-run-/);
    const stored = await srv.api('POST', '/api/v1/orgs/default/models/tiny/versions/1.0.0/policy/evaluate', { token: viewer, body: { ring: 'production' } });
    expect(stored.status).toBe(403);
    const unknownRing = await srv.api('POST', '/api/v1/orgs/default/models/tiny/versions/1.0.0/policy/evaluate', { body: { ring: 'nightly' } });
    expect(unknownRing.status).toBe(404);
    const ok = await srv.api('POST', '/api/v1/orgs/default/models/tiny/versions/1.0.0/policy/evaluate', { token: contributor, body: { ring: 'beta' } });
    expect(ok.json).toMatchObject({ trigger: 'request', ring: 'beta', outcome: 'passed', evaluatedBy: 'cora' });
    const latest = await srv.api('GET', '/api/v1/orgs/default/models/tiny/versions/1.0.0/policy/evaluations?ring=beta');
    expect(latest.json.items).toHaveLength(1);
    expect(latest.json.items[0].id).toBe(ok.json.id);
    const all = await srv.api('GET', '/api/v1/orgs/default/models/tiny/versions/1.0.0/policy/evaluations?ring=beta&latest=false');
    expect(all.json.items).toHaveLength(2);
  });

  it('a waiver from a reviewer who did not push the version turns the failure into waived, until revoked', async () => {
    const self = await srv.api('POST', '/api/v1/orgs/default/models/tiny/versions/1.0.0/waivers', { body: { ruleId: 'prod.signed', reason: 'mine', expires: '2099-01-01' } });
    expect(self.status).toBe(403);
    expect(self.json.error.message).toMatch(/pushed .* may not waive/);
    const byViewer = await srv.api('POST', '/api/v1/orgs/default/models/tiny/versions/1.0.0/waivers', { token: viewer, body: { ruleId: 'prod.signed', reason: 'x', expires: '2099-01-01' } });
    expect(byViewer.status).toBe(403);
    const past = await srv.api('POST', '/api/v1/orgs/default/models/tiny/versions/1.0.0/waivers', { token: reviewer, body: { ruleId: 'prod.signed', reason: 'x', expires: '2020-01-01' } });
    expect(past.status).toBe(400);
    expect(past.json.error.message).toMatch(/in the past/);
    const badDate = await srv.api('POST', '/api/v1/orgs/default/models/tiny/versions/1.0.0/waivers', { token: reviewer, body: { ruleId: 'prod.signed', reason: 'x', expires: 'next week' } });
    expect(badDate.status).toBe(400);
    const soon = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    const w = await srv.api('POST', '/api/v1/orgs/default/models/tiny/versions/1.0.0/waivers', { token: reviewer, body: { ruleId: 'prod.*', reason: 'signing service down; signed copy follows', expires: soon } });
    expect(w.status).toBe(201);
    expect(w.json).toMatchObject({ ruleId: 'prod.*', approver: 'rita', active: true });
    const ev = await srv.api('POST', '/api/v1/orgs/default/models/tiny/versions/1.0.0/policy/evaluate', { body: { ring: 'production', record: false } });
    expect(ev.json.outcome).toBe('passed');
    const signed = ev.json.results.find((r: any) => r.ruleId === 'prod.signed');
    expect(signed).toMatchObject({ status: 'waived', waivedStatus: 'fail', waiver: { approver: 'rita', reason: 'signing service down; signed copy follows' } });
    const revoked = await srv.api('POST', `/api/v1/orgs/default/waivers/${w.json.id}/revoke`, { token: reviewer, body: { reason: 'signed copy is late' } });
    expect(revoked.json).toMatchObject({ active: false, revokedBy: 'rita' });
    const twice = await srv.api('POST', `/api/v1/orgs/default/waivers/${w.json.id}/revoke`, { token: reviewer, body: {} });
    expect(twice.status).toBe(409);
    const after = await srv.api('POST', '/api/v1/orgs/default/models/tiny/versions/1.0.0/policy/evaluate', { body: { ring: 'production', record: false } });
    expect(after.json.blocking).toEqual(['prod.signed']);
    const waivers = await srv.api('GET', '/api/v1/orgs/default/models/tiny/versions/1.0.0/waivers', { token: viewer });
    expect(waivers.json.items).toHaveLength(1);
  });

  it('PII reports attached at dataset registration enter the record, so "no SSNs in training data" can fail', async () => {
    const badKind = await srv.api('POST', '/api/v1/orgs/default/datasets', {
      body: { name: 'typo', version: '1', sourceUri: 'https://example.com/d', license: 'CC-BY-4.0', piiReport: { counts: { ssns: 1 } } },
    });
    expect(badKind.status).toBe(400);
    expect(badKind.json.error.message).toMatch(/"ssns" is not a PII kind/);
    expect((await srv.api('GET', '/api/v1/orgs/default/datasets/typo/versions/1')).status).toBe(404);
    const d = await srv.api('POST', '/api/v1/orgs/default/datasets', {
      body: { name: 'crm', version: '2024-01', sourceUri: 'https://example.com/crm', license: 'CC-BY-4.0', piiReport: { counts: { ssn: 2, email: 5 }, files: [{ path: 'sample.csv', counts: { ssn: 2, email: 5 }, locations: ['row 3 field ssn'] }] } },
    });
    expect(d.status).toBe(201);
    const report = await srv.api('GET', '/api/v1/orgs/default/datasets/crm/versions/2024-01/pii-report', { token: viewer });
    expect(report.json.counts).toMatchObject({ ssn: 2, email: 5, phone: 0 });
    const push = await pushFiles(srv, 'crm-model', '1.0.0', [{ path: 'README.md', content: CARD }], { datasets: [{ name: 'crm', version: '2024-01', relation: 'trained_on' }] });
    expect(push.status).toBe(201);
    await srv.running.scans.idle();
    const rec = await srv.api('GET', '/api/v1/orgs/default/models/crm-model/versions/1.0.0/governance-record?ring=beta');
    expect(rec.status).toBe(200);
    expect(GovernanceRecordSchema.safeParse(rec.json).success).toBe(true);
    expect(rec.json.datasets[0]).toMatchObject({ name: 'crm', registered: true, pii: { ssn: 2, email: 5 } });
    const ev = await srv.api('GET', '/api/v1/orgs/default/models/crm-model/versions/1.0.0/policy/evaluations?ring=sandbox');
    expect(ev.json.items[0].blocking).toEqual(['basics.no-ssn']);
    expect(ev.json.items[0].results.find((r: any) => r.ruleId === 'basics.no-ssn').message).toBe('training data with SSNs: crm');
    // A later, clean report replaces the counts the next evaluation reads.
    const clean = await srv.api('POST', '/api/v1/orgs/default/datasets/crm/versions/2024-01/pii-report', { token: contributor, body: { counts: { ssn: 0 } } });
    expect(clean.status).toBe(201);
    const again = await srv.api('POST', '/api/v1/orgs/default/models/crm-model/versions/1.0.0/policy/evaluate', { body: { ring: 'sandbox', record: false } });
    expect(again.json.outcome).toBe('passed');
  });

  it('records steward check runs from CI and lists them', async () => {
    const body = {
      model: 'tiny',
      outcome: 'failed',
      policySetDigest: `sha256:${'a'.repeat(64)}`,
      counts: { pass: 3, fail: 1, error: 0, waived: 0, skipped: 0 },
      failures: [{ ruleId: 'basics.license', severity: 'error', status: 'fail', message: 'declared license is null' }],
      sourceRepo: 'https://git.example.com/ml/tiny',
      sourceCommit: 'abc123',
      ref: 'refs/pull/7/merge',
    };
    expect((await srv.api('POST', '/api/v1/orgs/default/check-runs', { token: viewer, body })).status).toBe(403);
    const bad = await srv.api('POST', '/api/v1/orgs/default/check-runs', { token: contributor, body: { ...body, outcome: 'meh' } });
    expect(bad.status).toBe(400);
    const r = await srv.api('POST', '/api/v1/orgs/default/check-runs', { token: contributor, body });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ model: 'tiny', outcome: 'failed', reportedBy: 'cora' });
    const list = await srv.api('GET', '/api/v1/orgs/default/check-runs?model=tiny', { token: viewer });
    expect(list.json.items).toHaveLength(1);
    expect(list.json.items[0].failures[0].ruleId).toBe('basics.license');
  });

  it('keeps another org out of all of it', async () => {
    // ollie administers org "other" and is no member of "default".
    const ollie = await userToken(srv, 'ollie', 'viewer');
    const db = srv.running.deps.db;
    const now = new Date().toISOString();
    const user = await db.selectFrom('users').select('id').where('name', '=', 'ollie').executeTakeFirstOrThrow();
    await db.insertInto('orgs').values({ id: 'org-other', name: 'other', created_at: now }).execute();
    await db.deleteFrom('org_members').where('user_id', '=', user.id).execute();
    await db.insertInto('org_members').values({ org_id: 'org-other', user_id: user.id, role: 'admin', created_at: now }).execute();
    const calls = [
      ['GET', '/api/v1/orgs/default/policy-sets', undefined],
      ['GET', '/api/v1/orgs/default/policy-sets/active', undefined],
      ['POST', '/api/v1/orgs/default/policy-sets', { files: [{ path: 'p.yaml', text: POLICY }] }],
      ['GET', '/api/v1/orgs/default/models/tiny/versions/1.0.0/policy/evaluations', undefined],
      ['POST', '/api/v1/orgs/default/models/tiny/versions/1.0.0/policy/evaluate', { ring: 'production', record: false }],
      ['GET', '/api/v1/orgs/default/models/tiny/versions/1.0.0/governance-record', undefined],
      ['POST', '/api/v1/orgs/default/models/tiny/versions/1.0.0/waivers', { ruleId: 'prod.signed', reason: 'x', expires: '2030-01-01' }],
      ['GET', '/api/v1/orgs/default/models/tiny/versions/1.0.0/waivers', undefined],
      ['GET', '/api/v1/orgs/default/check-runs', undefined],
      ['GET', '/api/v1/orgs/default/datasets/crm/versions/2024-01/pii-report', undefined],
    ] as const;
    for (const [method, p, body] of calls) {
      const r = await srv.api(method, p, { token: ollie, ...(body ? { body } : {}) });
      expect([p, r.status]).toEqual([p, 404]);
    }
    // Nor can "other" reach default's waivers by id, or see a policy set there.
    const w = await srv.api('GET', '/api/v1/orgs/default/models/tiny/versions/1.0.0/waivers');
    const revoke = await srv.api('POST', `/api/v1/orgs/other/waivers/${w.json.items[0].id}/revoke`, { token: ollie, body: {} });
    expect(revoke.status).toBe(404);
    expect((await srv.api('GET', '/api/v1/orgs/other/policy-sets', { token: ollie })).json.items).toEqual([]);
  });
});
