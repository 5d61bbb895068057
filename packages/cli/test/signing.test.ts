/**
 * Signing, provenance and exports end to end: the CLI against a real server process, on SQLite
 * and Postgres. What the server signs verifies offline with `steward verify-signature`; what users
 * upload is verified before it is stored; exports validate against the official schemas.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS, createTestDatabase, type TestDatabase } from '../../server/test/helpers/db.js';
import { schemaErrors } from '../../exports/test/cyclonedx-schema.js';
import { checkSpdxDocument } from '../../exports/test/spdx-model.js';
import { ADMIN_TOKEN, type CliResult, type ServerProcess, json, ok, runCli, startServerProcess } from './helpers/processes.js';
import { writeTree } from './helpers/files.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CERTS = path.resolve(here, '../../attest/test/fixtures/certificates');

const CARD = `---
license: mit
pipeline_tag: text-classification
model-index:
  - name: sentiment
    results:
      - task: { type: text-classification }
        dataset: { type: imdb, name: IMDB, split: test }
        metrics:
          - { type: accuracy, value: 0.93 }
---
# Sentiment
## Intended Use
Review triage.
`;

describe.each(DB_KINDS)('signing, provenance and exports from the CLI (%s)', (kind) => {
  let root: string;
  let db: TestDatabase;
  let server: ServerProcess;
  let home: Record<string, string>;
  let model: string;
  let contributorToken: string;

  const cli = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
    runCli(args, { env: { ...home, STEWARD_SERVER: server.url, STEWARD_TOKEN: ADMIN_TOKEN, ...env }, cwd: root });
  const at = (f: string) => path.join(root, f);

  /** A failure with exit `code`, `needle` on stderr, and no stack trace. */
  function failed(r: CliResult, code: number, needle: RegExp): void {
    expect(r.code, r.stdout + r.stderr).toBe(code);
    expect(r.stderr).toMatch(needle);
    expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
  }

  beforeAll(async () => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `steward-signing-${kind}-`)));
    home = { HOME: path.join(root, 'home'), XDG_CONFIG_HOME: path.join(root, 'xdg') };
    const dataDir = path.join(root, 'data');
    fs.mkdirSync(dataDir);
    db = await createTestDatabase(kind, dataDir);
    server = await startServerProcess({ dataDir, databaseUrl: db.url });
    // The directory is named after the model: the subject name verifiers check by default.
    model = writeTree(at('sentiment'), { 'README.md': CARD, 'model.safetensors': 'weights', 'tokenizer.json': '{"v":1}' });
    ok(await cli(['datasets', 'register', 'imdb@1.0', '--source', 'https://huggingface.co/datasets/imdb', '--license', 'other', '--sensitivity', 'public']));
    ok(await cli(['push', model, '--model', 'default/sentiment', '--version', '1.0.0', '--dataset', 'imdb@1.0', '--source-repo', 'https://git.example.com/ml/sentiment', '--source-commit', 'b'.repeat(40)]));
    ok(await cli(['users', 'create', 'carl', '--role', 'contributor']));
    contributorToken = /stw_\S+/.exec(ok(await cli(['tokens', 'create', '--user', 'carl', '--name', 'ci'])).stdout)![0];
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('signs a version with the org key; verify-signature accepts the bundle and refuses a changed model', async () => {
    failed(await cli(['signatures', 'sign', 'default/sentiment@1.0.0']), 1, /org "default" has no signing key: an org admin creates one with `steward signing-key create`/);
    failed(await cli(['signing-key', 'create', '--algorithm', 'rsa']), 2, /--algorithm: "rsa" is not one of ecdsa-p256, ecdsa-p384/);
    failed(await cli(['signing-key', 'create'], { STEWARD_TOKEN: contributorToken }), 1, /role "contributor" in org "default" may not signing manage/);
    expect(ok(await cli(['signing-key', 'create'])).stdout).toMatch(/^created ecdsa-p256 signing key sha256:[0-9a-f]{64} for org default\n$/);
    ok(await cli(['signing-key', 'show', '-o', at('org.pub')]));
    expect(fs.readFileSync(at('org.pub'), 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);

    failed(await cli(['signatures', 'sign', 'default/sentiment@1.0.0'], { STEWARD_TOKEN: contributorToken }), 1, /may not version sign/);
    const signed = ok(await cli(['signatures', 'sign', 'default/sentiment@1.0.0', '-o', at('dl.sig')]));
    expect(signed.stdout).toMatch(/^signed: model signature \S+: key sha256:[0-9a-f]{64} \(org key, trusted\)\n$/);
    const v = ok(await cli(['verify-signature', model, '--public-key', at('org.pub'), '--signature', at('dl.sig')]));
    expect(v.stdout).toMatch(/^verified sentiment: 3 files, sha256:[0-9a-f]{64}\nsigned by key [0-9a-f]{64} \(ECDSA P-256\)\n$/);

    // What `pull` writes verifies too, in a directory named after the model or with --model-name.
    ok(await cli(['pull', 'default/sentiment@1.0.0', at('pulled/sentiment')]));
    ok(await cli(['verify-signature', at('pulled/sentiment'), '--public-key', at('org.pub'), '--signature', at('dl.sig')]));
    ok(await cli(['pull', 'default/sentiment@1.0.0', at('deploy')]));
    failed(await cli(['verify-signature', at('deploy'), '--public-key', at('org.pub'), '--signature', at('dl.sig')]), 1, /other_model.*not "deploy"/);
    ok(await cli(['verify-signature', at('deploy'), '--public-key', at('org.pub'), '--signature', at('dl.sig'), '--model-name', 'sentiment']));

    // A copy with a changed file no longer verifies.
    const changed = at('changed/sentiment');
    fs.cpSync(model, changed, { recursive: true });
    fs.writeFileSync(path.join(changed, 'model.safetensors'), 'tampered');
    failed(await cli(['verify-signature', changed, '--public-key', at('org.pub'), '--signature', at('dl.sig')]), 1, /model_mismatch.*file changed: model\.safetensors/);
  });

  it('accepts an uploaded bundle only for the same files, and says why it refuses one', async () => {
    ok(await cli(['keys', 'create', '--out', at('alice')]));
    const sigDir = at('sigs');
    fs.mkdirSync(sigDir);
    ok(await cli(['sign', model, '--key', at('alice.key'), '--signature', path.join(sigDir, 'model.sig')]));

    failed(await cli(['signatures', 'add', 'default/sentiment@1.0.0', path.join(sigDir, 'model.sig')], { STEWARD_TOKEN: contributorToken }), 1, /a key the org does not know .* give its public key \(steward signatures add --public-key\)/);
    const added = ok(await cli(['signatures', 'add', 'default/sentiment@1.0.0', path.join(sigDir, 'model.sig'), '--public-key', at('alice.pub')], { STEWARD_TOKEN: contributorToken }));
    expect(added.stdout).toMatch(/^added model signature \S+: key sha256:[0-9a-f]{64} \(uploaded, NOT trusted\)\n$/);
    expect(ok(await cli(['signatures', 'add', 'default/sentiment@1.0.0', path.join(sigDir, 'model.sig'), '--public-key', at('alice.pub')])).stdout).toMatch(/^already present:/);

    // A bundle over other files names the first file that differs.
    const other = writeTree(at('other/sentiment'), { 'README.md': CARD, 'model.safetensors': 'other weights', 'tokenizer.json': '{"v":1}' });
    ok(await cli(['sign', other, '--key', at('alice.key'), '--signature', path.join(sigDir, 'other.sig')]));
    failed(await cli(['signatures', 'add', 'default/sentiment@1.0.0', path.join(sigDir, 'other.sig'), '--public-key', at('alice.pub')]), 1, /the bundle does not sign default\/sentiment@1\.0\.0: file "model\.safetensors" differs/);

    fs.writeFileSync(path.join(sigDir, 'junk.sig'), '{"mediaType": 1}');
    failed(await cli(['signatures', 'add', 'default/sentiment@1.0.0', path.join(sigDir, 'junk.sig')]), 1, /bundle mediaType must be a string/);
    failed(await cli(['signatures', 'add', 'default/sentiment@1.0.0', path.join(sigDir, 'missing.sig')]), 2, /cannot read signature bundle/);
    failed(await cli(['signatures', 'add', 'default/sentiment', path.join(sigDir, 'model.sig')]), 2, /expected ORG\/NAME@VERSION/);
    failed(await cli(['signatures', 'add', 'default/sentiment@1.0.0', path.join(sigDir, 'model.sig'), '--public-key', path.join(CERTS, 'ed25519-leaf.key')]), 1, /private key; verification needs the public key/);

    // Certificates: an expired CA on the chain, and a CA the org comes to trust.
    ok(await cli(['sign', model, '--key', path.join(CERTS, 'leaf.key'), '--certificate-chain', path.join(CERTS, 'leaf-under-expired-ca.pem'), '--certificate-chain', path.join(CERTS, 'expired-int-ca.pem'), '--signature', path.join(sigDir, 'expired.sig')]));
    failed(await cli(['signatures', 'add', 'default/sentiment@1.0.0', path.join(sigDir, 'expired.sig'), '--ca', path.join(CERTS, 'root-ca.pem')]), 1, /Expired Intermediate CA had expired/);
    ok(await cli(['sign', model, '--key', path.join(CERTS, 'leaf.key'), '--certificate-chain', path.join(CERTS, 'leaf.pem'), '--signature', path.join(sigDir, 'cert.sig')]));
    failed(await cli(['signatures', 'add', 'default/sentiment@1.0.0', path.join(sigDir, 'cert.sig')]), 1, /the org trusts no CA/);
    failed(await cli(['trusted-signers', 'add', 'corp']), 2, /give exactly one of --public-key and --ca/);
    expect(ok(await cli(['trusted-signers', 'add', 'corp', '--ca', path.join(CERTS, 'root-ca.pem')])).stdout).toMatch(/^trusted CA "corp" \(CN=Steward Test Root CA, valid/);
    expect(ok(await cli(['signatures', 'add', 'default/sentiment@1.0.0', path.join(sigDir, 'cert.sig')])).stdout).toMatch(/certificate CN=model signer \(uploaded, trusted\)/);

    const list = json<{ source: string; trusted: boolean; kind: string; id: string }[]>(await cli(['signatures', 'list', 'default/sentiment@1.0.0', '--json']));
    expect(list.map((s) => [s.source, s.kind, s.trusted])).toEqual([
      ['server', 'key', true],
      ['uploaded', 'key', false],
      ['uploaded', 'certificate', true],
    ]);
    // Trusting alice's key flips her signature; the table says so.
    ok(await cli(['trusted-signers', 'add', 'alice', '--public-key', at('alice.pub')]));
    const table = ok(await cli(['signatures', 'list', 'default/sentiment@1.0.0'])).stdout;
    expect(table.split('\n').filter((l) => / uploaded +yes /.test(l))).toHaveLength(2);
    const ids = json<{ id: string; kind: string }[]>(await cli(['trusted-signers', 'list', '--json']));
    ok(await cli(['trusted-signers', 'remove', ids.find((t) => t.kind === 'key')!.id]));
    failed(await cli(['trusted-signers', 'remove', 'nope']), 1, /trusted signer nope not found/);

    ok(await cli(['signatures', 'download', 'default/sentiment@1.0.0', list[1]!.id, '-o', at('back.sig')]));
    expect(fs.readFileSync(at('back.sig'), 'utf8')).toBe(fs.readFileSync(path.join(sigDir, 'model.sig'), 'utf8'));
  });

  it('signs provenance; verify-signature checks it against the directory', async () => {
    failed(await cli(['provenance', 'default/sentiment@1.0.0', '-o', at('none.sig')]), 1, /has no signed provenance: a maintainer signs it with `steward provenance default\/sentiment@1\.0\.0 --sign`/);
    expect(fs.existsSync(at('none.sig'))).toBe(false);
    failed(await cli(['provenance', 'default/sentiment@1.0.0', '--builder-id', 'https://ci.example.com']), 2, /--builder-id needs --sign/);
    ok(await cli(['provenance', 'default/sentiment@1.0.0', '--sign', '-o', at('signed.sig')]));
    ok(await cli(['provenance', 'default/sentiment@1.0.0', '-o', at('provenance.sig')]));
    expect(fs.readFileSync(at('provenance.sig'), 'utf8')).toBe(fs.readFileSync(at('signed.sig'), 'utf8'));
    const v = ok(await cli(['verify-signature', model, '--public-key', at('org.pub'), '--signature', at('provenance.sig')]));
    expect(v.stdout).toMatch(/^verified provenance of sentiment: 3 files, sha256:[0-9a-f]{64}, 2 resolved dependencies\nsigned by key [0-9a-f]{64} \(ECDSA P-256\)\n$/);
    const j = json<{ verified: boolean; statement: { predicate: { buildDefinition: { resolvedDependencies: { uri: string }[] } } } }>(
      await cli(['verify-signature', model, '--public-key', at('org.pub'), '--signature', at('provenance.sig'), '--json']),
    );
    expect(j.statement.predicate.buildDefinition.resolvedDependencies.map((d) => d.uri)).toEqual([`git+https://git.example.com/ml/sentiment@${'b'.repeat(40)}`, 'https://huggingface.co/datasets/imdb']);
    failed(await cli(['verify-signature', at('changed/sentiment'), '--public-key', at('org.pub'), '--signature', at('provenance.sig')]), 1, /provenance verification failed \(subject_mismatch\)/);
    failed(await cli(['verify-signature', model, '--public-key', at('alice.pub'), '--signature', at('provenance.sig')]), 1, /provenance verification failed \(key_mismatch\)/);
    const statement = ok(await cli(['provenance', 'default/sentiment@1.0.0', '--statement'])).stdout;
    expect(JSON.parse(statement).predicateType).toBe('https://slsa.dev/provenance/v1');
  });

  it('keeps verifying old signatures after the org key is rotated', async () => {
    expect(ok(await cli(['signing-key', 'rotate'])).stdout).toMatch(/^rotated: sha256:[0-9a-f]{64} retired, sha256:[0-9a-f]{64} \(ecdsa-p256\) current\n$/);
    const keys = ok(await cli(['signing-key', 'list'])).stdout;
    expect(keys).toMatch(/current/);
    expect(keys).toMatch(/retired/);
    const list = json<{ source: string; trusted: boolean }[]>(await cli(['signatures', 'list', 'default/sentiment@1.0.0', '--json']));
    expect(list.filter((s) => s.source === 'server').every((s) => s.trusted)).toBe(true);
    ok(await cli(['verify-signature', model, '--public-key', at('org.pub'), '--signature', at('dl.sig')]));
    ok(await cli(['signing-key', 'show', '-o', at('org2.pub')]));
    failed(await cli(['verify-signature', model, '--public-key', at('org2.pub'), '--signature', at('dl.sig')]), 1, /key_mismatch/);
  });

  it('exports every format and the changelog; CycloneDX and SPDX validate', async () => {
    const cdx = ok(await cli(['export', 'default/sentiment@1.0.0', '--format', 'cyclonedx', '-o', at('bom.json')]));
    expect(cdx.stderr).toMatch(/wrote cyclonedx export of default\/sentiment@1\.0\.0 to /);
    const bom = JSON.parse(fs.readFileSync(at('bom.json'), 'utf8'));
    expect(schemaErrors(bom)).toEqual([]);
    expect(JSON.stringify(bom)).toContain('org key, trusted');

    const spdx = ok(await cli(['export', 'default/sentiment@1.0.0', '--format', 'spdx']));
    expect(checkSpdxDocument(JSON.parse(spdx.stdout))).toEqual([]);
    // What the registry could not say comes as warnings on stderr, unless --quiet.
    expect(spdx.stderr).toMatch(/^steward: warning: /m);
    expect(ok(await cli(['export', 'default/sentiment@1.0.0', '--format', 'spdx', '--quiet'])).stderr).toBe('');

    for (const format of ['model-card', 'annex-iv', 'annex-iv-html', 'gpai-form', 'gpai-form-html']) {
      const r = ok(await cli(['export', 'default/sentiment@1.0.0', '--format', format]));
      expect(r.stdout.length, format).toBeGreaterThan(100);
    }
    expect(ok(await cli(['export', 'default/sentiment@1.0.0', '--format', 'annex-iv'])).stdout).toMatch(/^# EU AI Act Annex IV technical documentation: default\/sentiment@1\.0\.0/);

    failed(await cli(['export', 'default/sentiment@1.0.0', '--format', 'pdf']), 2, /--format: "pdf" is not one of cyclonedx, spdx, model-card, annex-iv, annex-iv-html, gpai-form, gpai-form-html/);
    failed(await cli(['export', 'default/sentiment@9.0.0', '--format', 'spdx', '-o', at('missing.json')]), 1, /version sentiment@9\.0\.0 not found/);
    expect(fs.existsSync(at('missing.json'))).toBe(false);
    expect(fs.readdirSync(root).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    failed(await cli(['export', 'default/sentiment@1.0.0', '--format', 'spdx', '-o', at('no/such/dir/x.json')]), 2, /cannot write/);

    ok(await cli(['push', writeTree(at('v2/sentiment'), { 'README.md': CARD, 'model.safetensors': 'weights 2', 'tokenizer.json': '{"v":1}' }), '--model', 'default/sentiment', '--version', '1.1.0']));
    ok(await cli(['changelog', 'default/sentiment', '-o', at('CHANGELOG.md')]));
    const changelog = fs.readFileSync(at('CHANGELOG.md'), 'utf8');
    expect(changelog).toMatch(/^# Changelog: default\/sentiment\n\n## 1\.1\.0 [\s\S]*Changed file `model\.safetensors`[\s\S]*## 1\.0\.0 /);
    failed(await cli(['changelog', 'default/nope']), 1, /model "nope" not found/);
    failed(await cli(['changelog', 'nope']), 2, /expected ORG\/NAME/);

    // Every export was recorded.
    const events = json<{ action: string; details: { format?: string } }[]>(await cli(['audit', 'log', '--action', 'version.exported', '--json']));
    expect(events.map((e) => e.details.format)).toEqual(expect.arrayContaining(['cyclonedx', 'spdx', 'annex-iv']));
    expect(json<unknown[]>(await cli(['audit', 'log', '--action', 'model.changelog_exported', '--json']))).toHaveLength(1);
  });
});
