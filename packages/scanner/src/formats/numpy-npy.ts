/**
 * NumPy `.npy` files: `\x93NUMPY`, version (1.0, 2.0, 3.0), header length (u16 for v1, u32 for
 * v2/v3), a header that is a Python dict literal (`{'descr': '<f8', 'fortran_order': False,
 * 'shape': (3, 4), }`), then the data. An object dtype (`|O`, or a structured dtype with an object
 * field) means the data is a pickle (`np.load(allow_pickle=True)` unpickles it): it is scanned with
 * the pickle machine. Otherwise the data is raw and must be exactly shape x itemsize bytes.
 *
 * The header is parsed here as a literal (never evaluated).
 */
import type { FormatHandler } from '../context.js';
import { PickleMachine } from '../pickle/machine.js';
import { applyMachineResult, machineOptions, scanNestedPayloads } from '../pickle/report.js';

const MAGIC = Buffer.from('\x93NUMPY', 'latin1');
const MAX_HEADER = 1 << 20;

type Lit = string | number | boolean | null | Lit[] | LitTuple | Map<Lit, Lit>;
class LitTuple {
  constructor(readonly items: Lit[]) {}
}

/** Parses a Python literal (str, int, float, bool, None, tuple, list, dict). Throws on anything else. */
export function parsePythonLiteral(text: string): Lit {
  let i = 0;
  const n = text.length;
  const ws = (): void => {
    while (i < n && /\s/.test(text[i]!)) i++;
  };
  const fail = (msg: string): never => {
    throw new Error(`${msg} at ${i}`);
  };
  const value = (depth: number): Lit => {
    if (depth > 32) fail('nesting too deep');
    ws();
    const c = text[i];
    if (c === undefined) return fail('unexpected end');
    if (c === '{') {
      i++;
      const m = new Map<Lit, Lit>();
      for (;;) {
        ws();
        if (text[i] === '}') {
          i++;
          return m;
        }
        const k = value(depth + 1);
        ws();
        if (text[i] !== ':') fail('expected :');
        i++;
        const v = value(depth + 1);
        m.set(k, v);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') fail('expected , or }');
      }
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const items: Lit[] = [];
      let comma = false;
      for (;;) {
        ws();
        if (text[i] === close) {
          i++;
          if (c === '[') return items;
          return items.length === 1 && !comma ? items[0]! : new LitTuple(items);
        }
        items.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          comma = true;
          i++;
        } else if (text[i] !== close) fail(`expected , or ${close}`);
      }
    }
    if (c === "'" || c === '"') {
      i++;
      let s = '';
      while (i < n && text[i] !== c) {
        if (text[i] === '\\') {
          const e = text[i + 1];
          const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
          if (e === undefined || map[e] === undefined) fail('unsupported escape');
          s += map[e!];
          i += 2;
        } else s += text[i++];
      }
      if (i >= n) fail('unterminated string');
      i++;
      return s;
    }
    const m = /^(?:True|False|None|[+-]?\d+L?|[+-]?(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 64));
    if (!m) return fail('unexpected token');
    i += m[0].length;
    if (m[0] === 'True') return true;
    if (m[0] === 'False') return false;
    if (m[0] === 'None') return null;
    return Number(m[0].replace(/L$/, ''));
  };
  const v = value(0);
  ws();
  if (i !== n) fail('trailing characters');
  return v;
}

export interface NpyDtype {
  itemsize: number;
  hasObject: boolean;
}

/** Size and object-ness of an .npy `descr` (a type string or a structured list). */
export function npyDtype(descr: Lit, depth = 0): NpyDtype | null {
  if (depth > 16) return null;
  if (typeof descr === 'string') {
    const m = /^([<>|=]?)([biufcmMOSUVa?])(\d*)(\[\w+\])?$/.exec(descr);
    if (!m) return null;
    const kind = m[2]!;
    const n = m[3] ? Number(m[3]) : 0;
    if (kind === 'O') return { itemsize: 8, hasObject: true };
    if (kind === '?') return { itemsize: 1, hasObject: false };
    if (kind === 'U') return { itemsize: 4 * n, hasObject: false };
    if ((kind === 'M' || kind === 'm') && n === 0) return { itemsize: 8, hasObject: false };
    if (kind === 'b' && n === 0) return { itemsize: 1, hasObject: false };
    return { itemsize: n, hasObject: false };
  }
  if (Array.isArray(descr)) {
    let itemsize = 0;
    let hasObject = false;
    for (const field of descr) {
      if (!(field instanceof LitTuple) || field.items.length < 2 || field.items.length > 3) return null;
      const sub = npyDtype(field.items[1]!, depth + 1);
      if (!sub) return null;
      let count = 1;
      const shape = field.items[2];
      if (shape !== undefined) {
        const dims = typeof shape === 'number' ? [shape] : shape instanceof LitTuple ? shape.items : null;
        if (!dims) return null;
        for (const d of dims) {
          if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) return null;
          count *= d;
        }
      }
      itemsize += sub.itemsize * count;
      hasObject ||= sub.hasObject;
    }
    return { itemsize, hasObject };
  }
  return null;
}

export const numpyNpyHandler: FormatHandler = {
  id: 'numpy-npy',
  detect: (head) => head.length >= 8 && head.subarray(0, 6).equals(MAGIC),
  async scan(ctx, source, report) {
    const pre = await source.read(0, 12);
    const major = pre[6]!;
    const minor = pre[7]!;
    const details = (report.details ??= {});
    details.version = `${major}.${minor}`;
    const bad = (message: string, offset = 0): void => {
      report.findings.push({ ruleId: 'npy.bad-header', severity: 'low', verdict: 'unknown', message: `${message}; numpy refuses the file`, location: { offset } });
    };
    if (major < 1 || major > 3 || pre.length < (major === 1 ? 10 : 12)) return bad(`unsupported .npy version ${major}.${minor}`, 6);
    const hlen = major === 1 ? pre.readUInt16LE(8) : pre.readUInt32LE(8);
    const start = major === 1 ? 10 : 12;
    if (hlen > MAX_HEADER || start + hlen > source.size) return bad(`header length ${hlen} is larger than the file or ${MAX_HEADER} bytes`, 8);
    const raw = await source.read(start, hlen);
    const text = major === 3 ? raw.toString('utf8') : raw.toString('latin1');
    let header: Lit;
    try {
      header = parsePythonLiteral(text);
    } catch (err) {
      return bad(`header is not a Python literal (${(err as Error).message})`, start);
    }
    if (!(header instanceof Map)) return bad('header is not a dict', start);
    const keys = [...header.keys()].sort();
    if (keys.join(',') !== 'descr,fortran_order,shape') return bad(`header keys are ${JSON.stringify(keys)}, not descr, fortran_order, shape`, start);
    const descr = header.get('descr')!;
    const shapeLit = header.get('shape')!;
    const dims = shapeLit instanceof LitTuple ? shapeLit.items : typeof shapeLit === 'number' ? [shapeLit] : null;
    if (!dims || !dims.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)) return bad('shape is not a tuple of non-negative integers', start);
    const dtype = npyDtype(descr);
    if (!dtype) return bad(`unsupported descr ${JSON.stringify(descr)}`, start);
    details.descr = typeof descr === 'string' ? descr : 'structured';
    details.shape = dims;
    details.fortranOrder = header.get('fortran_order') === true;
    const dataStart = start + hlen;
    if (dtype.hasObject) {
      // np.load(allow_pickle=True) runs pickle.load on the rest of the file (the first pickle only).
      details.objectArray = true;
      const machine = new PickleMachine(source, machineOptions(ctx, { start: dataStart, maxPickles: 1 }));
      const result = await machine.scanAll();
      applyMachineResult(report, result);
      await scanNestedPayloads(ctx, source, report, result);
      if (result.stoppedBy === 'max-pickles' && result.end < source.size) {
        report.findings.push({
          ruleId: 'npy.trailing-data',
          severity: 'low',
          verdict: 'unknown',
          message: `${source.size - result.end} bytes after the object array's pickle, which numpy does not read`,
          location: { offset: result.end },
        });
      }
      return;
    }
    let count = 1;
    for (const d of dims as number[]) count *= d;
    const expected = count * dtype.itemsize;
    const actual = source.size - dataStart;
    details.dataBytes = actual;
    if (expected !== actual) {
      report.findings.push({
        ruleId: 'npy.size-mismatch',
        severity: 'medium',
        verdict: 'unknown',
        message: `shape ${JSON.stringify(dims)} x ${dtype.itemsize}-byte items is ${expected} bytes, but ${actual} bytes follow the header`,
        location: { offset: dataStart },
      });
    }
  },
};
