import {
  DeleteQueryNode,
  InsertQueryNode,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
  UpdateQueryNode,
} from 'kysely';

/**
 * An in-process cache of derived read results (authenticated actors, rendered versions), made
 * correct by one rule: any write through the database bumps the generation, and a value computed
 * under an older generation is neither returned nor stored. Only safe when this process makes every
 * write (the embedded SQLite deployment); with Postgres and several servers it is off (ADR 0008).
 */
export class ReadCache {
  private gen = 0;
  private readonly entries = new Map<string, { gen: number; value: unknown }>();

  constructor(private readonly maxEntries = 10_000) {}

  get generation(): number {
    return this.gen;
  }

  bump(): void {
    this.gen++;
    this.entries.clear();
  }

  get<T>(key: string): T | undefined {
    const e = this.entries.get(key);
    if (!e || e.gen !== this.gen) return undefined;
    return e.value as T;
  }

  /** Stores only if nothing was written since `gen` was read (the computation saw current data). */
  set(key: string, gen: number, value: unknown): void {
    if (gen !== this.gen) return;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { gen, value });
  }

  async memo<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const hit = this.get<T>(key);
    if (hit !== undefined) return hit;
    const gen = this.gen;
    const value = await compute();
    this.set(key, gen, value);
    return value;
  }
}

/**
 * Tables no cached read derives from, written on the telemetry hot path (thousands of batches a
 * minute): their writes must not empty the cache the read path lives on.
 */
const UNCACHED_TABLES = new Set(['telemetry_buckets', 'telemetry_pending_labels', 'telemetry_samples', 'deployments']);

function tableOf(n: RootOperationNode): string | null {
  const t = InsertQueryNode.is(n) ? n.into : UpdateQueryNode.is(n) ? n.table : DeleteQueryNode.is(n) && n.from.froms.length === 1 ? n.from.froms[0] : undefined;
  const table = t && 'table' in t ? (t as { table: { identifier: { name: string } } }).table : undefined;
  return table?.identifier?.name ?? null;
}

/** Kysely plugin: every INSERT, UPDATE or DELETE bumps the cache generation before it runs. */
export class WriteObserverPlugin implements KyselyPlugin {
  constructor(private readonly onWrite: () => void) {}

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const n = args.node;
    if (InsertQueryNode.is(n) || UpdateQueryNode.is(n) || DeleteQueryNode.is(n)) {
      const table = tableOf(n);
      if (table === null || !UNCACHED_TABLES.has(table)) this.onWrite();
    }
    return n;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
