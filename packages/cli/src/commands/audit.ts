import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { AuditEventSchema, InclusionProofSchema, LedgerKeysSchema, pageOf } from '@steward/domain';
import { z } from 'zod';
import { enc } from '../client.js';
import { connect } from '../command.js';
import { CliError } from '../errors.js';
import { type Io, printJson, table } from '../output.js';
import { type LedgerTarget, pinnedVerifiers, verifyExport, verifyInclusionOf, verifyLedger } from '../ledger-witness.js';

const LOGS = ['org', 'system'] as const;

function logOption(v: string | undefined): 'org' | 'system' {
  if (v === undefined) return 'org';
  if (!(LOGS as readonly string[]).includes(v)) throw new CliError(`--log must be "org" or "system", not "${v}"`, 2);
  return v as 'org' | 'system';
}

function target(cmd: Command, io: Io, log: string | undefined): LedgerTarget {
  const { client, org } = connect(cmd, io);
  return { client, server: client.opts.server, org, log: logOption(log) };
}

function isoTime(v: string | undefined, flag: string): string | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new CliError(`${flag}: "${v}" is not a date or time (e.g. 2026-11-01 or 2026-11-01T12:00:00Z)`, 2);
  return new Date(t).toISOString();
}

export function register(program: Command, io: Io): void {
  const audit = program.command('audit').description('the tamper-evident audit ledger: search, prove, verify, export');

  audit
    .command('log')
    .description('search the org\'s audit events, newest first (auditors, admins); the search itself is recorded')
    .option('--actor <user>', 'only events by this user')
    .option('--action <action>', 'only this action (or a prefix ending in *, e.g. "version.*")')
    .option('--model <model>', 'only events about this model (ORG/NAME or NAME)')
    .option('--since <time>', 'only events at or after this time')
    .option('--limit <n>', 'at most this many events', '100')
    .option('--json', 'machine-readable output')
    .action(async (opts: { actor?: string; action?: string; model?: string; since?: string; limit: string; json?: boolean }, cmd: Command) => {
      const { client, org } = connect(cmd, io);
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new CliError(`--limit must be a positive integer, not "${opts.limit}"`, 2);
      const since = isoTime(opts.since, '--since');
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries({ actor: opts.actor, action: opts.action, model: opts.model, since })) if (v !== undefined) params.set(k, v);
      const events: z.infer<typeof AuditEventSchema>[] = [];
      let cursor: string | null = null;
      do {
        const q = new URLSearchParams(params);
        q.set('limit', String(Math.min(500, limit - events.length)));
        if (cursor) q.set('cursor', cursor);
        const page: { items: z.infer<typeof AuditEventSchema>[]; nextCursor: string | null } = await client.json('GET', `/api/v1/orgs/${enc(org)}/audit-events?${q}`, pageOf(AuditEventSchema));
        events.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor && events.length < limit);
      if (opts.json) return printJson(io, events);
      const rows = events.map((e) => [String(e.seq), e.index === null ? '-' : String(e.index), e.at, e.actor ?? '-', e.action, e.model ?? `${e.targetType}${e.targetId ? `:${e.targetId}` : ''}`]);
      for (const line of table([['ID', 'INDEX', 'AT', 'ACTOR', 'ACTION', 'TARGET'], ...rows])) io.out(line);
    });

  audit
    .command('proof <eventId>')
    .description('print an event\'s inclusion proof and verify it against a signed checkpoint')
    .option('--size <n>', 'prove against the checkpoint of this size (default: the latest)')
    .option('--public-key <vkey>', 'ledger verifier key to trust (default: the key this client pinned)')
    .option('--json', 'machine-readable output')
    .action(async (eventId: string, opts: { size?: string; publicKey?: string; json?: boolean }, cmd: Command) => {
      const seq = Number(eventId);
      if (!Number.isInteger(seq) || seq < 1) throw new CliError(`event id must be a positive integer (the ID column of \`steward audit log\`), not "${eventId}"`, 2);
      const t = target(cmd, io, 'org');
      const proof = await t.client.json('GET', `/api/v1/orgs/${enc(t.org)}/audit-events/${seq}/proof${opts.size ? `?size=${enc(opts.size)}` : ''}`, InclusionProofSchema);
      const checked = await verifyInclusionOf(t, seq, proof, { publicKey: opts.publicKey });
      if (opts.json) return printJson(io, { ...proof, verified: true });
      io.out(`event ${seq}: leaf ${proof.index} of ${checked.origin} (size ${checked.size})`);
      io.out(`entry:     ${proof.entry}`);
      io.out(`leaf hash: ${proof.leafHash}`);
      proof.proof.forEach((h, i) => io.out(`proof[${i}]:  ${h}`));
      io.out('checkpoint:');
      for (const line of proof.checkpoint.trimEnd().split('\n')) io.out(`  ${line}`);
      io.out('verified: the entry is in the signed log');
    });

  audit
    .command('verify')
    .description('verify the ledger: signed checkpoint (pinned key), consistency with what this client saw last, and the server\'s rows; --full recomputes the whole tree')
    .option('--full', 'download every entry and recompute the root')
    .option('--offline <file>', 'verify a `steward audit export` file against its checkpoint, without the server')
    .option('--public-key <vkey>', 'ledger verifier key to trust (from `steward audit keys`, obtained independently)')
    .option('--log <log>', '"org" (default) or "system" (operator org only)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { full?: boolean; offline?: string; publicKey?: string; log?: string; json?: boolean }, cmd: Command) => {
      if (opts.offline) {
        const text = fs.readFileSync(opts.offline, 'utf8');
        const r = verifyExport(text, pinnedVerifiers(opts.publicKey));
        if (opts.json) return printJson(io, { ok: true, ...r });
        io.out(`ok: ${r.events} event(s) in ${opts.offline} are in ${r.origin} at size ${r.size}, signed by a trusted key`);
        return;
      }
      const t = target(cmd, io, opts.log);
      const r = await verifyLedger(t, { publicKey: opts.publicKey, full: Boolean(opts.full), log: (l) => io.err(l) });
      if (opts.json) return printJson(io, { ok: true, ...r });
      io.out(`ok: ${r.origin} at size ${r.size}, root ${r.rootHash}`);
      io.out(r.previousSize === null ? '  first verification from this client: checkpoint pinned for next time' : `  consistent with size ${r.previousSize} seen earlier by this client`);
      if (opts.full) io.out(`  recomputed the root from all ${r.entriesChecked} entries`);
      else io.out('  the server\'s event rows match its signed tree');
    });

  audit
    .command('export')
    .description('write events (with inclusion proofs and their checkpoint) as JSON Lines to stdout or a file; the export is recorded')
    .option('--since <time>', 'only events at or after this time')
    .option('--log <log>', '"org" (default) or "system"')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .action(async (opts: { since?: string; log?: string; output?: string }, cmd: Command) => {
      const t = target(cmd, io, opts.log);
      const q = new URLSearchParams({ log: t.log });
      const since = isoTime(opts.since, '--since');
      if (since) q.set('since', since);
      const { stream } = await t.client.download(`/api/v1/orgs/${enc(t.org)}/audit-export?${q}`);
      if (opts.output) {
        const tmp = `${opts.output}.${process.pid}.tmp`;
        await pipeline(stream, fs.createWriteStream(tmp));
        fs.renameSync(tmp, opts.output);
      } else {
        for await (const chunk of stream) io.out(String(chunk).replace(/\n$/, ''));
      }
    });

  audit
    .command('keys')
    .description('list the ledger\'s checkpoint keys (publish the current one to auditors); --rotate replaces it (operator admins)')
    .option('--rotate', 'make a new signing key, endorsed by the current one')
    .option('--json', 'machine-readable output')
    .action(async (opts: { rotate?: boolean; json?: boolean }, cmd: Command) => {
      const { client, org } = connect(cmd, io);
      if (opts.rotate) await client.json('POST', `/api/v1/orgs/${enc(org)}/ledger/keys/rotate`, z.unknown(), {});
      const keys = await client.json('GET', `/api/v1/orgs/${enc(org)}/ledger/keys`, LedgerKeysSchema);
      if (opts.json) return printJson(io, keys);
      for (const line of table([['KEY', 'CREATED', 'STATUS'], ...keys.keys.map((k) => [k.verifierKey, k.createdAt, k.retiredAt ? `retired ${k.retiredAt}` : 'current'])])) io.out(line);
    });
}
