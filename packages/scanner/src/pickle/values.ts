/**
 * Symbolic Python values on the pickle machine's stack and memo. Nothing is ever executed: a call
 * produces a `PyObj` that remembers what was called, an import a `PyGlobal` with its verdict.
 *
 * Python scalars map to JS values (str -> string, small int/float -> number, long -> bigint,
 * bool -> boolean, None -> null); everything else is one of the classes below. Containers keep at
 * most CONTAINER_KEEP items (the count is exact), so memory stays bounded by that, not by the pickle.
 */
import type { ImportVerdict } from '../types.js';

export const CONTAINER_KEEP = 1 << 16;

/** bytes / bytearray. `offset` is where the raw payload sits in the source (-1 when not raw). */
export class PyBytes {
  constructor(
    readonly len: number,
    readonly offset: number,
    /** latin1 text of the payload when it is at most 64 bytes (dtype codes, short keys). */
    readonly text: string | null,
    readonly bytearray: boolean,
  ) {}
}

/** A str too long to keep (only its length in bytes). */
export class PyLongStr {
  constructor(readonly len: number) {}
}

/** An int too long to keep as a bigint. */
export class PyBigInt {
  constructor(readonly nbytes: number) {}
}

export class PyList {
  items: Val[] = [];
  count = 0;
}

export class PyTuple {
  constructor(
    readonly items: Val[],
    readonly count: number,
  ) {}
}

export class PyDict {
  keys: Val[] = [];
  vals: Val[] = [];
  count = 0;
  /** The value of a string key; the last SETITEM wins, as in Python. */
  get(key: string): Val | undefined {
    const i = this.keys.lastIndexOf(key);
    return i < 0 ? undefined : this.vals[i];
  }
}

export class PySet {
  count = 0;
  constructor(readonly frozen: boolean) {}
}

/** The object an import (GLOBAL, INST, STACK_GLOBAL, EXT*) pushes. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly verdict: ImportVerdict,
    /** False for EXT codes and STACK_GLOBAL arguments that are not constant strings. */
    readonly resolved: boolean,
  ) {}
  get path(): string {
    return `${this.module}.${this.name}`;
  }
}

/** The result of calling something (REDUCE, NEWOBJ, NEWOBJ_EX, OBJ, INST). */
export class PyObj {
  state: Val | undefined = undefined;
  constructor(
    readonly callee: Val,
    readonly opcode: string,
    readonly args: Val,
  ) {}
}

/** What persistent_load returns for a persistent id (torch storages). */
export class PyPersId {
  constructor(readonly pid: Val) {}
}

/** A value the machine cannot model (out-of-band buffers). */
export class PyUnknown {
  constructor(readonly what: string) {}
}

export type Val =
  | string
  | number
  | bigint
  | boolean
  | null
  | PyBytes
  | PyLongStr
  | PyBigInt
  | PyList
  | PyTuple
  | PyDict
  | PySet
  | PyGlobal
  | PyObj
  | PyPersId
  | PyUnknown;

/** Items of a tuple or list (the kept ones), or null. */
export function seqItems(v: Val | undefined): Val[] | null {
  if (v instanceof PyTuple) return v.items;
  if (v instanceof PyList) return v.items;
  return null;
}

/** The class an object was made from: NEWOBJ/REDUCE callee, or the class copyreg helpers were given. */
export function classOf(obj: PyObj): PyGlobal | null {
  const c = obj.callee;
  if (!(c instanceof PyGlobal)) return null;
  if (c.module === 'copyreg' && (c.name === '_reconstructor' || c.name === '__newobj__' || c.name === '__newobj_ex__')) {
    const first = seqItems(obj.args)?.[0];
    return first instanceof PyGlobal ? first : null;
  }
  return c;
}

/** A short, bounded, non-recursive-blowup description for messages. */
export function describe(v: Val | undefined, depth = 0): string {
  if (v === undefined) return '<missing>';
  if (v === null) return 'None';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}...` : v);
    case 'number':
      return String(v);
    case 'bigint':
      return `${v}`;
    case 'boolean':
      return v ? 'True' : 'False';
  }
  if (v instanceof PyGlobal) return v.resolved ? v.path : `<unresolved ${v.module}.${v.name}>`;
  if (v instanceof PyObj) {
    const c = v.callee instanceof PyGlobal ? v.callee.path : depth < 2 ? describe(v.callee, depth + 1) : '...';
    return `<result of ${c}(...)>`;
  }
  if (v instanceof PyBytes) return `<${v.bytearray ? 'bytearray' : 'bytes'} of ${v.len}>`;
  if (v instanceof PyLongStr) return `<str of ${v.len} bytes>`;
  if (v instanceof PyBigInt) return `<int of ${v.nbytes} bytes>`;
  if (v instanceof PyTuple) {
    if (depth >= 2) return `(...${v.count})`;
    return `(${v.items.slice(0, 4).map((x) => describe(x, depth + 1)).join(', ')}${v.count > 4 ? ', ...' : v.count === 1 ? ',' : ''})`;
  }
  if (v instanceof PyList) return `<list of ${v.count}>`;
  if (v instanceof PyDict) return `<dict of ${v.count}>`;
  if (v instanceof PySet) return `<${v.frozen ? 'frozenset' : 'set'} of ${v.count}>`;
  if (v instanceof PyPersId) return `<persistent id ${depth < 2 ? describe(v.pid, depth + 1) : '...'}>`;
  return `<${v.what}>`;
}
