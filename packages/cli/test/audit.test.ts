/**
 * The audit ledger end to end: the CLI against a server process, on SQLite and Postgres. The
 * tamper tests change the database behind the server's back, as a database administrator could,
 * and expect `steward audit verify` (and `--full`) to name what failed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAllToFrontier, canonicalJson, frontierFromNodes, frontierNodeIds, generateNoteKey, leafHash, nodeKey } from '@steward/ledger';
import { DB_KINDS, createTestDatabase, sqlFromOutside, type TestDatabase } from '../../server/test/helpers/db.js';
import { ADMIN_TOKEN, type CliResult, type ServerProcess, json, ok, runCli, startServerProcess } from './helpers/processes.js';

describe.each(DB_KINDS)('audit ledger (%s)', (kind) => {
  let root: string;
  let db: TestDatabase;
  let server: ServerProcess;
  let home: Record<string, string>;
  let orgId: string;

  const cli = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
    runCli(args, { env: { ...home, STEWARD_SERVER: server.url, STEWARD_TOKEN: ADMIN_TOKEN, ...env }, cwd: root });

  /** Runs SQL on the server's database from outside, like a DBA. */
  const sql = <T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> => sqlFromOutside<T>(db, text, params);

  const entryAt = async (index: number) => (await sql<{ seq: number; entry: string }>('SELECT seq, entry FROM audit_events WHERE log_id = $1 AND leaf_index = $2', [orgId, index]))[0]!;

  function failed(r: CliResult, reason: RegExp, index: number | null): void {
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(reason);
    if (index !== null) expect(r.stderr).toContain(`at index ${index}`);
  }

  beforeAll(async () => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `steward-audit-${kind}-`)));
    home = { HOME: path.join(root, 'home'), XDG_CONFIG_HOME: path.join(root, 'xdg') };
    const dataDir = path.join(root, 'data');
    fs.mkdirSync(dataDir);
    db = await createTestDatabase(kind, dataDir);
    server = await startServerProcess({ dataDir, databaseUrl: db.url, env: { STEWARD_CHECKPOINT_INTERVAL_MS: '50' } });
    orgId = (await sql<{ id: string }>("SELECT id FROM orgs WHERE name = 'default'"))[0]!.id;
    for (const name of ['alice', 'bob', 'carol', 'dave', 'erin']) ok(await cli(['users', 'create', name, '--role', 'viewer']));
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('records mutations and audit reads, searchable by actor, action and model', async () => {
    const events = json<{ action: string; actor: string; index: number; client: string | null; tokenId: string | null }[]>(await cli(['audit', 'log', '--action', 'user.added', '--json']));
    expect(events.map((e) => e.action)).toEqual(Array(5).fill('user.added'));
    expect(events.every((e) => e.actor === 'admin' && e.client === '127.0.0.1' && e.tokenId)).toBe(true);
    // The search just made was itself recorded.
    const reads = json<{ action: string; details: { filters: Record<string, string> } }[]>(await cli(['audit', 'log', '--action', 'audit.*', '--json']));
    expect(reads.some((e) => e.action === 'audit.searched' && e.details.filters.action === 'user.added')).toBe(true);
    expect(json<unknown[]>(await cli(['audit', 'log', '--actor', 'nobody', '--json']))).toEqual([]);
    const bad = await cli(['audit', 'log', '--since', 'yesterday-ish']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--since: "yesterday-ish" is not a date/);
  });

  it('proves an event\'s inclusion, and verifies the log with and without --full', async () => {
    const first = json<{ seq: number }[]>(await cli(['audit', 'log', '--action', 'user.added', '--json'])).at(-1)!;
    const proof = ok(await cli(['audit', 'proof', String(first.seq)]));
    expect(proof.stdout).toMatch(/verified: the entry is in the signed log/);
    const v1 = ok(await cli(['audit', 'verify']));
    expect(v1.stdout).toMatch(/^ok: steward\.local\/default at size \d+/);
    expect(v1.stderr).toMatch(/pinned ledger key steward\.local\+[0-9a-f]{8}\+/);
    const v2 = ok(await cli(['audit', 'verify', '--full']));
    expect(v2.stdout).toMatch(/consistent with size \d+ seen earlier/);
    expect(v2.stdout).toMatch(/recomputed the root from all \d+ entries/);
    // A key nobody endorsed is not trusted.
    const stranger = generateNoteKey('steward.local').verifierKey;
    failed(await cli(['audit', 'verify', '--public-key', stranger]), /does not verify with the pinned ledger key/, null);
  });

  it('exports events with proofs that verify offline, and names a changed line', async () => {
    const file = path.join(root, 'export.jsonl');
    ok(await cli(['audit', 'export', '-o', file]));
    const r = ok(await cli(['audit', 'verify', '--offline', file]));
    expect(r.stdout).toMatch(/^ok: \d+ event\(s\) in .* are in steward\.local\/default/);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines[2] = lines[2]!.replace('user.added', 'user.removed');
    expect(lines[2]).toContain('user.removed');
    fs.writeFileSync(file, lines.join('\n'));
    failed(await cli(['audit', 'verify', '--offline', file]), /event at line 3 is not in the signed log/, 1);
  });

  it('follows a key rotation endorsed by the pinned key', async () => {
    const keys = ok(await cli(['audit', 'keys', '--rotate']));
    expect(keys.stdout).toMatch(/current/);
    expect(keys.stdout).toMatch(/retired/);
    const r = ok(await cli(['audit', 'verify']));
    expect(r.stdout).toMatch(/^ok:/);
  });

  describe('tampering behind the server', () => {
    it('an edited event', async () => {
      ok(await cli(['audit', 'verify']));
      const { seq, entry } = await entryAt(3);
      await sql('UPDATE audit_events SET entry = $1 WHERE seq = $2', [entry.replace('"viewer"', '"admin"'), seq]);
      failed(await cli(['audit', 'verify']), /was edited/, 3);
      failed(await cli(['audit', 'verify', '--full']), /entry 3 is not the entry that was signed/, 3);
      await sql('UPDATE audit_events SET entry = $1 WHERE seq = $2', [entry, seq]);
      ok(await cli(['audit', 'verify', '--full']));
    });

    it('a deleted event', async () => {
      const row = (await sql<Record<string, unknown>>('SELECT * FROM audit_events WHERE log_id = $1 AND leaf_index = 2', [orgId]))[0]!;
      await sql('DELETE FROM audit_events WHERE seq = $1', [row.seq]);
      failed(await cli(['audit', 'verify']), /event row is missing/, 2);
      failed(await cli(['audit', 'verify', '--full']), /entry 2 says it is entry 3: an event was deleted or events were reordered/, 2);
      const cols = Object.keys(row);
      await sql(`INSERT INTO audit_events (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})`, cols.map((c) => row[c]));
      ok(await cli(['audit', 'verify', '--full']));
    });

    it('two events swapped', async () => {
      const a = await entryAt(4);
      const b = await entryAt(5);
      await sql('UPDATE audit_events SET entry = $1 WHERE seq = $2', [b.entry, a.seq]);
      await sql('UPDATE audit_events SET entry = $1 WHERE seq = $2', [a.entry, b.seq]);
      failed(await cli(['audit', 'verify']), /reordered/, 4);
      failed(await cli(['audit', 'verify', '--full']), /entry 4 says it is entry 5/, 4);
      await sql('UPDATE audit_events SET entry = $1 WHERE seq = $2', [a.entry, a.seq]);
      await sql('UPDATE audit_events SET entry = $1 WHERE seq = $2', [b.entry, b.seq]);
      ok(await cli(['audit', 'verify']));
    });

    /** Rebuilds the stored tree of the org's log from its rows, as a thorough attacker would. */
    async function rebuildTree(size: number): Promise<void> {
      const rows = await sql<{ entry: string }>('SELECT entry FROM audit_events WHERE log_id = $1 AND leaf_index < $2 ORDER BY leaf_index', [orgId, size]);
      const { frontier, newNodes } = appendAllToFrontier([], rows.map((r) => leafHash(Buffer.from(r.entry, 'utf8'))));
      await sql('DELETE FROM ledger_nodes WHERE log_id = $1', [orgId]);
      for (const n of newNodes) await sql('INSERT INTO ledger_nodes (log_id, level, idx, hash) VALUES ($1, $2, $3, $4)', [orgId, n.level, n.index, n.hash.toString('hex')]);
      const nodes = new Map(newNodes.map((n) => [nodeKey(n.level, n.index), n.hash]));
      const check = frontierFromNodes(size, nodes);
      expect(check.length).toBe(frontierNodeIds(size).length);
      await sql('UPDATE ledger_logs SET size = $1, frontier_json = $2 WHERE log_id = $3', [size, JSON.stringify(frontier.map((n) => [n.level, n.index, n.hash.toString('hex')])), orgId]);
      await sql('DELETE FROM ledger_checkpoints WHERE log_id = $1', [orgId]);
    }

    it('a truncated log, and then a whole log rewritten with a new root', async () => {
      const seen = ok(await cli(['audit', 'verify']));
      const size = Number(/at size (\d+)/.exec(seen.stdout)![1]);
      const keep = size - 3;
      await sql('DELETE FROM audit_events WHERE log_id = $1 AND leaf_index >= $2', [orgId, keep]);
      await rebuildTree(keep);
      failed(await cli(['audit', 'verify']), new RegExp(`the log shrank: this client saw ${size} entries`), keep);
      failed(await cli(['audit', 'verify', '--full']), /the log shrank/, keep);

      // A fresh witness accepts the truncated log once; then the attacker rewrites history.
      const witness2 = { XDG_CONFIG_HOME: path.join(root, 'xdg2') };
      const now = ok(await cli(['audit', 'verify'], witness2));
      const nowSize = Number(/at size (\d+)/.exec(now.stdout)![1]);
      const all = await sql<{ seq: number; entry: string }>('SELECT seq, entry FROM audit_events WHERE log_id = $1 ORDER BY leaf_index', [orgId]);
      const forged = JSON.parse(all[1]!.entry) as { details: Record<string, unknown> };
      forged.details = { ...forged.details, role: 'admin' };
      await sql('UPDATE audit_events SET entry = $1 WHERE seq = $2', [canonicalJson(forged), all[1]!.seq]);
      await rebuildTree(nowSize);
      failed(await cli(['audit', 'verify'], witness2), /rewritten/, null);
      failed(await cli(['audit', 'verify', '--full'], witness2), /rewritten/, null);
    });
  });
});
