import type { LedgerIntegrity } from '@steward/domain';
import { TreeBuilder, canonicalJson, hashesEqual, leafHash } from '@steward/ledger';
import type { ServiceContext } from './context.js';
import { authorizeLog } from '../ledger/scope.js';
import { latestCheckpoint, logHead } from '../ledger/log.js';

const BATCH = 5_000;
const MAX_PROBLEMS = 100;

/**
 * The server re-derives its log from the event rows: each row's entry must be canonical, sit at its
 * index, hash to the stored leaf, and the leaves must fold to the root of the latest signed
 * checkpoint. This is what a DBA edit, deletion or reordering breaks; `steward audit verify --full`
 * does the same on the client without trusting the server.
 */
export async function checkLedgerIntegrity({ ctx, input }: { ctx: ServiceContext; input: { org: string; log: 'org' | 'system' } }): Promise<LedgerIntegrity> {
  const scope = authorizeLog(ctx, input.org, input.log, 'ledger.verify');
  const head = await logHead(ctx.db, scope.logId);
  const checkpoint = await latestCheckpoint(ctx.db, scope.logId);
  const problems: LedgerIntegrity['problems'] = [];
  const report = (index: number | null, problem: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ index, problem });
  };
  const size = head?.size ?? 0;
  const checkpointSize = checkpoint?.size ?? 0;
  if (checkpointSize > size) report(size, `the log has ${size} entries but checkpoint ${checkpointSize} was signed: entries were removed`);
  const tree = new TreeBuilder();
  let expected = 0;
  for (let start = 0; start < size; start += BATCH) {
    const [rows, nodes] = await Promise.all([
      ctx.db.selectFrom('audit_events').select(['leaf_index', 'entry', 'action', 'actor_name']).where('log_id', '=', scope.logId).where('leaf_index', '>=', start).where('leaf_index', '<', start + BATCH).orderBy('leaf_index').execute(),
      ctx.db.selectFrom('ledger_nodes').select(['idx', 'hash']).where('log_id', '=', scope.logId).where('level', '=', 0).where('idx', '>=', start).where('idx', '<', start + BATCH).orderBy('idx').execute(),
    ]);
    const stored = new Map(nodes.map((n) => [Number(n.idx), Buffer.from(n.hash, 'hex')]));
    for (const r of rows) {
      const index = Number(r.leaf_index);
      for (; expected < index; expected++) report(expected, 'event row is missing');
      expected = index + 1;
      const text = r.entry ?? '';
      let entry: { index?: unknown; action?: unknown; actor?: { user?: unknown } } = {};
      try {
        entry = JSON.parse(text) as typeof entry;
        if (canonicalJson(entry) !== text) report(index, 'entry is not in canonical form');
      } catch {
        report(index, 'entry is not JSON');
      }
      if (entry.index !== index) report(index, `entry says index ${String(entry.index)}: rows were reordered`);
      if (entry.action !== r.action || entry.actor?.user !== r.actor_name) report(index, 'search columns (action, actor) differ from the entry');
      const hash = leafHash(Buffer.from(text, 'utf8'));
      const node = stored.get(index);
      if (!node) report(index, 'stored leaf hash is missing');
      else if (!hashesEqual(node, hash)) report(index, 'entry does not hash to the leaf stored when it was appended: the event was edited');
      tree.push(hash);
    }
  }
  for (; expected < size; expected++) report(expected, 'event row is missing');
  // The signed root must come out of the rows themselves (checked at the checkpoint's size).
  if (checkpoint && problems.length === 0 && size === checkpoint.size && !hashesEqual(tree.root(), checkpoint.rootHash)) {
    report(null, `the rows fold to a root other than the one signed at size ${checkpoint.size}`);
  }
  return { origin: head?.origin ?? '', size, checkpointSize, ok: problems.length === 0, problems };
}
