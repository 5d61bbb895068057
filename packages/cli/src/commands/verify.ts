/**
 * `steward verify ORG/NAME@VERSION|@RING DIR`: the deploy gate. Online: the directory must hold
 * exactly the registered version (every file's digest, no file missing, none extra), its scan and
 * policy results must allow the ring, and, when the version carries signatures, one of them must
 * verify over the directory with a key the org trusts. Exit 0 allowed, 1 refused, 2 usage error.
 */
import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { PolicyEvaluationSchema, VersionSchema, parseModelVersionRef, type Version } from '@steward/domain';
import { ApiError, enc } from '../client.js';
import { connect, parseArg } from '../command.js';
import { CliError } from '../errors.js';
import type { Io } from '../output.js';
import { CheckFailed } from './check.js';
import { verifyVersionSignatures } from './verify-signatures-online.js';

const MISMATCHES_SHOWN = 20;

interface VerifyOpts {
  ring?: string;
  json?: boolean;
}

interface Check {
  check: 'files' | 'scan' | 'policy' | 'signature';
  ok: boolean;
  detail: string;
}

/** Differences between the directory and the registered manifest, by path. */
export function compareFiles(registered: Version['manifest']['files'], local: readonly { path: string; sha256: string; size: number }[]): string[] {
  const want = new Map(registered.map((f) => [f.path, f]));
  const have = new Map(local.map((f) => [f.path, f]));
  const problems: string[] = [];
  for (const f of registered) {
    const l = have.get(f.path);
    if (!l) problems.push(`missing: ${f.path}`);
    else if (l.sha256 !== f.sha256) problems.push(`changed: ${f.path} (registered sha256:${f.sha256.slice(0, 16)}…, found sha256:${l.sha256.slice(0, 16)}…)`);
  }
  for (const l of local) if (!want.has(l.path)) problems.push(`extra: ${l.path} (not in the registered version)`);
  return problems;
}

export async function runVerify(refText: string, dir: string, opts: VerifyOpts, cmd: Command, io: Io): Promise<void> {
  const ref = parseArg(() => parseModelVersionRef(refText, 'verify'));
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new CliError(`${dir} is not a directory`, 2);
  const { client } = connect(cmd, io);
  const base = `/api/v1/orgs/${enc(ref.org)}/models/${enc(ref.model)}`;
  const v = await client.json('GET', `${base}/versions/${enc(ref.ref)}`, VersionSchema);
  const vbase = `${base}/versions/${enc(v.version)}`;
  // The ring judged: the one named, else the ring the reference resolved through, else none.
  const ring = opts.ring ?? (ref.kind === 'ring' ? ref.ref : null);
  const checks: Check[] = [];

  const { hashModelDirectory } = await import('@steward/attest');
  const manifest = await hashModelDirectory(dir, { ignorePaths: v.manifest.serialization.ignore_paths, allowSymlinks: v.manifest.serialization.allow_symlinks });
  const problems = compareFiles(v.manifest.files, manifest.files);
  checks.push(
    problems.length === 0 && manifest.rootDigest === v.manifestDigest
      ? { check: 'files', ok: true, detail: `${manifest.files.length} files match ${v.org}/${v.model}@${v.version} (manifest sha256:${v.manifestDigest})` }
      : { check: 'files', ok: false, detail: `${problems.length} difference${problems.length === 1 ? '' : 's'} from ${v.org}/${v.model}@${v.version}:\n${problems.slice(0, MISMATCHES_SHOWN).map((p) => `    ${p}`).join('\n')}${problems.length > MISMATCHES_SHOWN ? `\n    … and ${problems.length - MISMATCHES_SHOWN} more` : ''}` },
  );

  const scan = v.scan;
  if (!scan || scan.status !== 'done') checks.push({ check: 'scan', ok: false, detail: `the scan is ${scan?.status ?? 'missing'}${scan?.error ? ` (${scan.error})` : ''}; wait for it or \`steward rescan\`` });
  else checks.push({ check: 'scan', ok: scan.verdict !== 'unsafe', detail: `verdict ${scan.verdict}` });

  // Policy: judged now, for the ring, without storing (a deploy check is a read).
  try {
    const e = await client.json('POST', `${vbase}/policy/evaluate`, PolicyEvaluationSchema, { ring, record: false });
    const waived = e.counts.waived > 0 ? `, ${e.counts.waived} waived` : '';
    checks.push(
      e.outcome === 'passed'
        ? { check: 'policy', ok: true, detail: `passed for ${ring ?? 'push'} (${e.counts.pass} rules passed${waived}; policy set ${e.policySetDigest})` }
        : { check: 'policy', ok: false, detail: `failed for ${ring ?? 'push'}: ${e.results.filter((r) => e.blocking.includes(r.ruleId)).map((r) => `${r.ruleId}: ${r.message ?? r.error ?? ''}`).join('; ')}` },
    );
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 409)) throw err;
    // No policy set: the scan alone decides, and only a safe verdict passes.
    const ok = scan?.status === 'done' && scan.verdict === 'safe';
    checks.push({ check: 'policy', ok, detail: `org ${ref.org} has no policy set; ${ok ? 'the scan verdict is safe' : `a ${scan?.verdict ?? 'missing'} scan verdict needs a policy that accepts it`}` });
  }

  checks.push(await verifyVersionSignatures(client, vbase, ref.org, manifest, v));

  if (opts.json) io.out(JSON.stringify({ model: `${v.org}/${v.model}`, version: v.version, ring, allowed: checks.every((c) => c.ok), checks }, null, 2));
  else for (const c of checks) io.out(`${c.ok ? 'ok  ' : 'FAIL'} ${c.check}: ${c.detail}`);
  if (!checks.every((c) => c.ok)) {
    if (!opts.json) io.err(`refused: ${dir} is not an allowed deployment of ${v.org}/${v.model}@${v.version}${ring ? ` for ${ring}` : ''}`);
    throw new CheckFailed();
  }
}

export function register(program: Command, io: Io): void {
  program
    .command('verify <ref> <dir>')
    .description('deploy gate: DIR is exactly ORG/NAME@VERSION (or @RING), its scan and policies allow the ring, and a trusted signature verifies (exit 1 when not)')
    .option('--ring <ring>', 'judge for this ring (default: the ring in the reference, else the push-time checks)')
    .option('--json', 'machine-readable output')
    .action(async (refText: string, dir: string, opts: VerifyOpts, cmd: Command) => runVerify(refText, dir, opts, cmd, io));
}
