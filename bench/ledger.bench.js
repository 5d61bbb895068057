// Acceptance (audit ledger):
// - appending: at least 5,000 events per second sustained on SQLite, checkpoints signed along the way;
// - inclusion and consistency proofs for a log of 1,000,000 events: p99 under 2 ms each;
// - `steward audit verify --full` over 1,000,000 events: under 20 seconds.
//
// Appending goes through the server's own `audit()` (one transaction per event, as every mutation
// does: event row, completed tree nodes, new frontier) on a fresh SQLite database, with the
// checkpointer signing every second. Proofs are produced the way the API produces them (one
// batched node query, then assembly) on a 1,000,000-event log; that log is built once into
// bench/.data/ledger-1m/ and reused. `verify --full` is the CLI against a server on that log:
// checkpoint signature, consistency, every entry downloaded and the root recomputed, and the
// server's own row check.
//
// Usage: node bench/ledger.bench.js  (build first). BENCH_QUICK=1: 2,000 appends, 100,000-event log.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DATA, ROOT, runSteward, startSteward } from './lib/server.js';

const server = (p) => import(pathToFileURL(join(ROOT, 'packages/server/dist', p)).href);

const TOKEN = 'stw_bench-ledger-token-0123456789abcdefghijklmnopq';

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function openDb(file) {
  const { openDatabase } = await server('db/database.js');
  return openDatabase({ kind: 'sqlite', file });
}

async function measureAppends(n) {
  const { audit } = await server('services/context.js');
  const { LedgerKeyring } = await server('ledger/keys.js');
  const { Checkpointer } = await server('ledger/log.js');
  const dir = join(DATA, 'ledger-append');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const store = await openDb(join(dir, 'steward.db'));
  const now = () => new Date();
  await store.db.insertInto('orgs').values({ id: 'org-bench', name: 'bench', created_at: now().toISOString() }).execute();
  const keyring = await LedgerKeyring.open(store.db, Buffer.alloc(32, 7), 'bench.local', now);
  const checkpoints = new Checkpointer(store.db, keyring, now, 1000, (err) => {
    throw err;
  });
  checkpoints.start();
  const ctx = { config: { ledgerName: 'bench.local' }, now, actor: { userId: 'u1', userName: 'bench', tokenId: 't1' }, requestId: 'r', clientAddress: '127.0.0.1' };
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    // SQLite calls are synchronous: yield to the event loop now and then, as a server does between
    // requests, so the checkpointer's timer can sign along the way.
    if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
    await audit(store.db, ctx, { orgId: 'org-bench', action: 'model.updated', targetType: 'model', targetId: `m${i % 50}`, details: { model: 'bench/m', i, before: { tags: ['a'] }, after: { tags: ['a', 'b'] } } });
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await checkpoints.tick();
  await checkpoints.stop();
  const signed = await store.db.selectFrom('ledger_checkpoints').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return { events: n, seconds: Number(seconds.toFixed(2)), events_per_s: Math.round(n / seconds), checkpoints_signed: Number(signed.n) };
}

/** A server-bootstrapped database grown to `size` events in the default org's log (kept for reuse). */
async function ensureBigLog(size) {
  const dir = join(DATA, `ledger-${size}`);
  const file = join(dir, 'steward.db');
  if (existsSync(file)) {
    const store = await openDb(file);
    const head = await store.db.selectFrom('ledger_logs as l').innerJoin('orgs as o', 'o.id', 'l.log_id').select(['l.size']).where('o.name', '=', 'default').executeTakeFirst();
    await store.close();
    if (head && Number(head.size) >= size) return { dir, file, built_s: 0 };
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const srv = await startSteward({ dataDir: join(dir, 'server'), env: { STEWARD_BOOTSTRAP_TOKEN: TOKEN, STEWARD_MASTER_KEY: Buffer.alloc(32, 9).toString('base64') }, args: ['--database-url', `sqlite:${file}`] });
  await srv.stop();
  // Bulk path for the fixture only (the append path is what measureAppends times): the same entries
  // and tree nodes appendEvent would write, inserted hundreds of rows per statement.
  const { ledgerEntry, parseFrontier } = await server('ledger/append.js');
  const { appendAllToFrontier, canonicalJson, leafHash } = await import(pathToFileURL(join(ROOT, 'packages/ledger/dist/index.js')).href);
  const store = await openDb(file);
  const org = await store.db.selectFrom('orgs').select(['id', 'name']).where('name', '=', 'default').executeTakeFirstOrThrow();
  const head = await store.db.selectFrom('ledger_logs').select(['size', 'origin', 'frontier_json']).where('log_id', '=', org.id).executeTakeFirstOrThrow();
  let frontier = parseFrontier(head.frontier_json);
  const t0 = process.hrtime.bigint();
  for (let done = Number(head.size); done < size; ) {
    const batch = Math.min(10_000, size - done);
    const rows = [];
    const leaves = [];
    for (let i = 0; i < batch; i++) {
      const index = done + i;
      const event = {
        orgId: org.id,
        at: new Date(Date.UTC(2026, 0, 1) + index * 1000).toISOString(),
        actor: { userId: 'u-admin', userName: 'admin', tokenId: 't-admin' },
        action: ['version.pushed', 'ring.moved', 'blob.downloaded', 'model.updated'][index % 4],
        targetType: 'model_version',
        targetId: `v${index}`,
        model: 'default/bench',
        details: { model: 'default/bench', version: `1.0.${index}` },
        requestId: `req-${index}`,
        clientAddress: '10.0.0.1',
      };
      const text = canonicalJson(ledgerEntry(head.origin, index, org.name, event));
      leaves.push(leafHash(Buffer.from(text, 'utf8')));
      rows.push({
        org_id: org.id, actor_user_id: 'u-admin', actor_name: 'admin', action: event.action, target_type: event.targetType, target_id: event.targetId,
        at: event.at, details_json: JSON.stringify(event.details), request_id: event.requestId, log_id: org.id, leaf_index: index, entry: text,
        model: event.model, token_id: 't-admin', client_address: event.clientAddress,
      });
    }
    const appended = appendAllToFrontier(frontier, leaves);
    frontier = appended.frontier;
    await store.db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += 500) await trx.insertInto('audit_events').values(rows.slice(i, i + 500)).execute();
      const nodes = appended.newNodes.map((n) => ({ log_id: org.id, level: n.level, idx: n.index, hash: n.hash.toString('hex') }));
      for (let i = 0; i < nodes.length; i += 1000) await trx.insertInto('ledger_nodes').values(nodes.slice(i, i + 1000)).execute();
      await trx
        .updateTable('ledger_logs')
        .set({ size: done + batch, frontier_json: JSON.stringify(frontier.map((n) => [n.level, n.index, n.hash.toString('hex')])), updated_at: new Date().toISOString() })
        .where('log_id', '=', org.id)
        .execute();
    });
    done += batch;
    if (done % 100_000 === 0) process.stderr.write(`ledger: built ${done} events\n`);
  }
  await store.close();
  return { dir, file, built_s: Number((Number(process.hrtime.bigint() - t0) / 1e9).toFixed(1)) };
}

async function measureProofs(file, samples) {
  const { inclusionProof, consistencyProof } = await import(pathToFileURL(join(ROOT, 'packages/ledger/dist/index.js')).href);
  const { nodeFetcher, logHead } = await server('ledger/log.js');
  const store = await openDb(file);
  const org = await store.db.selectFrom('orgs').select('id').where('name', '=', 'default').executeTakeFirstOrThrow();
  const head = await logHead(store.db, org.id);
  const fetch = nodeFetcher(store.db, org.id);
  let seed = 42;
  const rand = (n) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const time = async (fn) => {
    const out = [];
    for (let i = 0; i < 200; i++) await fn(); // warm-up
    for (let i = 0; i < samples; i++) {
      const t0 = process.hrtime.bigint();
      await fn();
      out.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return out.sort((a, b) => a - b);
  };
  const inclusion = await time(() => inclusionProof(rand(head.size), head.size, fetch));
  const consistency = await time(() => {
    const a = 1 + rand(head.size - 1);
    return consistencyProof(a, a + rand(head.size - a + 1), fetch);
  });
  await store.close();
  const stats = (xs) => ({ p50_ms: Number(percentile(xs, 50).toFixed(3)), p99_ms: Number(percentile(xs, 99).toFixed(3)), max_ms: Number(xs.at(-1).toFixed(3)) });
  return { log_size: head.size, samples, inclusion: stats(inclusion), consistency: stats(consistency) };
}

async function measureVerifyFull(dir, file) {
  const srv = await startSteward({ dataDir: join(dir, 'server'), env: { STEWARD_BOOTSTRAP_TOKEN: TOKEN, STEWARD_MASTER_KEY: Buffer.alloc(32, 9).toString('base64') }, args: ['--database-url', `sqlite:${file}`] });
  try {
    const env = { STEWARD_SERVER: srv.url, STEWARD_TOKEN: TOKEN, STEWARD_CONFIG: join(dir, 'cli', 'credentials.json') };
    rmSync(join(dir, 'cli'), { recursive: true, force: true });
    const t0 = process.hrtime.bigint();
    const r = await runSteward(['audit', 'verify', '--full', '--json'], { env });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const out = JSON.parse(r.stdout);
    return { seconds: Number(seconds.toFixed(2)), entries: out.entriesChecked, ok: out.ok === true };
  } finally {
    await srv.stop();
  }
}

export default async function ledgerBench() {
  const quick = process.env.BENCH_QUICK === '1';
  const appendN = quick ? 2000 : 20_000;
  const logSize = quick ? 100_000 : 1_000_000;
  const appends = await measureAppends(appendN);
  process.stderr.write(`ledger: ${appends.events_per_s} appends/s\n`);
  const big = await ensureBigLog(logSize);
  const proofs = await measureProofs(big.file, quick ? 1000 : 5000);
  process.stderr.write(`ledger: inclusion p99 ${proofs.inclusion.p99_ms} ms, consistency p99 ${proofs.consistency.p99_ms} ms\n`);
  const verify = await measureVerifyFull(big.dir, big.file);
  process.stderr.write(`ledger: verify --full over ${verify.entries} entries in ${verify.seconds} s\n`);
  const pass = appends.events_per_s >= 5000 && proofs.inclusion.p99_ms < 2 && proofs.consistency.p99_ms < 2 && verify.ok && verify.seconds < 20 && verify.entries >= logSize;
  return {
    name: quick ? 'ledger-quick' : 'ledger',
    results: { appends, log_build_s: big.built_s, proofs, verify_full: verify, targets: { appends_per_s: 5000, proof_p99_ms: 2, verify_full_s: 20 } },
    pass,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await ledgerBench();
  console.log(JSON.stringify(r, null, 2));
  process.exitCode = r.pass ? 0 : 1;
}
