/**
 * `steward check`: the offline CI gate. For each model in steward.yaml: compare its files with
 * steward.lock, scan them, read its card, datasets and evaluation results, build the governance
 * record and evaluate the repository's policies plus the built-in library. Exit 0 pass, 1 policy
 * failure, 2 configuration or usage error. Documented in docs/ci.md.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { StewardError } from '@steward/domain/core';
import { CliError } from '../errors.js';
import type { Io } from '../output.js';
import { CLI_VERSION } from '../program.js';

type Policy = typeof import('@steward/policy');
type LoadedConfig = import('@steward/policy').LoadedConfig;
type ModelDecl = import('@steward/policy').ModelDecl;
type CompiledPolicySet = import('@steward/policy').CompiledPolicySet;
type OutputFormat = import('@steward/policy').OutputFormat;
type ScanReport = import('@steward/scanner').ScanReport;
type Manifest = import('@steward/attest').Manifest;

const FORMATS = ['text', 'json', 'sarif', 'junit', 'github'] as const;

/** A path as shown in reports: relative to the working directory when inside it, POSIX separators. */
export function shownPath(abs: string): string {
  const rel = path.relative(process.cwd(), abs);
  const shown = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : path.basename(abs);
  return shown.split(path.sep).join('/');
}

function readText(abs: string, what: string): string {
  try {
    return readFileSync(abs, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`${what} ${shownPath(abs)} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(e)})`}`, 2);
  }
}

/** StewardError (validation) -> usage/configuration error (exit 2) with its message. */
function asConfigError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof StewardError) throw new CliError(e.message, 2);
    throw e;
  }
}

export interface Repo {
  policy: Policy;
  loaded: LoadedConfig;
  /** Absolute path of steward.yaml and its directory. */
  configPath: string;
  root: string;
}

/** Reads steward.yaml (`--config`, default ./steward.yaml). */
export async function loadRepo(configOpt: string | undefined): Promise<Repo> {
  const config = await loadRepoConfig(configOpt);
  return { ...config, policy: await import('@steward/policy') };
}

/** steward.yaml parsed with the light part of @steward/policy only (see runCheck). */
async function loadRepoConfig(configOpt: string | undefined): Promise<Omit<Repo, 'policy'> & { files: typeof import('@steward/policy/repo') }> {
  const configPath = path.resolve(configOpt ?? 'steward.yaml');
  if (!existsSync(configPath)) throw new CliError(`${shownPath(configPath)} not found${configOpt ? '' : ' in the current directory (or give --config FILE)'}`, 2);
  const files = await import('@steward/policy/repo');
  const text = readText(configPath, 'configuration file');
  const loaded = asConfigError(() => files.parseStewardConfig(text, shownPath(configPath)));
  return { files, loaded, configPath, root: path.dirname(configPath) };
}

export function modelDir(repo: Pick<Repo, 'loaded' | 'root'>, m: ModelDecl, index: number): string {
  const dir = path.resolve(repo.root, m.path);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    const at = repo.loaded.locate(['models', index, 'path']);
    throw new CliError(`${repo.loaded.file}:${at.line}:${at.column}: model ${m.name}: ${m.path} is not a directory`, 2);
  }
  return dir;
}

interface Gathered {
  decl: ModelDecl;
  index: number;
  dir: string;
  manifest: Manifest;
  report: ScanReport;
  mismatches: { path: string; expected: string | null; actual: string | null }[];
}

function posixRel(root: string, abs: string): string {
  return path.relative(root, abs).split(path.sep).join('/');
}

/** Lints the policy files a model uses (built-in library, repository files, the model's own) with its parameter overrides. */
function policySetFor(repo: Repo, m: ModelDecl, index: number, cache: Map<string, CompiledPolicySet>, io: Io): CompiledPolicySet {
  const { policy, loaded, root } = repo;
  const cfg = loaded.config.policies;
  const files = [...new Set([...cfg.files, ...m.policies])];
  const params: Record<string, Record<string, unknown>> = structuredClone(cfg.params);
  for (const [p, values] of Object.entries(m.params)) params[p] = { ...(params[p] ?? {}), ...values };
  const key = JSON.stringify([cfg.builtin, files, params]);
  const hit = cache.get(key);
  if (hit) return hit;
  const sources = [
    ...(cfg.builtin ? policy.builtinPolicyFiles() : []),
    ...files.map((f) => {
      const abs = path.resolve(root, f);
      return { path: posixRel(root, abs), text: readText(abs, 'policy file') };
    }),
  ];
  const { diagnostics, policySet } = policy.lintPolicyFiles(sources, {
    params,
    paramsFile: loaded.file,
    locateParam: (p, param) => loaded.locateParam(index, p, param),
  });
  for (const line of policy.renderLintText(diagnostics).trimEnd().split('\n').filter(Boolean)) io.err(line);
  if (!policySet) throw new CliError(`the policies do not lint (${diagnostics.filter((d) => d.severity === 'error').length} errors above); fix them or run \`steward policy lint\``, 2);
  cache.set(key, policySet);
  return policySet;
}

async function scanModel(dir: string, manifest: Manifest): Promise<ScanReport> {
  const scanner = await import('@steward/scanner');
  const sources: { source: import('@steward/scanner').FileSource; path: string; sha256: string }[] = [];
  try {
    for (const f of manifest.files) sources.push({ source: await scanner.FileSource.open(path.join(dir, ...f.path.split('/'))), path: f.path, sha256: f.sha256 });
    return await scanner.scanSources(scanner.defaultEngine(), sources);
  } finally {
    await Promise.all(sources.map((s) => s.source.close()));
  }
}

function readEvaluations(repo: Repo, m: ModelDecl): import('@steward/policy').EvaluationInfo[] {
  if (!m.evaluation) return [];
  const abs = path.resolve(repo.root, m.evaluation);
  const text = readText(abs, 'evaluation results file');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CliError(`${shownPath(abs)}: not valid JSON (${(e as Error).message})`, 2);
  }
  const r = repo.policy.EvaluationResultsFileSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new CliError(`${shownPath(abs)}: ${i.path.join('.') || '(document)'}: ${i.code === 'unrecognized_keys' ? `unknown field "${i.keys[0]}"` : i.message}`, 2);
  }
  return repo.policy.evaluationsFromResultsFile(r.data);
}

/** PII counts per dataset from its sample files (null when it declares none). */
async function datasetPii(repo: Repo, samples: readonly string[]): Promise<Record<string, number> | null> {
  if (samples.length === 0) return null;
  const counts: Record<string, number> = {};
  for (const s of samples) {
    const abs = path.resolve(repo.root, s);
    if (!existsSync(abs)) throw new CliError(`dataset sample ${shownPath(abs)} does not exist`, 2);
    const r = await repo.policy.scanPii(abs);
    for (const [k, n] of Object.entries(r.counts)) counts[k] = (counts[k] ?? 0) + n;
  }
  return counts;
}

type SignatureInfo = import('@steward/policy').SignatureInfo;

/**
 * The model's signature (`signature:` in steward.yaml) checked against each trusted key: valid
 * and trusted when one key verifies it over the current files; invalid when the files differ from
 * what was signed or the bundle is malformed; unverified when no trusted key signed it.
 */
async function readSignatures(repo: Repo, m: ModelDecl, dir: string): Promise<SignatureInfo[]> {
  if (!m.signature) return [];
  const attest = await import('@steward/attest');
  const bundlePath = path.resolve(repo.root, m.signature.bundle);
  const bundle = readText(bundlePath, 'signature bundle');
  const unverified: SignatureInfo = { status: 'unverified', signer: null, keyId: null, trusted: false, signedAt: null };
  for (const keyFile of m.signature.trustedKeys) {
    const keyPath = path.resolve(repo.root, keyFile);
    const publicKeyPem = readText(keyPath, 'trusted key');
    try {
      const v = await attest.verifyModelSignature({ modelPath: dir, bundle, trust: { publicKeyPem }, signaturePath: bundlePath, modelName: null });
      const keyId = v.signer.method === 'key' ? v.signer.publicKeyHint : v.signer.fingerprint256;
      return [{ status: 'valid', signer: v.signer.method === 'key' ? keyFile : v.signer.subject, keyId, trusted: true, signedAt: null }];
    } catch (e) {
      if (!(e instanceof attest.SignatureError)) throw e;
      if (e.reason === 'wrong_key_type' || e.reason === 'unsupported_curve') throw new CliError(`trusted key ${shownPath(keyPath)}: ${e.message}`, 2);
      if (e.reason === 'model_mismatch' || e.reason === 'other_model' || e.reason === 'malformed_bundle' || e.reason === 'unsupported_bundle') {
        return [{ ...unverified, status: 'invalid', signer: shownPath(bundlePath) }];
      }
      // signature_invalid, key_mismatch: not this key; try the next.
    }
  }
  return [{ ...unverified, signer: shownPath(bundlePath) }];
}

function readCard(dir: string, m: ModelDecl, manifest: Manifest) {
  const rel = m.card.split(path.sep).join('/');
  const file = manifest.files.find((f) => f.path === rel);
  if (!file) return null;
  return { rel, sha256: file.sha256, text: readFileSync(path.join(dir, ...rel.split('/')), 'utf8') };
}

const LICENSE_TEXT_LIMIT = 1024 * 1024;

export interface CheckOptions {
  config?: string;
  format: string;
  ring?: string;
  verbose?: boolean;
  /** Record each model's result on the server (`--report`). */
  report?: boolean;
  repo?: string;
  commit?: string;
  ref?: string;
}

/**
 * Records every model's result on the server (`steward check --report`), so failures caught before
 * merge can be counted against those caught at promotion. A model named `org/name` is reported to
 * its org; a bare name to the CLI's org.
 */
async function reportRuns(cmd: Command, io: Io, opts: CheckOptions, decls: readonly ModelDecl[], evaluations: readonly import('@steward/policy').Evaluation[], policy: Policy): Promise<void> {
  const { connect } = await import('../command.js');
  const { enc } = await import('../client.js');
  const { CheckRunSchema } = await import('@steward/domain');
  const { client, org: defaultOrg } = connect(cmd, io);
  for (const [i, ev] of evaluations.entries()) {
    const m = decls[i]!;
    const { org, name } = policy.splitModelName(m.name);
    const failures = ev.results
      .filter((r) => r.status === 'fail' || r.status === 'error')
      .map((r) => ({ ruleId: r.ruleId, severity: r.severity, status: r.status, message: r.message === null ? null : r.message.slice(0, 4000) }));
    const run = await client.json('POST', `/api/v1/orgs/${enc(org ?? defaultOrg)}/check-runs`, CheckRunSchema, {
      model: name,
      version: m.version ?? null,
      outcome: ev.outcome,
      policySetDigest: ev.policySet.digest,
      counts: ev.counts,
      failures,
      sourceRepo: opts.repo ?? null,
      sourceCommit: opts.commit ?? null,
      ref: opts.ref ?? null,
    });
    io.err(`reported ${m.name}: ${run.outcome} (check run ${run.id} in org ${run.org})`);
  }
}

export async function runCheck(opts: CheckOptions, io: Io, cmd?: Command): Promise<void> {
  if (!(FORMATS as readonly string[]).includes(opts.format)) throw new CliError(`--format: "${opts.format}" is not one of ${FORMATS.join(', ')}`, 2);
  const config = await loadRepoConfig(opts.config);
  const { loaded, root } = config;
  const lockPath = path.join(root, 'steward.lock');
  if (!existsSync(lockPath)) throw new CliError(`${shownPath(lockPath)} not found: run \`steward lock\` to pin the models' files, review and commit it`, 2);
  const lock = asConfigError(() => config.files.parseLock(readText(lockPath, 'lock file'), shownPath(lockPath)));

  // The configuration and the lock first, so a broken setup fails before any hashing.
  const plans = loaded.config.models.map((m, index) => {
    const locked = lock.models[m.name];
    if (!locked) throw new CliError(`${shownPath(lockPath)} has no entry for model ${m.name}: run \`steward lock\``, 2);
    if (locked.path !== m.path) throw new CliError(`${shownPath(lockPath)} pins model ${m.name} at ${locked.path}, but ${loaded.file} declares ${m.path}: run \`steward lock\``, 2);
    return { m, index, locked, dir: modelDir(config, m, index) };
  });
  const unknown = Object.keys(lock.models).filter((n) => !loaded.config.models.some((m) => m.name === n));
  if (unknown.length) throw new CliError(`${shownPath(lockPath)} pins models ${loaded.file} does not declare (${unknown.join(', ')}): run \`steward lock\``, 2);

  // Hashing (worker threads) starts now; linting the policies and loading the scanner and card
  // parser happen on this thread meanwhile. A policy that does not lint stops the hashing.
  const { hashModelDirectory } = await import('@steward/attest');
  const stop = new AbortController();
  let workersBusy!: () => void;
  const hashingStarted = new Promise<void>((resolve) => (workersBusy = resolve));
  const hashing = (async () => {
    const manifests: Manifest[] = [];
    // The first progress report comes once the files are listed and handed to the workers.
    for (const p of plans) manifests.push(await hashModelDirectory(p.dir, { signal: stop.signal, onProgress: () => workersBusy() }));
    return manifests;
  })();
  const sets = new Map<string, CompiledPolicySet>();
  let policySets: CompiledPolicySet[];
  let modelcard: typeof import('@steward/modelcard');
  let repo: Repo;
  try {
    // Loading the policy engine and linting hold this thread; let the workers get their files first (or the hashing fail).
    await Promise.race([hashingStarted, hashing.then(() => undefined)]);
    repo = { policy: await import('@steward/policy'), loaded, configPath: config.configPath, root };
    policySets = plans.map((p) => policySetFor(repo, p.m, p.index, sets, io));
    [modelcard] = await Promise.all([import('@steward/modelcard'), import('@steward/scanner')]);
  } catch (e) {
    stop.abort(e);
    await hashing.catch(() => undefined);
    throw e;
  }
  const { policy } = repo;
  const manifests = await hashing;
  const gathered: Gathered[] = [];
  for (const [i, p] of plans.entries()) {
    const manifest = manifests[i]!;
    const report = await scanModel(p.dir, manifest);
    gathered.push({ decl: p.m, index: p.index, dir: p.dir, manifest, report, mismatches: policy.compareWithLock(p.locked, manifest.files) });
  }

  const { parseModelCard } = modelcard;
  const evaluations = [];
  for (const [i, g] of gathered.entries()) {
    const m = g.decl;
    const card = readCard(g.dir, m, g.manifest);
    const parsedCard = card ? { path: card.rel, sha256: card.sha256, parsed: parseModelCard(card.text) } : null;
    const licenseTexts = g.manifest.files
      .filter((f) => policy.LICENSE_FILE.test(f.path) && f.size <= LICENSE_TEXT_LIMIT)
      .map((f) => ({ path: f.path, text: readFileSync(path.join(g.dir, ...f.path.split('/')), 'utf8') }));
    // A base model is registered offline when it is another model of this repository.
    const baseModels = (parsedCard?.parsed.metadata.baseModels ?? []).map((ref) => {
      const other = gathered.find((o) => o !== g && (ref === o.decl.name || ref.startsWith(`${o.decl.name}@`)));
      return { ref, registered: other !== undefined, version: other?.decl.version ?? null, verdict: other?.report.verdict ?? null, license: other?.decl.license ?? null };
    });
    const datasets: import('@steward/policy').LocalDatasetInput[] = [];
    for (const d of m.datasets) {
      datasets.push({ name: d.name, version: d.version ?? null, relation: d.relation, source: d.source ?? null, license: d.license ?? null, approvedBy: d.approvedBy ?? null, sensitivity: d.sensitivity ?? null, digest: d.digest ?? null, pii: await datasetPii(repo, d.samples) });
    }
    const signatures = await readSignatures(repo, m, g.dir);
    const { org, name } = policy.splitModelName(m.name);
    const record = asConfigError(() =>
      policy.recordFromLocal({
        model: { org, name, version: m.version ?? null, description: m.description ?? null, owners: m.owners, riskTier: m.riskTier ?? null, useCaseCategory: m.useCaseCategory ?? null },
        manifest: { files: g.manifest.files, rootDigest: g.manifest.rootDigest },
        card: parsedCard,
        scan: g.report,
        license: m.license ?? null,
        licenseTexts,
        datasets,
        baseModels,
        evaluations: readEvaluations(repo, m),
        signatures,
        integrity: { lockPresent: true, mismatches: g.mismatches },
        targetRing: m.ring ?? null,
        waivers: [...loaded.config.waivers, ...m.waivers],
      }),
    );
    const at = loaded.locate(['models', g.index]);
    evaluations.push(policy.evaluate(policySets[i]!, record, { ...(opts.ring ? { ring: opts.ring } : {}), subject: { file: loaded.file, ...at } }));
  }

  const out = policy.renderEvaluations(opts.format as OutputFormat, evaluations, { verbose: Boolean(opts.verbose), toolVersion: CLI_VERSION });
  for (const line of out.replace(/\n$/, '').split('\n')) io.out(line);
  if (opts.report && cmd) await reportRuns(cmd, io, opts, gathered.map((g) => g.decl), evaluations, policy);
  if (policy.overallOutcome(evaluations) === 'failed') throw new CheckFailed();
}

/** A failed check: exit 1, the report already says why. */
export class CheckFailed extends CliError {
  constructor() {
    super('', 1);
    this.name = 'CheckFailed';
  }
}

export function register(program: Command, io: Io): void {
  program
    .command('check')
    .description('offline CI gate: verify files against steward.lock, scan, and evaluate policies for every model in steward.yaml')
    .option('--config <file>', 'the repository configuration (default ./steward.yaml)')
    .option('--format <format>', `output: ${FORMATS.join(', ')}`, 'text')
    .option('--ring <ring>', "evaluate for this target ring (default: each model's ring in steward.yaml)")
    .option('--verbose', 'text format: also list passed and skipped rules')
    .option('--report', 'record each model\'s result on the server (needs a login or STEWARD_TOKEN)')
    .option('--repo <url>', 'with --report: the repository checked')
    .option('--commit <sha>', 'with --report: the commit checked')
    .option('--ref <ref>', 'with --report: the branch or pull request ref checked')
    .action(async (opts: CheckOptions, cmd: Command) => runCheck(opts, io, cmd));
}
