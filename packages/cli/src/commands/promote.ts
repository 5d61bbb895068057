/**
 * Release rings with approvals: `steward promote`, `steward requests`, `steward request`,
 * `steward review`, `steward withdraw`, `steward decisions`, and ring criteria and freezes
 * (`steward rings criteria|configure|freeze|unfreeze`, `steward freeze|unfreeze ORG/NAME`).
 */
import type { Command } from 'commander';
import { z } from 'zod';
import {
  DecisionSchema,
  ModelFreezeSchema,
  PromotionRequestSchema,
  RingCriteriaSchema,
  RiskTierSchema,
  RoleSchema,
  parseModelRef,
  parseModelVersionRef,
  type PromotionRequest,
} from '@steward/domain';
import { enc } from '../client.js';
import { connect, parseArg } from '../command.js';
import { CliError } from '../errors.js';
import { type Io, printJson, table } from '../output.js';

function printRequest(io: Io, r: PromotionRequest): void {
  io.out(`request ${r.id}: ${r.org}/${r.model}@${r.version} -> ${r.ring}  [${r.status.replace('_', ' ')}]`);
  io.out(`  requested by ${r.requestedBy} at ${r.requestedAt}: ${r.reason}`);
  io.out(`  ring now:    ${r.currentVersion ?? '(empty)'}   pushed by: ${r.pushedBy}`);
  io.out(
    `  policy:      ${r.evaluation ? `${r.evaluation.outcome}${r.evaluation.waived.length ? ` (waived: ${r.evaluation.waived.join(', ')})` : ''}${r.evaluation.blocking.length ? ` (blocking: ${r.evaluation.blocking.join(', ')})` : ''}, policy set ${r.evaluation.policySetDigest}` : 'no policy set'}`,
  );
  io.out(`  approvals:   ${r.approvals.have}/${r.approvals.need}${r.approvals.boardNeed ? `, governance board ${r.approvals.boardHave}/${r.approvals.boardNeed}` : ''}${r.criteria.reviewDeadlineHours ? `; review within ${r.criteria.reviewDeadlineHours} h` : ''}`);
  if (r.escalatedAt) io.out(`  escalated:   at ${r.escalatedAt} to ${r.assignedRole}`);
  for (const v of r.reviews) io.out(`  review:      ${v.reviewer} (${v.role}) ${v.decision.replace('_', ' ')} at ${v.at}: ${v.comment}`);
  if (r.decidedAt) io.out(`  decided:     ${r.status.replace('_', ' ')} by ${r.decidedBy} at ${r.decidedAt}${r.decisionReason ? `: ${r.decisionReason}` : ''}`);
  const d = r.diff as { files?: { added: unknown[]; removed: unknown[]; changed: unknown[] }; license?: unknown; metrics?: { changed: unknown[] } } | null;
  if (d?.files) io.out(`  diff:        ${d.files.added.length} files added, ${d.files.removed.length} removed, ${d.files.changed.length} changed${d.license ? '; license changed' : ''}${d.metrics?.changed.length ? `; ${d.metrics.changed.length} metrics changed` : ''}`);
}

const BoardSpec = z.string().regex(/^[a-z]+=\d+$/);

export function register(program: Command, io: Io): void {
  program
    .command('promote <ref>')
    .description('ask for ORG/NAME@VERSION to enter a ring: judged by policy now, reviewed by people per the ring\'s criteria')
    .requiredOption('--to <ring>', 'the ring to enter')
    .requiredOption('--reason <text>', 'why (shown to reviewers and in the decision record)')
    .option('--json', 'machine-readable output')
    .action(async (refText: string, opts: { to: string; reason: string; json?: boolean }, cmd: Command) => {
      const ref = parseArg(() => parseModelVersionRef(refText, 'promote'));
      if (ref.kind !== 'version') throw new CliError(`promote: give a version (ORG/NAME@1.2.3), not a ring ("${ref.ref}")`, 2);
      const { client } = connect(cmd, io);
      const r = await client.json('POST', `/api/v1/orgs/${enc(ref.org)}/models/${enc(ref.model)}/promotion-requests`, PromotionRequestSchema, { version: ref.ref, ring: opts.to, reason: opts.reason });
      if (opts.json) return printJson(io, r);
      printRequest(io, r);
      if (r.status === 'promoted') io.out(`${r.ring} of ${r.org}/${r.model} now points at ${r.version}`);
      else io.out(`waiting for ${r.approvals.need - r.approvals.have} more approval(s)${r.approvals.boardNeed ? ` (including ${r.approvals.boardNeed} from the governance board)` : ''}: steward review ${r.id} --approve --comment TEXT`);
    });

  program
    .command('requests')
    .description('promotion requests of the org (newest first)')
    .option('--mine', 'only requests you opened')
    .option('--to-review', 'only open requests you may still review')
    .option('--status <status>', 'open, promoted, rejected, changes_requested, withdrawn, stale')
    .option('--model <name>', 'only this model')
    .option('--json', 'machine-readable output')
    .action(async (opts: { mine?: boolean; toReview?: boolean; status?: string; model?: string; json?: boolean }, cmd: Command) => {
      const { client, org } = connect(cmd, io);
      const q = new URLSearchParams({ mine: String(Boolean(opts.mine)), toReview: String(Boolean(opts.toReview)), ...(opts.status ? { status: opts.status } : {}), ...(opts.model ? { model: opts.model } : {}) });
      const r = await client.json('GET', `/api/v1/orgs/${enc(org)}/promotion-requests?${q}`, z.object({ items: z.array(PromotionRequestSchema) }));
      if (opts.json) return printJson(io, r.items);
      const rows = r.items.map((x) => [x.id, `${x.model}@${x.version}`, x.ring, x.status, `${x.approvals.have}/${x.approvals.need}${x.approvals.boardNeed ? ` +board ${x.approvals.boardHave}/${x.approvals.boardNeed}` : ''}`, x.requestedBy, x.requestedAt, x.escalatedAt ? 'escalated' : '']);
      for (const line of table([['ID', 'VERSION', 'RING', 'STATUS', 'APPROVALS', 'BY', 'AT', ''], ...rows])) io.out(line);
    });

  program
    .command('request <id>')
    .description('one promotion request: its policy evaluation, diff, criteria and reviews')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const { client, org } = connect(cmd, io);
      const r = await client.json('GET', `/api/v1/orgs/${enc(org)}/promotion-requests/${enc(id)}`, PromotionRequestSchema);
      if (opts.json) return printJson(io, r);
      printRequest(io, r);
    });

  program
    .command('review <id>')
    .description('decide a promotion request: --approve, --reject or --request-changes, with a comment (not your own request, not your own push)')
    .option('--approve', 'approve')
    .option('--reject', 'reject (closes the request)')
    .option('--request-changes', 'ask for changes (closes the request)')
    .requiredOption('--comment <text>', 'the rationale (recorded with the decision)')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { approve?: boolean; reject?: boolean; requestChanges?: boolean; comment: string; json?: boolean }, cmd: Command) => {
      const chosen = [opts.approve && 'approve', opts.reject && 'reject', opts.requestChanges && 'request_changes'].filter(Boolean) as string[];
      if (chosen.length !== 1) throw new CliError('review: give exactly one of --approve, --reject, --request-changes', 2);
      const { client, org } = connect(cmd, io);
      const r = await client.json('POST', `/api/v1/orgs/${enc(org)}/promotion-requests/${enc(id)}/reviews`, PromotionRequestSchema, { decision: chosen[0], comment: opts.comment });
      if (opts.json) return printJson(io, r);
      printRequest(io, r);
      if (r.status === 'promoted') io.out(`${r.ring} of ${r.org}/${r.model} now points at ${r.version}`);
      if (r.status === 'stale') io.out(`the ring moved since the request was opened; open a new request to review the change as it is now`);
    });

  program
    .command('withdraw <id>')
    .description('withdraw your open promotion request')
    .option('--reason <text>', 'why')
    .action(async (id: string, opts: { reason?: string }, cmd: Command) => {
      const { client, org } = connect(cmd, io);
      const r = await client.json('POST', `/api/v1/orgs/${enc(org)}/promotion-requests/${enc(id)}/withdraw`, PromotionRequestSchema, opts.reason ? { reason: opts.reason } : {});
      io.out(`withdrew request ${r.id} (${r.model}@${r.version} -> ${r.ring})`);
    });

  program
    .command('decisions <model>')
    .description('the release decisions of ORG/NAME in plain language: who decided what, when, why, against which policy results')
    .option('--json', 'machine-readable output')
    .action(async (modelText: string, opts: { json?: boolean }, cmd: Command) => {
      const ref = parseArg(() => parseModelRef(modelText, 'decisions'));
      const { client } = connect(cmd, io);
      const r = await client.json('GET', `/api/v1/orgs/${enc(ref.org)}/models/${enc(ref.model)}/decisions`, z.object({ items: z.array(DecisionSchema) }));
      if (opts.json) return printJson(io, r.items);
      if (r.items.length === 0) io.out(`no release decisions for ${modelText} yet`);
      for (const d of r.items) io.out(`- ${d.text}`);
    });

  for (const [name, frozen] of [['freeze', true], ['unfreeze', false]] as const) {
    program
      .command(`${name} <model>`)
      .description(frozen ? 'freeze ORG/NAME: none of its ring pointers move until unfrozen (admins)' : 'unfreeze ORG/NAME (admins)')
      [frozen ? 'requiredOption' : 'option']('--reason <text>', 'why (recorded)')
      .action(async (modelText: string, opts: { reason?: string }, cmd: Command) => {
        const ref = parseArg(() => parseModelRef(modelText, name));
        const { client } = connect(cmd, io);
        const r = await client.json('POST', `/api/v1/orgs/${enc(ref.org)}/models/${enc(ref.model)}/${name}`, ModelFreezeSchema, opts.reason ? { reason: opts.reason } : {});
        io.out(r.frozen ? `froze ${modelText}: ${r.frozen.reason}` : `unfroze ${modelText}`);
      });
  }

  const rings = program.commands.find((c) => c.name() === 'rings');
  if (!rings) throw new Error('the rings command must be registered before promote');
  rings
    .command('criteria')
    .description("the org's rings in order: approvals, board approvals by risk tier, policy, review deadline, CI-only, freezes")
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { client, org } = connect(cmd, io);
      const r = await client.json('GET', `/api/v1/orgs/${enc(org)}/rings`, z.object({ items: z.array(RingCriteriaSchema) }));
      if (opts.json) return printJson(io, r.items);
      const rows = r.items.map((c) => [
        c.ring,
        String(c.requiredApprovals),
        c.approverRoles.join(','),
        Object.entries(c.boardApprovals).map(([t, n]) => `${t}=${n}`).join(',') || '-',
        c.policyMustPass ? 'must pass' : 'advisory',
        c.reviewDeadlineHours === null ? '-' : `${c.reviewDeadlineHours} h`,
        c.ciOnly ? 'CI only' : '',
        c.frozen ? `FROZEN by ${c.frozen.by}: ${c.frozen.reason}` : '',
      ]);
      for (const line of table([['RING', 'APPROVALS', 'FROM', 'BOARD', 'POLICY', 'DEADLINE', 'REQUESTS', 'FREEZE'], ...rows])) io.out(line);
    });
  rings
    .command('configure <ring>')
    .description("change a ring's entry criteria (admins)")
    .option('--approvals <n>', 'approvals required from distinct reviewers')
    .option('--approver-roles <roles>', `comma-separated org roles whose approvals count (${RoleSchema.options.join(', ')})`)
    .option('--board <tier=n...>', `extra governance-board approvals by risk tier (${RiskTierSchema.options.join(', ')}), e.g. high=1`)
    .option('--policy <mode>', 'must-pass or advisory')
    .option('--deadline-hours <n>', 'escalate open requests older than this to the governance board; "none" for no deadline')
    .option('--ci-only <bool>', 'true: only CI tokens may request promotion to this ring')
    .option('--json', 'machine-readable output')
    .action(async (ring: string, opts: { approvals?: string; approverRoles?: string; board?: string[]; policy?: string; deadlineHours?: string; ciOnly?: string; json?: boolean }, cmd: Command) => {
      const body: Record<string, unknown> = {};
      const int = (v: string, flag: string) => {
        if (!/^\d+$/.test(v)) throw new CliError(`${flag}: "${v}" is not a non-negative integer`, 2);
        return Number(v);
      };
      if (opts.approvals !== undefined) body.requiredApprovals = int(opts.approvals, '--approvals');
      if (opts.approverRoles !== undefined) body.approverRoles = opts.approverRoles.split(',').map((s) => s.trim()).filter(Boolean);
      if (opts.board) {
        body.boardApprovals = Object.fromEntries(
          opts.board.map((b) => {
            if (!BoardSpec.safeParse(b).success) throw new CliError(`--board: "${b}" is not TIER=N (e.g. high=1)`, 2);
            const [t, n] = b.split('=');
            return [t, Number(n)];
          }),
        );
      }
      if (opts.policy !== undefined) {
        if (opts.policy !== 'must-pass' && opts.policy !== 'advisory') throw new CliError(`--policy: "${opts.policy}" is not must-pass or advisory`, 2);
        body.policyMustPass = opts.policy === 'must-pass';
      }
      if (opts.deadlineHours !== undefined) body.reviewDeadlineHours = opts.deadlineHours === 'none' ? null : int(opts.deadlineHours, '--deadline-hours');
      if (opts.ciOnly !== undefined) {
        if (opts.ciOnly !== 'true' && opts.ciOnly !== 'false') throw new CliError(`--ci-only: "${opts.ciOnly}" is not true or false`, 2);
        body.ciOnly = opts.ciOnly === 'true';
      }
      if (Object.keys(body).length === 0) throw new CliError('rings configure: nothing to change (give --approvals, --approver-roles, --board, --policy, --deadline-hours or --ci-only)', 2);
      const { client, org } = connect(cmd, io);
      const r = await client.json('PATCH', `/api/v1/orgs/${enc(org)}/rings/${enc(ring)}/criteria`, RingCriteriaSchema, body);
      if (opts.json) return printJson(io, r);
      io.out(`ring ${r.ring}: ${r.requiredApprovals} approval(s) from ${r.approverRoles.join(', ')}; policy ${r.policyMustPass ? 'must pass' : 'advisory'}${r.ciOnly ? '; CI tokens only' : ''}`);
    });
  for (const [name, frozen] of [['freeze', true], ['unfreeze', false]] as const) {
    rings
      .command(`${name} <ring>`)
      .description(frozen ? 'freeze a ring: no pointer in it moves until unfrozen (admins)' : 'unfreeze a ring (admins)')
      [frozen ? 'requiredOption' : 'option']('--reason <text>', 'why (recorded)')
      .action(async (ring: string, opts: { reason?: string }, cmd: Command) => {
        const { client, org } = connect(cmd, io);
        const r = await client.json('POST', `/api/v1/orgs/${enc(org)}/rings/${enc(ring)}/${name}`, RingCriteriaSchema, opts.reason ? { reason: opts.reason } : {});
        io.out(r.frozen ? `froze ring ${r.ring}: ${r.frozen.reason}` : `unfroze ring ${r.ring}`);
      });
  }
}
