/**
 * Policy on the server: `steward policy push|sets|show|evaluate|results` and `steward waivers`.
 * The server keeps versioned policy sets and judges versions with the active one; these commands
 * push the repository's files (the same set `steward check` evaluates) and read the results.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import {
  PolicyEvaluationSchema,
  PolicySetSchema,
  PolicyWaiverSchema,
  PushPolicySetResponseSchema,
  parseModelVersionRef,
  type PolicyEvaluation,
} from '@steward/domain';
import { enc } from '../client.js';
import { connect, parseArg } from '../command.js';
import { CliError } from '../errors.js';
import { type Io, printJson, table } from '../output.js';
import { CLI_VERSION } from '../program.js';
import { CheckFailed, loadRepo, shownPath } from './check.js';

type Evaluation = import('@steward/policy').Evaluation;
const FORMATS = ['text', 'json', 'sarif', 'junit', 'github'] as const;

function readPolicyFile(f: string, shown: string): { path: string; text: string } {
  try {
    return { path: shown, text: readFileSync(f, 'utf8') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`${shown}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code ?? String(e)})`}`, 2);
  }
}

/**
 * The files to push: FILES given, else steward.yaml's `policies` (its files, and the built-in library
 * unless it says `builtin: false`), so the server's set digest equals the one `steward check` prints.
 */
async function policyFilesToPush(files: string[], opts: { builtin: boolean; config?: string }): Promise<{ files: { path: string; text: string }[]; params: Record<string, Record<string, unknown>> }> {
  const policy = await import('@steward/policy');
  if (files.length > 0) {
    return { files: [...(opts.builtin ? policy.builtinPolicyFiles() : []), ...files.map((f) => readPolicyFile(f, f.split(path.sep).join('/')))], params: {} };
  }
  const repo = await loadRepo(opts.config);
  const cfg = repo.loaded.config.policies;
  const perModel = repo.loaded.config.models.find((m) => Object.keys(m.params).length > 0);
  if (perModel) {
    throw new CliError(`${repo.loaded.file}: model ${perModel.name} overrides policy parameters; the server holds one policy set per org, so move the values to policies.params (or into the policy files) before pushing`, 2);
  }
  const sources = [...new Set(cfg.files)].map((f) => {
    const abs = path.resolve(repo.root, f);
    return readPolicyFile(abs, path.relative(repo.root, abs).split(path.sep).join('/'));
  });
  return { files: [...(cfg.builtin && opts.builtin ? policy.builtinPolicyFiles() : []), ...sources], params: cfg.params };
}

/** The API's evaluation in the shape the offline renderers print, so online and offline reports read the same. */
export function asEvaluation(e: PolicyEvaluation, riskTier: string | null = null): Evaluation {
  return {
    outcome: e.outcome,
    model: `${e.org}/${e.model}@${e.version}`,
    ring: e.ring,
    riskTier,
    policySet: { digest: e.policySetDigest, files: [] },
    evaluatedAt: e.evaluatedAt,
    counts: e.counts,
    results: e.results.map((r) => ({
      ...r,
      reads: r.reads.map((x) => ({ source: x.source, value: x.value })),
      expression: '',
      location: r.location ?? { file: `policy set ${e.policySetDigest}`, line: 1, column: 1 },
    })),
    subject: null,
  };
}

async function printEvaluations(io: Io, evaluations: PolicyEvaluation[], format: string, verbose: boolean): Promise<void> {
  const policy = await import('@steward/policy');
  const out = policy.renderEvaluations(format as (typeof FORMATS)[number], evaluations.map((e) => asEvaluation(e)), { verbose, toolVersion: CLI_VERSION });
  for (const line of out.replace(/\n$/, '').split('\n')) io.out(line);
}

function checkFormat(format: string): void {
  if (!(FORMATS as readonly string[]).includes(format)) throw new CliError(`--format: "${format}" is not one of ${FORMATS.join(', ')}`, 2);
}

function versionBase(refText: string, where: string): { base: string; org: string } {
  const r = parseArg(() => parseModelVersionRef(refText, where));
  return { base: `/api/v1/orgs/${enc(r.org)}/models/${enc(r.model)}/versions/${enc(r.ref)}`, org: r.org };
}

export function registerServerPolicyCommands(cmd: Command, io: Io): void {
  cmd
    .command('push [files...]')
    .description("make policy files the org's active policy set on the server (default: steward.yaml's policies, with the built-in library)")
    .option('--no-builtin', 'push the files alone, without the built-in library')
    .option('--config <file>', 'read the policy files from this steward.yaml (when no FILES are given)')
    .option('--comment <text>', 'why this set (recorded with the push)')
    .option('--json', 'machine-readable output')
    .action(async (files: string[], opts: { builtin: boolean; config?: string; comment?: string; json?: boolean }, c: Command) => {
      const { files: sources, params } = await policyFilesToPush(files, opts);
      // Lint locally first: the same errors the server would give, with positions, before any network.
      const policy = await import('@steward/policy');
      const { diagnostics, policySet } = policy.lintPolicyFiles(sources, { params });
      if (!policySet) {
        for (const line of policy.renderLintText(diagnostics).trimEnd().split('\n').filter(Boolean)) io.err(line);
        throw new CliError(`the policy files do not lint (${diagnostics.filter((d) => d.severity === 'error').length} errors above); nothing was pushed`, 1);
      }
      const { client, org } = connect(c, io);
      const r = await client.json('POST', `/api/v1/orgs/${enc(org)}/policy-sets`, PushPolicySetResponseSchema, { files: sources, params, ...(opts.comment ? { comment: opts.comment } : {}) });
      if (opts.json) return printJson(io, r);
      io.out(`${r.created ? 'pushed' : 're-activated'} policy set ${r.policySet.digest} in org ${org}: ${r.policySet.policies} policies, ${r.policySet.rules} rules from ${r.policySet.files.length} files`);
    });
  cmd
    .command('sets')
    .description("the org's policy sets on the server, newest first (* marks the active one)")
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, c: Command) => {
      const { client, org } = connect(c, io);
      const r = await client.json('GET', `/api/v1/orgs/${enc(org)}/policy-sets`, z.object({ items: z.array(PolicySetSchema) }));
      if (opts.json) return printJson(io, r.items);
      const rows = r.items.map((s) => [s.active ? '*' : '', s.digest, String(s.rules), s.pushes[0]?.pushedBy ?? s.createdBy, s.pushes[0]?.pushedAt ?? s.createdAt, s.pushes[0]?.comment ?? '']);
      for (const line of table([['', 'DIGEST', 'RULES', 'LAST PUSHED BY', 'AT', 'COMMENT'], ...rows])) io.out(line);
    });
  cmd
    .command('show [digest]')
    .description('one policy set (default: the active one): its files, or with --extract DIR, write them out')
    .option('--extract <dir>', 'write the set\'s files under DIR (to reproduce an evaluation offline)')
    .option('--json', 'machine-readable output')
    .action(async (digest: string | undefined, opts: { extract?: string; json?: boolean }, c: Command) => {
      const { client, org } = connect(c, io);
      const schema = PolicySetSchema.extend({ fileTexts: z.array(z.object({ path: z.string(), sha256: z.string(), text: z.string() })) });
      const s = await client.json('GET', `/api/v1/orgs/${enc(org)}/policy-sets/${digest ? enc(digest) : 'active'}`, schema);
      if (opts.extract) {
        const { mkdirSync, writeFileSync } = await import('node:fs');
        const root = path.resolve(opts.extract);
        for (const f of s.fileTexts) {
          const dest = path.resolve(root, f.path.replace(/^builtin:/, 'builtin/'));
          if (!dest.startsWith(root + path.sep)) throw new CliError(`policy set file "${f.path}" would be written outside ${opts.extract}; refusing`, 1);
          mkdirSync(path.dirname(dest), { recursive: true });
          writeFileSync(dest, f.text);
        }
        io.err(`wrote ${s.fileTexts.length} files under ${shownPath(root)}`);
      }
      const { fileTexts: _texts, ...rest } = s;
      if (opts.json) return printJson(io, rest);
      io.out(`policy set ${s.digest}${s.active ? ' (active)' : ''}: ${s.policies} policies, ${s.rules} rules`);
      for (const f of s.files) io.out(`  ${f.sha256.slice(0, 12)}  ${f.path}`);
      for (const p of s.pushes) io.out(`  pushed by ${p.pushedBy} at ${p.pushedAt}${p.comment ? `: ${p.comment}` : ''}`);
    });
  cmd
    .command('evaluate <ref>')
    .description('evaluate ORG/NAME@VERSION on the server against the active policy set, now (exit 1 when it fails)')
    .option('--ring <ring>', 'judge for entering this ring (default: the push-time checks)')
    .option('--dry-run', 'do not store the evaluation (needs only read access)')
    .option('--format <format>', `output: ${FORMATS.join(', ')}`, 'text')
    .option('--verbose', 'text format: also list passed and skipped rules')
    .action(async (refText: string, opts: { ring?: string; dryRun?: boolean; format: string; verbose?: boolean }, c: Command) => {
      checkFormat(opts.format);
      const { base } = versionBase(refText, 'policy evaluate');
      const { client } = connect(c, io);
      const e = await client.json('POST', `${base}/policy/evaluate`, PolicyEvaluationSchema, { ring: opts.ring ?? null, record: !opts.dryRun });
      await printEvaluations(io, [e], opts.format, Boolean(opts.verbose));
      if (e.outcome === 'failed') throw new CheckFailed();
    });
  cmd
    .command('results <ref>')
    .description('stored policy evaluations of ORG/NAME@VERSION (newest per ring; at push, on request, at promotion)')
    .option('--ring <ring>', 'only this ring')
    .option('--all', 'every stored evaluation, not only the newest per ring')
    .option('--format <format>', `output: ${FORMATS.join(', ')}`, 'text')
    .option('--verbose', 'text format: also list passed and skipped rules')
    .action(async (refText: string, opts: { ring?: string; all?: boolean; format: string; verbose?: boolean }, c: Command) => {
      checkFormat(opts.format);
      const { base } = versionBase(refText, 'policy results');
      const { client } = connect(c, io);
      const q = new URLSearchParams({ latest: opts.all ? 'false' : 'true', ...(opts.ring ? { ring: opts.ring } : {}) });
      const r = await client.json('GET', `${base}/policy/evaluations?${q}`, z.object({ items: z.array(PolicyEvaluationSchema) }));
      if (r.items.length === 0) {
        io.err(`no stored evaluations of ${refText}${opts.ring ? ` for ring ${opts.ring}` : ''} (the org may have no policy set, or the scan is still running)`);
        return;
      }
      if (opts.format === 'text') {
        for (const e of r.items) io.out(`${e.ring ?? '(no ring)'}: ${e.outcome} (${e.trigger} by ${e.evaluatedBy} at ${e.evaluatedAt}; policy set ${e.policySetDigest})`);
      }
      await printEvaluations(io, r.items, opts.format, Boolean(opts.verbose));
    });
}

export function registerWaiverCommands(program: Command, io: Io): void {
  const w = program.command('waivers').description('exceptions to policy rules for one version, with reason, approver and expiry');
  w.command('add <ref>')
    .description('waive a rule (or a glob such as "card.*") for ORG/NAME@VERSION (reviewers, admins; not the version\'s pusher)')
    .requiredOption('--rule <id>', 'rule id or glob')
    .requiredOption('--reason <text>', 'why the exception is acceptable (shown in every report it affects)')
    .requiredOption('--expires <date>', 'YYYY-MM-DD (valid through that day, UTC) or an ISO-8601 time; at most a year away')
    .option('--json', 'machine-readable output')
    .action(async (refText: string, opts: { rule: string; reason: string; expires: string; json?: boolean }, c: Command) => {
      const { base } = versionBase(refText, 'waivers add');
      const { client } = connect(c, io);
      const r = await client.json('POST', `${base}/waivers`, PolicyWaiverSchema, { ruleId: opts.rule, reason: opts.reason, expires: opts.expires });
      if (opts.json) return printJson(io, r);
      io.out(`waiver ${r.id}: ${r.ruleId} on ${r.model}@${r.version}, approved by ${r.approver}, expires ${r.expires}`);
    });
  w.command('list <ref>')
    .description('waivers of ORG/NAME@VERSION, including revoked and expired ones')
    .option('--json', 'machine-readable output')
    .action(async (refText: string, opts: { json?: boolean }, c: Command) => {
      const { base } = versionBase(refText, 'waivers list');
      const { client } = connect(c, io);
      const r = await client.json('GET', `${base}/waivers`, z.object({ items: z.array(PolicyWaiverSchema) }));
      if (opts.json) return printJson(io, r.items);
      const rows = r.items.map((x) => [x.id, x.ruleId, x.active ? 'active' : x.revokedAt ? `revoked by ${x.revokedBy}` : 'expired', x.approver, x.expires, x.reason]);
      for (const line of table([['ID', 'RULE', 'STATE', 'APPROVER', 'EXPIRES', 'REASON'], ...rows])) io.out(line);
    });
  w.command('revoke <id>')
    .description('end a waiver before it expires')
    .option('--reason <text>', 'why (recorded)')
    .action(async (id: string, opts: { reason?: string }, c: Command) => {
      const { client, org } = connect(c, io);
      const r = await client.json('POST', `/api/v1/orgs/${enc(org)}/waivers/${enc(id)}/revoke`, PolicyWaiverSchema, opts.reason ? { reason: opts.reason } : {});
      io.out(`revoked waiver ${r.id} (${r.ruleId} on ${r.model}@${r.version})`);
    });
}
