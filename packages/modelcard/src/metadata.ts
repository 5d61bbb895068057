import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type YAMLMap } from 'yaml';
import type {
  ModelCardMetadata,
  ModelCardProblem,
  ModelIndexDataset,
  ModelIndexEntry,
  ModelIndexMetric,
  ModelIndexResult,
  ModelIndexSource,
  ModelIndexTask,
} from './types.js';

type YMap = YAMLMap<unknown, unknown>;

// Alias expansion is already capped by yaml's toJS(); this bounds our own walk as well.
const MAX_VISITS = 200_000;

export function emptyMetadata(): ModelCardMetadata {
  return { language: [], tags: [], datasets: [], metrics: [], baseModels: [], modelIndex: [] };
}

class Walker {
  private visits = 0;
  constructor(
    private readonly doc: Document,
    private readonly lc: LineCounter,
    /** File line of the YAML source's first line. */
    private readonly lineOffset: number,
    private readonly problems: ModelCardProblem[],
    /** Where to report problems for nodes without a source range. */
    private readonly fallbackLine: number,
  ) {}

  pos(node: unknown): { line: number; column?: number } {
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (!range) return { line: this.fallbackLine };
    const p = this.lc.linePos(range[0]);
    return { line: p.line + this.lineOffset - 1, column: p.col };
  }

  problem(node: unknown, field: string, severity: 'error' | 'warning', message: string): void {
    this.problems.push({ ...this.pos(node), field, severity, message });
  }

  /** Resolves aliases; null/undefined for absent or explicit null values. */
  deref(node: unknown): Node | null {
    if (++this.visits > MAX_VISITS) throw new WalkBudgetExceeded();
    let n = node as Node | null | undefined;
    for (let hops = 0; n && isAlias(n) && hops < 100; hops++) n = n.resolve(this.doc) as Node | undefined;
    if (!n || isAlias(n)) return null;
    if (isScalar(n) && n.value === null) return null;
    return n;
  }

  /** Keyed view of a mapping; later duplicates are ignored (yaml already reported them). */
  entries(map: YMap): Map<string, unknown> {
    const out = new Map<string, unknown>();
    for (const pair of map.items) {
      const key = pair.key;
      const k = isScalar(key) ? key.value : key;
      if ((typeof k === 'string' || typeof k === 'number') && !out.has(String(k))) out.set(String(k), pair.value);
    }
    return out;
  }

  optString(raw: unknown, field: string): string | undefined {
    const n = this.deref(raw);
    if (!n) return undefined;
    if (isScalar(n) && typeof n.value === 'string') {
      const s = n.value.trim();
      return s === '' ? undefined : s;
    }
    this.problem(raw, field, 'error', `${field} must be a string, got ${describe(n)}`);
    return undefined;
  }

  stringList(raw: unknown, field: string): string[] {
    const n = this.deref(raw);
    if (!n) return [];
    if (isScalar(n) && typeof n.value === 'string') {
      const s = n.value.trim();
      return s === '' ? [] : [s];
    }
    if (!isSeq(n)) {
      this.problem(raw, field, 'error', `${field} must be a string or a list of strings, got ${describe(n)}`);
      return [];
    }
    const out: string[] = [];
    n.items.forEach((item, i) => {
      const v = this.deref(item);
      if (!v) return; // empty list entries (common in template leftovers) are skipped
      if (isScalar(v) && typeof v.value === 'string') {
        const s = v.value.trim();
        if (s !== '') out.push(s);
      } else {
        this.problem(item, `${field}[${i}]`, 'error', `${field}[${i}] must be a string, got ${describe(v)}`);
      }
    });
    return out;
  }

  mapping(raw: unknown, field: string): YMap | null {
    const n = this.deref(raw);
    if (!n) return null;
    if (isMap(n)) return n;
    this.problem(raw, field, 'error', `${field} must be a mapping, got ${describe(n)}`);
    return null;
  }

  list(raw: unknown, field: string): unknown[] | null {
    const n = this.deref(raw);
    if (!n) return null;
    if (isSeq(n)) return n.items;
    this.problem(raw, field, 'error', `${field} must be a list, got ${describe(n)}`);
    return null;
  }

  modelIndex(raw: unknown): ModelIndexEntry[] {
    const items = this.list(raw, 'model-index');
    if (!items) return [];
    const out: ModelIndexEntry[] = [];
    items.forEach((item, i) => {
      const path = `model-index[${i}]`;
      if (!this.deref(item)) {
        this.problem(item, path, 'error', `${path} is empty`);
        return;
      }
      const map = this.mapping(item, path);
      if (!map) return;
      const e = this.entries(map);
      const name = this.required(map, e, 'name', path, (v, f) => this.optString(v, f));
      const results = this.requiredList(map, e, 'results', path, (v, f) => this.result(v, f));
      if (name !== undefined) out.push({ name, results });
    });
    return out;
  }

  private result(raw: unknown, path: string): ModelIndexResult | undefined {
    const map = this.mapping(raw, path);
    if (!map) return undefined;
    const e = this.entries(map);
    const task = this.required(map, e, 'task', path, (v, f) => this.task(v, f));
    const dataset = this.dataset(e.get('dataset'), `${path}.dataset`);
    const metrics = this.requiredList(map, e, 'metrics', path, (v, f) => this.metric(v, f));
    const source = this.source(e.get('source'), `${path}.source`);
    if (!task) return undefined;
    const r: ModelIndexResult = { task, metrics };
    if (dataset) r.dataset = dataset;
    if (source) r.source = source;
    return r;
  }

  private task(raw: unknown, path: string): ModelIndexTask | undefined {
    const map = this.mapping(raw, path);
    if (!map) return undefined;
    const e = this.entries(map);
    const type = this.required(map, e, 'type', path, (v, f) => this.optString(v, f));
    const name = this.optString(e.get('name'), `${path}.name`);
    if (type === undefined) return undefined;
    return name === undefined ? { type } : { type, name };
  }

  private dataset(raw: unknown, path: string): ModelIndexDataset | undefined {
    const map = this.mapping(raw, path);
    if (!map) return undefined;
    const e = this.entries(map);
    const d: ModelIndexDataset = {};
    for (const k of ['type', 'name', 'config', 'split', 'revision'] as const) {
      const v = this.optString(e.get(k), `${path}.${k}`);
      if (v !== undefined) d[k] = v;
    }
    return d;
  }

  private source(raw: unknown, path: string): ModelIndexSource | undefined {
    const map = this.mapping(raw, path);
    if (!map) return undefined;
    const e = this.entries(map);
    const s: ModelIndexSource = {};
    for (const k of ['name', 'url'] as const) {
      const v = this.optString(e.get(k), `${path}.${k}`);
      if (v !== undefined) s[k] = v;
    }
    return s;
  }

  private metric(raw: unknown, path: string): ModelIndexMetric | undefined {
    const map = this.mapping(raw, path);
    if (!map) return undefined;
    const e = this.entries(map);
    const type = this.required(map, e, 'type', path, (v, f) => this.optString(v, f));
    const value = this.required(map, e, 'value', path, (v, f) => this.metricValue(v, f));
    const name = this.optString(e.get('name'), `${path}.name`);
    let verified: boolean | undefined;
    const vNode = this.deref(e.get('verified'));
    if (vNode) {
      if (isScalar(vNode) && typeof vNode.value === 'boolean') verified = vNode.value;
      else this.problem(e.get('verified'), `${path}.verified`, 'error', `${path}.verified must be a boolean, got ${describe(vNode)}`);
    }
    if (type === undefined || value === undefined) return undefined;
    const m: ModelIndexMetric = { type, value };
    if (name !== undefined) m.name = name;
    if (verified !== undefined) m.verified = verified;
    return m;
  }

  private metricValue(raw: unknown, path: string): number | string | undefined {
    const n = this.deref(raw);
    if (!n) return undefined;
    if (isScalar(n)) {
      if (typeof n.value === 'number' && Number.isFinite(n.value)) return n.value;
      if (typeof n.value === 'string' && n.value.trim() !== '') return n.value.trim();
    }
    this.problem(raw, path, 'error', `${path} must be a finite number or a non-empty string, got ${describe(n)}`);
    return undefined;
  }

  /** A field without which the enclosing object is dropped; missing -> error at the enclosing mapping. */
  private required<T>(
    map: YMap,
    e: Map<string, unknown>,
    key: string,
    path: string,
    read: (v: unknown, field: string) => T | undefined,
  ): T | undefined {
    const field = `${path}.${key}`;
    const raw = e.get(key);
    if (!this.deref(raw)) {
      this.problem(raw && this.hasRange(raw) ? raw : map, field, 'error', `${field} is required`);
      return undefined;
    }
    return read(raw, field);
  }

  /** A required list; missing or malformed -> error and an empty list (the parent is kept). */
  private requiredList<T>(
    map: YMap,
    e: Map<string, unknown>,
    key: string,
    path: string,
    read: (v: unknown, field: string) => T | undefined,
  ): T[] {
    const field = `${path}.${key}`;
    const raw = e.get(key);
    if (!this.deref(raw)) {
      this.problem(raw && this.hasRange(raw) ? raw : map, field, 'error', `${field} is required`);
      return [];
    }
    const items = this.list(raw, field);
    if (!items) return [];
    const out: T[] = [];
    items.forEach((item, i) => {
      const p = `${field}[${i}]`;
      if (!this.deref(item)) {
        this.problem(item, p, 'error', `${p} is empty`);
        return;
      }
      const v = read(item, p);
      if (v !== undefined) out.push(v);
    });
    return out;
  }

  private hasRange(node: unknown): boolean {
    return Array.isArray((node as { range?: unknown }).range);
  }
}

class WalkBudgetExceeded extends Error {}

function describe(n: Node): string {
  if (isSeq(n)) return 'a list';
  if (isMap(n)) return 'a mapping';
  if (isScalar(n)) {
    const v = n.value;
    if (typeof v === 'string') return 'a string';
    if (typeof v === 'number' || typeof v === 'bigint') return `the number ${String(v)}`;
    if (typeof v === 'boolean') return `the boolean ${String(v)}`;
    return typeof v;
  }
  return 'an unsupported value';
}

/**
 * Normalizes the known Hugging Face fields of a front matter mapping. Unknown fields are
 * ignored; malformed fields are reported and left out.
 */
export function normalizeMetadata(
  doc: Document,
  root: YMap,
  lc: LineCounter,
  lineOffset: number,
  problems: ModelCardProblem[],
): ModelCardMetadata {
  // Problems are collected locally so an aborted walk reports only the abort.
  const local: ModelCardProblem[] = [];
  const w = new Walker(doc, lc, lineOffset, local, lineOffset);
  const meta = emptyMetadata();
  try {
    const e = w.entries(root);
    const scalar = (key: string): string | undefined => w.optString(e.get(key), key);
    const license = scalar('license');
    const licenseName = scalar('license_name');
    const licenseLink = scalar('license_link');
    const libraryName = scalar('library_name');
    const pipelineTag = scalar('pipeline_tag');
    if (license !== undefined) meta.license = license;
    if (licenseName !== undefined) meta.licenseName = licenseName;
    if (licenseLink !== undefined) meta.licenseLink = licenseLink;
    if (libraryName !== undefined) meta.libraryName = libraryName;
    if (pipelineTag !== undefined) meta.pipelineTag = pipelineTag;
    meta.language = w.stringList(e.get('language'), 'language');
    meta.tags = w.stringList(e.get('tags'), 'tags');
    meta.datasets = w.stringList(e.get('datasets'), 'datasets');
    meta.metrics = w.stringList(e.get('metrics'), 'metrics');
    meta.baseModels = w.stringList(e.get('base_model'), 'base_model');
    meta.modelIndex = w.modelIndex(e.get('model-index'));

    if (license !== undefined && license.toLowerCase() === 'other') {
      for (const [key, v] of [['license_name', licenseName], ['license_link', licenseLink]] as const) {
        if (v === undefined) {
          w.problem(e.get('license'), key, 'warning', `license is 'other' but ${key} is missing; name the licence and link to its text`);
        }
      }
    }
  } catch (err) {
    if (!(err instanceof WalkBudgetExceeded)) throw err;
    problems.push({ line: lineOffset - 1, severity: 'error', message: 'front matter is too complex (alias expansion); metadata not parsed' });
    return emptyMetadata();
  }
  problems.push(...local);
  return meta;
}
