/**
 * A static emulation of the pickle virtual machine (protocols 0-5), modelled on CPython's
 * `Lib/pickle.py` `_Unpickler` and `Modules/_pickle.c`. It never executes anything: imports are
 * recorded and classified by the allowlist, calls produce symbolic results, and every structural
 * oddity (unresolvable callables, frame inconsistencies, parse errors) becomes a finding.
 *
 * Streaming: the pickle is read from a ByteSource through a bounded window (WINDOW bytes); large
 * str/bytes payloads are skipped without being read. The hot loop (`run`) is synchronous over the
 * window with numeric opcode dispatch and returns a status when it needs the async side (more data,
 * a time check, a joblib array to skip).
 *
 * Stacked pickles: after STOP the next pickle starts, until the end of the region.
 */
import { LimitExceeded, type Allowlist } from '../context.js';
import type { ByteSource } from '../source.js';
import type { Finding, ImportVerdict, PickleImport, ScanLimits, Severity } from '../types.js';
import { mapPython2Name } from './compat.js';
import {
  DOTTED_IDENTIFIER,
  FRAME_SIZE_TARGET,
  HIGHEST_PROTOCOL,
  OP,
  escapeDecode,
  opName,
  parseDecimalIndex,
  parseFloatText,
  parseIntText,
  rawUnicodeEscapeDecode,
} from './opcodes.js';
import {
  CONTAINER_KEEP,
  PyBigInt,
  PyBytes,
  PyDict,
  PyGlobal,
  PyList,
  PyLongStr,
  PyObj,
  PyPersId,
  PySet,
  PyTuple,
  PyUnknown,
  type Val,
  classOf,
  describe,
  seqItems,
} from './values.js';

/** Bytes read per window refill. */
const WINDOW = 1 << 20;
/** str/bytes payloads up to this size are decoded/kept; larger ones only their length. */
const KEEP = 4096;
/** Lines (text arguments) longer than this are read by the slow path, keeping a prefix. */
const LINE_KEEP = 64 * 1024;
/** Memo indices below this live in an array, the rest in a Map. */
const MEMO_DENSE = 1 << 22;
/** Opcodes between limit/time checks. */
const TICK = 1 << 16;
/** Pickle summaries kept in a result. */
const MAX_PICKLE_INFOS = 10_000;
/** Opcodes between yields to the event loop. */
const YIELD_EVERY = 1 << 21;
/** Findings of one rule kept per scan; the rest are counted. */
const FINDINGS_PER_RULE = 20;

const ST_STOP = 1;
const ST_NEED = 2;
const ST_TICK = 3;
const ST_ERROR = 4;
const ST_SEEK = 5;
const ST_LONGLINE = 6;
const ST_JOBLIB = 7;
const ST_EOF = 8;
const ST_LIMIT = 9;

const NUMPY_ARRAY_WRAPPER = 'joblib.numpy_pickle.NumpyArrayWrapper';
const LOAD_FROM_BYTES = 'torch.storage._load_from_bytes';

export interface MachineOptions {
  allowlist: Allowlist;
  limits: Pick<ScanLimits, 'maxPickleOpcodes' | 'maxPickleMemo' | 'maxPickleStack'>;
  /** Throws LimitExceeded('time') when the budget is spent (ScanContext.checkTime). */
  checkTime?: () => void;
  /** Region of the source holding the pickle(s). */
  start?: number;
  end?: number;
  /** Stop after this many complete pickles (default: until the end of the region). */
  maxPickles?: number;
  /** Index given to the first pickle (for pickles found after other content). */
  firstPickleIndex?: number;
  /** Model joblib's NumpyArrayWrapper: skip the array bytes that follow it (default true). */
  joblib?: boolean;
  /** Called for every persistent id (PERSID/BINPERSID) with the pickle index. */
  onPersistentId?: (pid: Val, pickleIndex: number) => void;
  /** Internal: plain-pickle reading of joblib array data (imports only, errors silent). */
  shadow?: boolean;
  /**
   * The region follows complete pickles (bytes after torch legacy storages): a first pickle that
   * breaks before any import is reported as trailing data, not as a malformed pickle.
   */
  afterComplete?: boolean;
}

export interface PickleInfo {
  index: number;
  start: number;
  /** Offset after STOP (or where parsing ended). */
  end: number;
  protocol: number;
  opcodes: number;
  /** Whether STOP was reached. */
  complete: boolean;
  /** The value STOP returned (for torch legacy: the magic number, the storage keys). */
  value: Val | undefined;
  /** Import opcodes (GLOBAL, INST, STACK_GLOBAL, EXT*) seen. */
  importOps: number;
}

/** A nested document to scan (torch.storage._load_from_bytes payload). */
export interface NestedPayload {
  offset: number;
  length: number;
  via: string;
  pickleIndex: number;
}

export interface MachineResult {
  imports: PickleImport[];
  findings: Finding[];
  /** The first MAX_PICKLE_INFOS pickles (stacked pickles can be millions of "N."). */
  pickles: PickleInfo[];
  /** Pickles parsed, and how many of them reached STOP. */
  pickleCount: number;
  completePickles: number;
  opcodes: number;
  persistentIds: number;
  /** The first few persistent ids, described (torch: ('storage', torch.FloatStorage, '0', 'cpu', 6)). */
  persistentIdExamples: string[];
  protocols: number[];
  /** Callable path -> number of calls (REDUCE, NEWOBJ, OBJ, INST, BUILD as `X.__setstate__`). */
  calls: Record<string, number>;
  nested: NestedPayload[];
  /** Where parsing ended (after the last STOP, or at the error). */
  end: number;
  stoppedBy: 'end' | 'max-pickles' | 'error' | 'limit' | 'unresolved';
  limit?: LimitExceeded;
  /** Findings over the per-rule cap, by rule. */
  suppressed: Record<string, number>;
}

/** A rejected input, not a bug: built without a stack trace (see util/cheap-error.ts). */
class ParseError extends Error {
  constructor(message: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}

/** Node's Buffer has these (what toString uses), without the argument checks. */
interface FastSlices {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

function latin1(b: Buffer, start = 0, end = b.length): string {
  return (b as unknown as FastSlices).latin1Slice(start, end);
}

function utf8(b: Buffer, start: number, end: number): string {
  return (b as unknown as FastSlices).utf8Slice(start, end);
}

interface JoblibPending {
  count: number;
  itemsize: number;
  hasObject: boolean;
  aligned: boolean;
}

/** Shared accumulators, so nested machines (joblib object arrays, shadow reads) report into one result. */
class Sink {
  imports: PickleImport[] = [];
  importKeys = new Set<string>();
  findings: Finding[] = [];
  perRule = new Map<string, number>();
  suppressed: Record<string, number> = {};
  importFindingKeys = new Set<string>();
  pickles: PickleInfo[] = [];
  pickleCount = 0;
  completePickles = 0;
  opcodes = 0;
  persistentIds = 0;
  persistentIdExamples: string[] = [];
  protocols = new Set<number>();
  calls = new Map<string, number>();
  nested: NestedPayload[] = [];
  nextPickleIndex = 0;

  add(f: Finding): void {
    const n = (this.perRule.get(f.ruleId) ?? 0) + 1;
    this.perRule.set(f.ruleId, n);
    if (n > FINDINGS_PER_RULE) {
      this.suppressed[f.ruleId] = (this.suppressed[f.ruleId] ?? 0) + 1;
      return;
    }
    this.findings.push(f);
  }

  call(path: string, n = 1): void {
    if (this.calls.size >= 1000 && !this.calls.has(path)) path = '<other>';
    this.calls.set(path, (this.calls.get(path) ?? 0) + n);
  }
}

export class PickleMachine {
  private readonly source: ByteSource;
  private readonly opts: MachineOptions;
  private readonly sink: Sink;
  private readonly regionEnd: number;
  private readonly maxOps: number;
  private readonly maxMemo: number;
  private readonly maxStack: number;
  private readonly shadow: boolean;
  private readonly joblibAware: boolean;

  // Window.
  private buf: Buffer = Buffer.alloc(0);
  private bufStart = 0;
  private atEof = false;
  /** Absolute position of the next opcode. */
  pos: number;
  private need = 0;

  // Per-pickle state.
  private stack: Val[] = [];
  private marks: number[] = [];
  private fence = 0;
  private memo: (Val | undefined)[] = [];
  private memoMap = new Map<number, Val>();
  private memoCount = 0;
  /** Shadow readings see the outer pickle's memo read-only, under their own writes. */
  private memoBase: { memo: (Val | undefined)[]; memoMap: Map<number, Val> } | null = null;
  /** Shadow readings start from the outer pickle's stack, marks and memo at the array data. */
  private inheritFrom: PickleMachine | null = null;
  private proto = 0;
  private framing = false;
  private frameEnd = -1;
  private unframedRun = 0;
  private frameFindings = 0;
  private ops = 0;
  private nextTick = TICK;
  private pickleIndex = 0;
  private importOps = 0;
  private errorMessage = '';
  private errorOffset = 0;
  private limitHit: LimitExceeded | undefined;
  private pendingJoblib: JoblibPending | null = null;
  private stopValue: Val | undefined;
  private sinceYield = 0;
  private longLineCode = 0;

  constructor(source: ByteSource, opts: MachineOptions, sink?: Sink) {
    this.source = source;
    this.opts = opts;
    this.sink = sink ?? new Sink();
    if (opts.firstPickleIndex !== undefined) this.sink.nextPickleIndex = Math.max(this.sink.nextPickleIndex, opts.firstPickleIndex);
    this.pos = opts.start ?? 0;
    this.regionEnd = Math.min(opts.end ?? source.size, source.size);
    this.maxOps = opts.limits.maxPickleOpcodes;
    this.maxMemo = opts.limits.maxPickleMemo;
    this.maxStack = opts.limits.maxPickleStack;
    this.shadow = opts.shadow === true;
    this.joblibAware = opts.joblib !== false && !this.shadow;
    if (opts.afterComplete) this.firstIndexOfRun = -2;
  }

  /** Parses every pickle in the region (stacked pickles), stopping at the first error or limit. */
  async scanAll(): Promise<MachineResult> {
    let stoppedBy: MachineResult['stoppedBy'] = 'end';
    let done = 0;
    while (this.pos < this.regionEnd) {
      if (this.opts.maxPickles !== undefined && done >= this.opts.maxPickles) {
        stoppedBy = 'max-pickles';
        break;
      }
      if ((done & 0xff) === 0xff) {
        // Millions of tiny stacked pickles never reach an opcode tick: check the budget here too.
        try {
          this.opts.checkTime?.();
        } catch (err) {
          if (!(err instanceof LimitExceeded)) throw err;
          this.limitHit = err;
          stoppedBy = 'limit';
          break;
        }
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const info = await this.scanOne();
      if (info === null) break;
      if (this.limitHit) {
        stoppedBy = 'limit';
        break;
      }
      if (!info.complete) {
        stoppedBy = this.errorMessage === '\0unresolved' ? 'unresolved' : 'error';
        break;
      }
      done++;
    }
    return this.result(stoppedBy);
  }

  result(stoppedBy: MachineResult['stoppedBy']): MachineResult {
    const s = this.sink;
    return {
      imports: s.imports,
      findings: s.findings,
      pickles: s.pickles,
      pickleCount: s.pickleCount,
      completePickles: s.completePickles,
      opcodes: s.opcodes,
      persistentIds: s.persistentIds,
      persistentIdExamples: s.persistentIdExamples,
      protocols: [...s.protocols].sort(),
      calls: Object.fromEntries(s.calls),
      nested: s.nested,
      end: this.pos,
      stoppedBy,
      ...(this.limitHit ? { limit: this.limitHit } : {}),
      suppressed: s.suppressed,
    };
  }

  /**
   * Parses one pickle from `pos`. Returns its info (complete=false after an error or a limit,
   * which are already recorded), or null when the region is exhausted before any opcode.
   */
  async scanOne(): Promise<PickleInfo | null> {
    if (this.pos >= this.regionEnd) return null;
    this.resetPickle();
    const info: PickleInfo = { index: this.pickleIndex, start: this.pos, end: this.pos, protocol: 0, opcodes: 0, complete: false, value: undefined, importOps: 0 };
    let status: number;
    try {
      status = await this.drive();
    } catch (err) {
      if (err instanceof LimitExceeded) {
        this.limitHit = err;
        status = ST_LIMIT;
      } else if (err instanceof ParseError) {
        this.errorMessage = err.message;
        this.pos = this.errorOffset;
        status = ST_ERROR;
      } else {
        throw err;
      }
    }
    info.end = this.pos;
    info.protocol = this.proto;
    info.opcodes = this.ops;
    info.importOps = this.importOps;
    this.sink.opcodes += this.ops;
    if (status === ST_STOP) {
      info.complete = true;
      info.value = this.stopValue;
    } else if (status === ST_LIMIT) {
      // recorded by the caller from result().limit
    } else if (status === ST_ERROR && !this.shadow) {
      if (this.errorMessage === '\0unresolved') {
        // an unresolvable joblib array: already reported
      } else if (this.pickleIndex > this.firstIndexOfRun && this.importOps === 0) {
        this.sink.add({
          ruleId: 'pickle.trailing-data',
          severity: 'low',
          verdict: 'unknown',
          message: `bytes after the last complete pickle do not parse (${this.errorMessage}); loaders stop there with an error before any import, but the bytes cannot be accounted for`,
          location: { offset: this.errorOffset },
        });
      } else {
        this.sink.add({
          ruleId: 'pickle.malformed',
          severity: 'high',
          verdict: 'unsafe',
          message: `pickle ${this.pickleIndex} is malformed at offset ${this.errorOffset}: ${this.errorMessage}. Everything before it was analyzed; a broken pickle is treated as unsafe (a loader runs what precedes the break)`,
          location: { offset: this.errorOffset },
        });
      }
    }
    this.sink.pickleCount++;
    if (info.complete) this.sink.completePickles++;
    if (this.sink.pickles.length < MAX_PICKLE_INFOS) this.sink.pickles.push(info);
    return info;
  }

  private firstIndexOfRun = -1;

  private resetPickle(): void {
    this.stack = [];
    this.marks = [];
    this.fence = 0;
    this.memo = [];
    this.memoMap = new Map();
    this.memoCount = 0;
    this.proto = 0;
    this.framing = false;
    this.frameEnd = -1;
    this.unframedRun = 0;
    this.frameFindings = 0;
    this.ops = 0;
    this.nextTick = Math.min(TICK, this.maxOps + 1);
    this.pickleIndex = this.sink.nextPickleIndex++;
    if (this.firstIndexOfRun === -1) this.firstIndexOfRun = this.pickleIndex;
    this.importOps = 0;
    this.errorMessage = '';
    this.errorOffset = this.pos;
    this.pendingJoblib = null;
    this.stopValue = undefined;
    const outer = this.inheritFrom;
    if (outer) {
      this.inheritFrom = null;
      this.stack = outer.stack.slice();
      this.marks = outer.marks.slice();
      this.fence = outer.fence;
      this.proto = outer.proto;
      this.memoBase = { memo: outer.memo, memoMap: outer.memoMap };
      this.memoCount = outer.memoCount;
    }
  }

  private async drive(): Promise<number> {
    for (;;) {
      if (this.pos < this.bufStart || this.pos > this.bufStart + this.buf.length || (this.pos === this.bufStart + this.buf.length && !this.atEof)) {
        await this.fill(9);
      }
      const st = this.run();
      switch (st) {
        case ST_STOP:
        case ST_ERROR:
        case ST_LIMIT:
          return st;
        case ST_EOF:
          this.errorOffset = this.pos;
          this.errorMessage = 'pickle data was truncated (no STOP opcode before the end)';
          return ST_ERROR;
        case ST_NEED:
          await this.fill(this.need);
          break;
        case ST_SEEK:
          await this.fill(9);
          break;
        case ST_TICK:
          await this.tick();
          break;
        case ST_LONGLINE:
          await this.longLineOp();
          break;
        case ST_JOBLIB: {
          const ok = await this.joblibArray();
          if (!ok) return ST_ERROR;
          break;
        }
      }
    }
  }

  private async fill(n: number): Promise<void> {
    const have = this.bufStart + this.buf.length;
    if (this.pos >= this.bufStart && this.pos + n <= have) return;
    const len = Math.min(Math.max(WINDOW, n), this.regionEnd - this.pos);
    this.buf = len > 0 ? await this.source.read(this.pos, len) : Buffer.alloc(0);
    this.bufStart = this.pos;
    this.atEof = this.pos + this.buf.length >= this.regionEnd || this.buf.length < len;
  }

  private async tick(): Promise<void> {
    if (this.ops > this.maxOps) {
      throw new LimitExceeded('maxPickleOpcodes', `pickle ${this.pickleIndex} has more than ${this.maxOps} opcodes; analysis stopped at offset ${this.pos}`);
    }
    this.opts.checkTime?.();
    this.nextTick = Math.min(this.ops + TICK, this.maxOps + 1);
    this.sinceYield += TICK;
    if (this.sinceYield >= YIELD_EVERY) {
      this.sinceYield = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  // ---------------------------------------------------------------- findings and imports

  private fail(offset: number, message: string): never {
    this.errorOffset = offset;
    throw new ParseError(message);
  }

  private frameViolation(offset: number, message: string): void {
    if (this.shadow) return;
    if (++this.frameFindings > 3) return;
    this.sink.add({
      ruleId: 'pickle.frame-violation',
      severity: 'high',
      verdict: 'unsafe',
      message: `pickle ${this.pickleIndex}: ${message}. CPython's loaders disagree on such framing; parsers that trust frames can be made to skip opcodes`,
      location: { offset },
    });
  }

  /** Records an import and returns the pushed global. `truncated` names can never be safe. */
  private importGlobal(rawModule: string, rawName: string, op: number, offset: number, truncated = false): PyGlobal {
    this.importOps++;
    let module = rawModule;
    let name = rawName;
    let c = this.opts.allowlist.classify(module, name) as { verdict: ImportVerdict; reason: string; severity?: Severity };
    // find_class applies the Python 2 fixes below protocol 3 (fix_imports=True, the default), so the
    // mapped name is what gets imported there; a name that is denied either way stays denied
    // (fix_imports=False loaders, Python 2 loaders).
    const [m, n] = mapPython2Name(rawModule, rawName);
    if (m !== rawModule || n !== rawName) {
      const mapped = this.opts.allowlist.classify(m, n) as typeof c;
      if (this.proto < 3) {
        module = m;
        name = n;
        c = c.verdict === 'unsafe' && mapped.verdict !== 'unsafe' ? c : { ...mapped, reason: `${mapped.reason} (Python 2 name ${rawModule}.${rawName})` };
      } else if (mapped.verdict === 'unsafe') {
        c = { ...mapped, reason: `${mapped.reason} (as the Python 2 name of ${m}.${n})` };
      }
    }
    let verdict = c.verdict;
    let reason = c.reason;
    if (truncated && verdict === 'safe') {
      verdict = 'unknown';
      reason = 'name too long to analyze';
    }
    const opcode = opName(op);
    if (this.shadow) {
      reason = `read by plain pickle.load inside joblib array data: ${reason}`;
    }
    const key = `${this.pickleIndex}\0${module}\0${name}`;
    if (!this.sink.importKeys.has(key) && this.sink.importKeys.size < 100_000) {
      this.sink.importKeys.add(key);
      this.sink.imports.push({ module, name, verdict, reason, opcode, offset, pickleIndex: this.pickleIndex });
    }
    if (verdict !== 'safe') {
      const fkey = `${module}\0${name}`;
      if (!this.sink.importFindingKeys.has(fkey)) {
        this.sink.importFindingKeys.add(fkey);
        if (verdict === 'unsafe') {
          this.sink.add({
            ruleId: 'pickle.unsafe-import',
            severity: c.severity ?? 'high',
            verdict: 'unsafe',
            message: `pickle ${this.pickleIndex} imports ${module}.${name} (${opcode} at offset ${offset}): ${reason}`,
            location: { offset },
          });
        } else {
          this.sink.add({
            ruleId: 'pickle.unknown-import',
            severity: 'medium',
            verdict: 'unknown',
            message: `pickle ${this.pickleIndex} imports ${module}.${name} (${opcode} at offset ${offset}), which is not on the allowlist, so the file cannot be proved safe. If you trust it, allow it with --allow ${module}.${name} (or a policy entry)`,
            location: { offset },
          });
        }
      }
    }
    return new PyGlobal(module, name, verdict, true);
  }

  private unresolvedGlobal(op: number, offset: number, module: Val | undefined, name: Val | undefined): PyGlobal {
    this.importOps++;
    const m = typeof module === 'string' ? module : describe(module);
    const n = typeof name === 'string' ? name : describe(name);
    if (!this.shadow) {
      this.sink.add({
        ruleId: 'pickle.unresolved-global',
        severity: 'critical',
        verdict: 'unsafe',
        message: `pickle ${this.pickleIndex}: ${opName(op)} at offset ${offset} imports a module/name that is not a constant string (module ${m}, name ${n}); what it loads cannot be known statically`,
        location: { offset },
      });
    }
    const key = `${this.pickleIndex}\0${m}\0${n}`;
    if (!this.sink.importKeys.has(key) && this.sink.importKeys.size < 100_000) {
      this.sink.importKeys.add(key);
      this.sink.imports.push({ module: m, name: n, verdict: 'unsafe', reason: 'module or name is not a constant string', opcode: opName(op), offset, pickleIndex: this.pickleIndex });
    }
    return new PyGlobal(m, n, 'unsafe', false);
  }

  private extImport(op: number, offset: number, code: number): PyGlobal {
    this.importOps++;
    if (!this.shadow) {
      this.sink.add({
        ruleId: 'pickle.ext-opcode',
        severity: 'critical',
        verdict: 'unsafe',
        message: `pickle ${this.pickleIndex}: ${opName(op)} at offset ${offset} loads extension code ${code} from the copyreg extension registry, which is process state a scan cannot see`,
        location: { offset },
      });
    }
    const key = `${this.pickleIndex}\0copyreg extension\0${code}`;
    if (!this.sink.importKeys.has(key) && this.sink.importKeys.size < 100_000) {
      this.sink.importKeys.add(key);
      this.sink.imports.push({ module: '<copyreg extension>', name: String(code), verdict: 'unsafe', reason: 'extension registry code; not resolvable statically', opcode: opName(op), offset, pickleIndex: this.pickleIndex });
    }
    return new PyGlobal('<copyreg extension>', String(code), 'unsafe', false);
  }

  /** A call (REDUCE, NEWOBJ, NEWOBJ_EX, OBJ) on `callee`; returns the symbolic result. */
  private call(op: number, offset: number, callee: Val, args: Val): PyObj {
    if (callee instanceof PyGlobal) {
      this.sink.call(callee.resolved ? callee.path : '<unresolved>');
      if (callee.resolved && callee.module === 'torch.storage' && callee.name === '_load_from_bytes') this.loadFromBytes(offset, args);
    } else {
      this.sink.call('<unresolved>');
      if (!this.shadow) {
        this.sink.add({
          ruleId: 'pickle.unresolved-call',
          severity: 'high',
          verdict: 'unsafe',
          message: `pickle ${this.pickleIndex}: ${opName(op)} at offset ${offset} calls ${describe(callee)}, which is not an imported global; what runs cannot be known statically`,
          location: { offset },
        });
      }
    }
    return new PyObj(callee, opName(op), args);
  }

  private loadFromBytes(offset: number, args: Val): void {
    if (this.shadow) return;
    const items = seqItems(args);
    const b = items?.[0];
    if (items && items.length === 1 && b instanceof PyBytes && b.offset >= 0 && !b.bytearray) {
      this.sink.nested.push({ offset: b.offset, length: b.len, via: LOAD_FROM_BYTES, pickleIndex: this.pickleIndex });
    } else {
      this.sink.add({
        ruleId: 'pickle.nested-load-unverified',
        severity: 'medium',
        verdict: 'unknown',
        message: `pickle ${this.pickleIndex}: ${LOAD_FROM_BYTES} at offset ${offset} runs torch.load on ${describe(b)}, which is not a raw bytes payload this scan can read`,
        location: { offset },
      });
    }
  }

  private build(offset: number, inst: Val, state: Val): boolean {
    if (inst instanceof PyObj) {
      const cls = classOf(inst);
      this.sink.call(cls ? `${cls.path}.__setstate__` : '<unresolved>.__setstate__');
      // A second BUILD on the same object adds to its __dict__ (what joblib's wrapper reads).
      inst.state = inst.state instanceof PyDict && state instanceof PyDict ? mergeDicts(inst.state, state) : state;
      if (this.joblibAware && cls && cls.resolved && cls.path === NUMPY_ARRAY_WRAPPER) return true;
      return false;
    }
    this.sink.call('<unresolved>.__setstate__');
    if (!this.shadow) {
      this.sink.add({
        ruleId: 'pickle.unresolved-call',
        severity: 'high',
        verdict: 'unsafe',
        message: `pickle ${this.pickleIndex}: BUILD at offset ${offset} sets state on ${describe(inst)}, which is not an object the pickle created; it would call __setstate__ or set attributes on it`,
        location: { offset },
      });
    }
    return false;
  }

  private persistentId(pid: Val): PyPersId {
    this.sink.persistentIds++;
    if (this.sink.persistentIdExamples.length < 3) this.sink.persistentIdExamples.push(describe(pid));
    this.opts.onPersistentId?.(pid, this.pickleIndex);
    return new PyPersId(pid);
  }

  private memoPut(idx: number, v: Val, offset: number): void {
    if (idx < MEMO_DENSE) {
      if (this.memo[idx] === undefined && (this.memoBase === null || this.memoBase.memo[idx] === undefined)) this.memoCount++;
      this.memo[idx] = v;
    } else {
      if (!this.memoMap.has(idx) && (this.memoBase === null || !this.memoBase.memoMap.has(idx))) this.memoCount++;
      this.memoMap.set(idx, v);
    }
    if (this.memoCount > this.maxMemo) {
      throw new LimitExceeded('maxPickleMemo', `pickle ${this.pickleIndex} has more than ${this.maxMemo} memo entries (offset ${offset})`);
    }
  }

  private memoGet(idx: number, offset: number): Val {
    let v = idx < MEMO_DENSE ? this.memo[idx] : this.memoMap.get(idx);
    if (v === undefined && this.memoBase) v = idx < MEMO_DENSE ? this.memoBase.memo[idx] : this.memoBase.memoMap.get(idx);
    if (v === undefined) this.fail(offset, `memo value not found at index ${idx}`);
    return v;
  }

  // ---------------------------------------------------------------- frames

  private frameEndRel(): number {
    if (!this.framing) return Infinity;
    return this.frameEnd >= 0 ? this.frameEnd - this.bufStart : -1;
  }

  /** Called when an opcode [pAbs, qAbs) is not inside the current frame. */
  private frameCheck(pAbs: number, qAbs: number, op: number): void {
    if (this.frameEnd >= 0) {
      if (pAbs < this.frameEnd) {
        this.frameViolation(pAbs, `${opName(op)} at offset ${pAbs} (${qAbs - pAbs} bytes) runs past the end of its frame at offset ${this.frameEnd}`);
        this.frameEnd = -1;
        this.unframedRun = 0;
        return;
      }
      this.frameEnd = -1;
      this.unframedRun = 0;
    }
    if (!this.framing) return;
    // CPython's picklers write str/bytes payloads of 64 KiB or more outside frames (and
    // pickletools.optimize any opcode longer than 64 KiB), and frames of fewer than 4 bytes without
    // a FRAME header; nothing else is ever unframed.
    if (qAbs - pAbs > FRAME_SIZE_TARGET) {
      this.unframedRun = 0;
      return;
    }
    this.unframedRun += qAbs - pAbs;
    if (this.unframedRun >= 4) {
      this.frameViolation(pAbs, `opcodes outside any frame at offset ${pAbs} in a pickle that uses framing`);
      this.unframedRun = -Infinity;
    }
  }

  private frameOp(pAbs: number, len: number): void {
    if (this.frameEnd >= 0 && pAbs < this.frameEnd) this.frameViolation(pAbs, `FRAME at offset ${pAbs} inside the frame ending at ${this.frameEnd} (frames cannot nest)`);
    if (this.proto < 4) this.frameViolation(pAbs, `FRAME at offset ${pAbs} in a protocol ${this.proto} pickle (framing exists from protocol 4)`);
    if (len === 0) this.frameViolation(pAbs, `empty FRAME at offset ${pAbs}`);
    const start = pAbs + 9;
    if (len > this.regionEnd - start) this.frameViolation(pAbs, `FRAME at offset ${pAbs} declares ${len} bytes but only ${this.regionEnd - start} remain`);
    this.framing = true;
    this.frameEnd = start + len;
    this.unframedRun = 0;
  }

  // ---------------------------------------------------------------- the hot loop

  /**
   * Runs opcodes from `pos` over the window until the pickle ends or the async side is needed.
   * Invariant on return: `pos` is the offset of the next unprocessed opcode.
   */
  private run(): number {
    const buf = this.buf;
    const end = buf.length;
    const eof = this.atEof;
    const base = this.bufStart;
    const stack = this.stack;
    const maxStack = this.maxStack;
    const regionEnd = this.regionEnd;
    let p = this.pos - base;
    let fence = this.fence;
    let fe = this.frameEndRel();
    let ops = this.ops;
    const tickAt = this.nextTick;
    let status = 0;

    loop: for (;;) {
      if (p + 9 > end && !eof) {
        this.need = 9;
        status = ST_NEED;
        break;
      }
      if (p >= end) {
        status = ST_EOF;
        break;
      }
      if (ops >= tickAt) {
        status = ST_TICK;
        break;
      }
      if (stack.length > maxStack) {
        this.pos = base + p;
        this.ops = ops;
        throw new LimitExceeded('maxPickleStack', `pickle ${this.pickleIndex} stack deeper than ${maxStack} (offset ${base + p})`);
      }
      const op = buf[p]!;
      let q: number;
      switch (op) {
        // ---- simple pushes
        case OP.NONE:
          q = p + 1;
          stack.push(null);
          break;
        case OP.NEWTRUE:
          q = p + 1;
          stack.push(true);
          break;
        case OP.NEWFALSE:
          q = p + 1;
          stack.push(false);
          break;
        case OP.BININT1:
          q = p + 2;
          if (q > end) break loop;
          stack.push(buf[p + 1]!);
          break;
        case OP.BININT2:
          q = p + 3;
          if (q > end) break loop;
          stack.push(buf[p + 1]! | (buf[p + 2]! << 8));
          break;
        case OP.BININT:
          q = p + 5;
          if (q > end) break loop;
          stack.push(buf.readInt32LE(p + 1));
          break;
        case OP.BINFLOAT:
          q = p + 9;
          if (q > end) break loop;
          stack.push(buf.readDoubleBE(p + 1));
          break;
        case OP.LONG1: {
          if (p + 2 > end) break loop;
          const n = buf[p + 1]!;
          q = p + 2 + n;
          if (q > end) {
            if (!eof) {
              this.need = 2 + n;
              status = ST_NEED;
              break loop;
            }
            break loop;
          }
          stack.push(decodeLong(buf, p + 2, n));
          break;
        }
        case OP.LONG4: {
          if (p + 5 > end) break loop;
          const n = buf.readInt32LE(p + 1);
          if (n < 0) this.fail(base + p, 'LONG pickle has negative byte count');
          if (n > regionEnd - (base + p + 5)) this.fail(base + p, `LONG4 declares ${n} bytes but only ${regionEnd - (base + p + 5)} remain`);
          q = p + 5 + n;
          if (q > end) {
            if (n <= KEEP) {
              this.need = 5 + n;
              status = ST_NEED;
              break loop;
            }
            stack.push(new PyBigInt(n));
            if (q > fe) this.frameCheck(base + p, base + q, op);
            this.pos = base + q;
            this.ops = ops + 1;
            this.fence = fence;
            return ST_SEEK;
          }
          stack.push(n <= 16 ? decodeLong(buf, p + 5, n) : new PyBigInt(n));
          break;
        }

        // ---- counted str / bytes
        case OP.SHORT_BINUNICODE:
        case OP.SHORT_BINSTRING:
        case OP.SHORT_BINBYTES: {
          if (p + 2 > end) break loop;
          const n = buf[p + 1]!;
          q = p + 2 + n;
          if (q > end) {
            if (!eof) {
              this.need = 2 + n;
              status = ST_NEED;
            }
            break loop;
          }
          if (op === OP.SHORT_BINBYTES) stack.push(new PyBytes(n, base + p + 2, n <= 64 ? latin1(buf, p + 2, q) : null, false));
          else if (op === OP.SHORT_BINUNICODE) stack.push(utf8(buf, p + 2, q));
          else stack.push(latin1(buf, p + 2, q));
          break;
        }
        case OP.BINUNICODE:
        case OP.BINSTRING:
        case OP.BINBYTES:
        case OP.BINUNICODE8:
        case OP.BINBYTES8:
        case OP.BYTEARRAY8: {
          const wide = op === OP.BINUNICODE8 || op === OP.BINBYTES8 || op === OP.BYTEARRAY8;
          const hdr = wide ? 9 : 5;
          if (p + hdr > end) break loop;
          let n: number;
          if (wide) {
            const hi = buf.readUInt32LE(p + 5);
            n = hi >= 0x200000 ? Infinity : hi * 0x100000000 + buf.readUInt32LE(p + 1);
          } else if (op === OP.BINSTRING) {
            n = buf.readInt32LE(p + 1);
            if (n < 0) this.fail(base + p, 'BINSTRING pickle has negative byte count');
          } else {
            n = buf.readUInt32LE(p + 1);
          }
          const avail = regionEnd - (base + p + hdr);
          if (n > avail) this.fail(base + p, `${opName(op)} declares ${n} bytes but only ${avail} remain`);
          q = p + hdr + n;
          const isStr = op === OP.BINUNICODE || op === OP.BINUNICODE8 || op === OP.BINSTRING;
          if (n <= KEEP) {
            if (q > end) {
              this.need = hdr + n;
              status = ST_NEED;
              break loop;
            }
            if (isStr) stack.push(op === OP.BINSTRING ? latin1(buf, p + hdr, q) : utf8(buf, p + hdr, q));
            else stack.push(new PyBytes(n, base + p + hdr, n <= 64 ? latin1(buf, p + hdr, q) : null, op === OP.BYTEARRAY8));
            break;
          }
          stack.push(isStr ? new PyLongStr(n) : new PyBytes(n, base + p + hdr, null, op === OP.BYTEARRAY8));
          if (q > fe) {
            this.frameCheck(base + p, base + q, op);
            fe = this.frameEndRel();
          }
          if (q > end) {
            // Skip the payload without reading it.
            this.pos = base + q;
            this.ops = ops + 1;
            this.fence = fence;
            return ST_SEEK;
          }
          p = q;
          ops++;
          continue;
        }

        // ---- newline-terminated arguments
        case OP.INT:
        case OP.LONG:
        case OP.FLOAT:
        case OP.STRING:
        case OP.UNICODE:
        case OP.PERSID:
        case OP.GET:
        case OP.PUT: {
          const nl = buf.indexOf(10, p + 1);
          if (nl < 0 || nl >= end) {
            if (eof) this.fail(base + p, `${opName(op)} argument is not terminated by a newline (truncated)`);
            if (p !== 0) {
              this.need = WINDOW;
              status = ST_NEED;
              break loop;
            }
            this.longLineCode = op;
            status = ST_LONGLINE;
            break loop;
          }
          q = nl + 1;
          const line = buf.subarray(p + 1, nl);
          this.textOp(op, line, base + p, fence);
          break;
        }
        case OP.GLOBAL:
        case OP.INST: {
          const nl1 = buf.indexOf(10, p + 1);
          const nl2 = nl1 < 0 ? -1 : buf.indexOf(10, nl1 + 1);
          if (nl2 < 0 || nl2 >= end) {
            if (eof) this.fail(base + p, `${opName(op)} argument is not two newline-terminated lines (truncated)`);
            if (p !== 0) {
              this.need = WINDOW;
              status = ST_NEED;
              break loop;
            }
            this.longLineCode = op;
            status = ST_LONGLINE;
            break loop;
          }
          q = nl2 + 1;
          if (q > fe) {
            this.frameCheck(base + p, base + q, op);
            fe = this.frameEndRel();
          }
          fence = this.globalOp(op, base + p, buf.subarray(p + 1, nl1), buf.subarray(nl1 + 1, nl2), false, fence);
          p = q;
          ops++;
          continue;
        }

        // ---- memo
        case OP.BINPUT:
          q = p + 2;
          if (q > end) break loop;
          if (stack.length <= fence) this.fail(base + p, 'BINPUT with an empty stack');
          this.memoPut(buf[p + 1]!, stack[stack.length - 1]!, base + p);
          break;
        case OP.LONG_BINPUT:
          q = p + 5;
          if (q > end) break loop;
          if (stack.length <= fence) this.fail(base + p, 'LONG_BINPUT with an empty stack');
          this.memoPut(buf.readUInt32LE(p + 1), stack[stack.length - 1]!, base + p);
          break;
        case OP.MEMOIZE:
          q = p + 1;
          if (stack.length <= fence) this.fail(base + p, 'MEMOIZE with an empty stack');
          this.memoPut(this.memoCount, stack[stack.length - 1]!, base + p);
          break;
        case OP.BINGET:
          q = p + 2;
          if (q > end) break loop;
          stack.push(this.memoGet(buf[p + 1]!, base + p));
          break;
        case OP.LONG_BINGET:
          q = p + 5;
          if (q > end) break loop;
          stack.push(this.memoGet(buf.readUInt32LE(p + 1), base + p));
          break;

        // ---- stack structure
        case OP.MARK:
          q = p + 1;
          this.marks.push(stack.length);
          fence = stack.length;
          if (this.marks.length > maxStack) {
            this.pos = base + p;
            this.ops = ops;
            throw new LimitExceeded('maxPickleStack', `pickle ${this.pickleIndex} has more than ${maxStack} nested marks (offset ${base + p})`);
          }
          break;
        case OP.POP:
          q = p + 1;
          if (this.marks.length > 0 && this.marks[this.marks.length - 1] === stack.length) {
            this.marks.pop();
            fence = this.marks.length > 0 ? this.marks[this.marks.length - 1]! : 0;
          } else {
            if (stack.length <= fence) this.fail(base + p, 'unpickling stack underflow (POP)');
            stack.pop();
          }
          break;
        case OP.POP_MARK:
          q = p + 1;
          fence = this.popMark(base + p, null);
          break;
        case OP.DUP:
          q = p + 1;
          if (stack.length <= fence) this.fail(base + p, 'unpickling stack underflow (DUP)');
          stack.push(stack[stack.length - 1]!);
          break;

        // ---- containers
        case OP.EMPTY_TUPLE:
          q = p + 1;
          stack.push(new PyTuple([], 0));
          break;
        case OP.EMPTY_LIST:
          q = p + 1;
          stack.push(new PyList());
          break;
        case OP.EMPTY_DICT:
          q = p + 1;
          stack.push(new PyDict());
          break;
        case OP.EMPTY_SET:
          q = p + 1;
          stack.push(new PySet(false));
          break;
        case OP.TUPLE1:
        case OP.TUPLE2:
        case OP.TUPLE3: {
          q = p + 1;
          const k = op - OP.TUPLE1 + 1;
          if (stack.length - fence < k) this.fail(base + p, `unpickling stack underflow (${opName(op)})`);
          const items = stack.splice(stack.length - k, k);
          stack.push(new PyTuple(items, k));
          break;
        }
        case OP.TUPLE:
        case OP.LIST:
        case OP.FROZENSET:
        case OP.DICT: {
          q = p + 1;
          const items: Val[] = [];
          fence = this.popMark(base + p, items);
          stack.push(makeContainer(op, items, base + p, (o, msg) => this.fail(o, msg)));
          break;
        }
        case OP.APPEND: {
          q = p + 1;
          if (stack.length - fence < 2) this.fail(base + p, 'unpickling stack underflow (APPEND)');
          const v = stack.pop()!;
          this.addTo(op, stack[stack.length - 1]!, [v], base + p);
          break;
        }
        case OP.SETITEM: {
          q = p + 1;
          if (stack.length - fence < 3) this.fail(base + p, 'unpickling stack underflow (SETITEM)');
          const v = stack.pop()!;
          const k = stack.pop()!;
          this.addTo(op, stack[stack.length - 1]!, [k, v], base + p);
          break;
        }
        case OP.APPENDS:
        case OP.SETITEMS:
        case OP.ADDITEMS: {
          q = p + 1;
          const items: Val[] = [];
          fence = this.popMark(base + p, items);
          if (stack.length <= fence) this.fail(base + p, `unpickling stack underflow (${opName(op)})`);
          this.addTo(op, stack[stack.length - 1]!, items, base + p);
          break;
        }

        // ---- imports and calls
        case OP.STACK_GLOBAL: {
          q = p + 1;
          if (stack.length - fence < 2) this.fail(base + p, 'unpickling stack underflow (STACK_GLOBAL)');
          const name = stack.pop()!;
          const module = stack.pop()!;
          if (typeof module === 'string' && typeof name === 'string') {
            if (this.shadow && !(DOTTED_IDENTIFIER.test(module) && DOTTED_IDENTIFIER.test(name))) this.fail(base + p, 'not an importable name');
            stack.push(this.importGlobal(module, name, op, base + p));
          } else {
            if (this.shadow) this.fail(base + p, 'STACK_GLOBAL requires str');
            stack.push(this.unresolvedGlobal(op, base + p, module, name));
          }
          break;
        }
        case OP.EXT1:
        case OP.EXT2:
        case OP.EXT4: {
          const w = op === OP.EXT1 ? 1 : op === OP.EXT2 ? 2 : 4;
          q = p + 1 + w;
          if (q > end) break loop;
          const code = w === 1 ? buf[p + 1]! : w === 2 ? buf.readUInt16LE(p + 1) : buf.readInt32LE(p + 1);
          if (code <= 0) this.fail(base + p, `EXT specifies code <= 0`);
          if (this.shadow) this.fail(base + p, 'extension code in array data');
          stack.push(this.extImport(op, base + p, code));
          break;
        }
        // REDUCE calls a callable, NEWOBJ a class: both replace (callable, args) with the result.
        case OP.REDUCE:
        case OP.NEWOBJ: {
          q = p + 1;
          if (stack.length - fence < 2) this.fail(base + p, `unpickling stack underflow (${op === OP.REDUCE ? 'REDUCE' : 'NEWOBJ'})`);
          const args = stack.pop()!;
          const callee = stack[stack.length - 1]!;
          stack[stack.length - 1] = this.call(op, base + p, callee, args);
          break;
        }
        case OP.NEWOBJ_EX: {
          q = p + 1;
          if (stack.length - fence < 3) this.fail(base + p, 'unpickling stack underflow (NEWOBJ_EX)');
          stack.pop(); // kwargs
          const args = stack.pop()!;
          const cls = stack[stack.length - 1]!;
          stack[stack.length - 1] = this.call(op, base + p, cls, args);
          break;
        }
        case OP.OBJ: {
          q = p + 1;
          const items: Val[] = [];
          fence = this.popMark(base + p, items);
          if (items.length === 0) this.fail(base + p, 'OBJ without a class after MARK');
          const cls = items.shift()!;
          stack.push(this.call(op, base + p, cls, new PyTuple(items, items.length)));
          break;
        }
        case OP.BUILD: {
          q = p + 1;
          if (stack.length - fence < 2) this.fail(base + p, 'unpickling stack underflow (BUILD)');
          const state = stack.pop()!;
          const inst = stack[stack.length - 1]!;
          if (this.build(base + p, inst, state)) {
            const w = joblibWrapper(inst as PyObj);
            if (q > fe) this.frameCheck(base + p, base + q, op);
            this.pos = base + q;
            this.ops = ops + 1;
            this.fence = fence;
            if (w === null) {
              this.sink.add({
                ruleId: 'joblib.unresolved-array',
                severity: 'medium',
                verdict: 'unknown',
                message: `pickle ${this.pickleIndex}: joblib NumpyArrayWrapper at offset ${base + p} has a shape or dtype this scan cannot size, so the array bytes that follow cannot be located; the rest of the file was not analyzed`,
                location: { offset: base + p },
              });
              this.errorMessage = '\0unresolved';
              return ST_ERROR;
            }
            this.pendingJoblib = w;
            return ST_JOBLIB;
          }
          break;
        }
        case OP.BINPERSID: {
          q = p + 1;
          if (stack.length <= fence) this.fail(base + p, 'unpickling stack underflow (BINPERSID)');
          stack.push(this.persistentId(stack.pop()!));
          break;
        }
        case OP.NEXT_BUFFER:
          q = p + 1;
          stack.push(new PyUnknown('out-of-band buffer'));
          break;
        case OP.READONLY_BUFFER:
          q = p + 1;
          if (stack.length <= fence) this.fail(base + p, 'unpickling stack underflow (READONLY_BUFFER)');
          break;

        // ---- protocol, framing, end
        case OP.PROTO: {
          q = p + 2;
          if (q > end) break loop;
          const v = buf[p + 1]!;
          if (v > HIGHEST_PROTOCOL) this.fail(base + p, `unsupported pickle protocol: ${v}`);
          this.proto = v;
          if (!this.shadow) this.sink.protocols.add(v);
          break;
        }
        case OP.FRAME: {
          q = p + 9;
          if (q > end) break loop;
          const hi = buf.readUInt32LE(p + 5);
          const len = hi >= 0x200000 ? Number.MAX_SAFE_INTEGER : hi * 0x100000000 + buf.readUInt32LE(p + 1);
          if (!this.shadow) this.frameOp(base + p, len);
          else this.framing = false;
          fe = this.frameEndRel();
          p = q;
          ops++;
          continue;
        }
        case OP.STOP: {
          q = p + 1;
          if (q > fe) this.frameCheck(base + p, base + q, op);
          if (stack.length <= fence) this.fail(base + p, 'unpickling stack underflow (STOP)');
          const v = stack.pop()!;
          if (!this.shadow) {
            if (stack.length > 0 || this.marks.length > 0) {
              this.sink.add({
                ruleId: 'pickle.malformed',
                severity: 'high',
                verdict: 'unsafe',
                message: `pickle ${this.pickleIndex}: STOP at offset ${base + p} leaves ${stack.length} value(s) and ${this.marks.length} mark(s) on the stack; no pickler writes that`,
                location: { offset: base + p },
              });
            }
            if (this.frameEnd >= 0 && base + q < this.frameEnd) {
              this.frameViolation(base + p, `STOP at offset ${base + p} before the end of its frame at ${this.frameEnd}: the C and Python loaders resume at different offsets`);
            }
          }
          this.stopValue = v;
          this.pos = base + q;
          this.ops = ops + 1;
          this.fence = fence;
          return ST_STOP;
        }
        default:
          this.fail(base + p, `invalid opcode 0x${op.toString(16).padStart(2, '0')}`);
      }
      if (q > end) break loop;
      if (q > fe) {
        this.frameCheck(base + p, base + q, op);
        fe = this.frameEndRel();
      }
      p = q;
      ops++;
    }
    this.pos = base + p;
    this.ops = ops;
    this.fence = fence;
    if (status === 0) {
      // An opcode's fixed-size argument runs past the window.
      if (!eof) {
        this.need = 16;
        return ST_NEED;
      }
      this.fail(base + p, `${opName(buf[p] ?? 0)} argument is truncated`);
    }
    return status;
  }

  private popMark(offset: number, into: Val[] | null): number {
    const marks = this.marks;
    if (marks.length === 0) this.fail(offset, 'could not find MARK');
    const m = marks.pop()!;
    const stack = this.stack;
    if (into) for (let i = m; i < stack.length; i++) into.push(stack[i]!);
    stack.length = m;
    return marks.length > 0 ? marks[marks.length - 1]! : 0;
  }

  private addTo(op: number, target: Val, items: Val[], offset: number): void {
    if (target instanceof PyList && (op === OP.APPEND || op === OP.APPENDS)) {
      for (const v of items) {
        if (target.items.length < CONTAINER_KEEP) target.items.push(v);
        target.count++;
      }
      return;
    }
    if (target instanceof PyDict && (op === OP.SETITEM || op === OP.SETITEMS)) {
      if (items.length % 2 !== 0) this.fail(offset, 'odd number of items for SETITEMS');
      for (let i = 0; i < items.length; i += 2) {
        if (target.keys.length < CONTAINER_KEEP) {
          target.keys.push(items[i]!);
          target.vals.push(items[i + 1]!);
        }
        target.count++;
      }
      return;
    }
    if (target instanceof PySet && !target.frozen && op === OP.ADDITEMS) {
      target.count += items.length;
      return;
    }
    if (target instanceof PyList && op === OP.SETITEM) return; // list[i] = v
    if (target instanceof PyObj) {
      // append/extend/__setitem__/add on an instance: a method of a class classified on its own.
      const cls = classOf(target);
      const method = op === OP.APPEND ? 'append' : op === OP.APPENDS ? 'extend' : op === OP.ADDITEMS ? 'add' : '__setitem__';
      this.sink.call(`${cls ? cls.path : '<unresolved>'}.${method}`);
      if (op === OP.SETITEMS && items.length % 2 !== 0) this.fail(offset, 'odd number of items for SETITEMS');
      return;
    }
    if (target instanceof PyGlobal) {
      if (!this.shadow) {
        this.sink.add({
          ruleId: 'pickle.unresolved-call',
          severity: 'high',
          verdict: 'unsafe',
          message: `pickle ${this.pickleIndex}: ${opName(op)} at offset ${offset} mutates the imported object ${describe(target)} itself (module-level state), not an object the pickle created`,
          location: { offset },
        });
      }
      return;
    }
    this.fail(offset, `${opName(op)} on ${describe(target)}, which does not support it`);
  }

  /** INT, LONG, FLOAT, STRING, UNICODE, PERSID, GET, PUT with their line (newline excluded). */
  private textOp(op: number, line: Buffer, offset: number, fence: number): void {
    const stack = this.stack;
    switch (op) {
      case OP.INT: {
        const t = latin1(line);
        if (t === '00' || t === '01') {
          stack.push(t === '01');
          return;
        }
        const v = parseIntText(t);
        if (v === null) this.fail(offset, `invalid INT argument ${JSON.stringify(t.slice(0, 40))}`);
        stack.push(v);
        return;
      }
      case OP.LONG: {
        let t = latin1(line);
        if (t.endsWith('L')) t = t.slice(0, -1);
        const v = parseIntText(t);
        if (v === null) this.fail(offset, `invalid LONG argument ${JSON.stringify(t.slice(0, 40))}`);
        stack.push(v);
        return;
      }
      case OP.FLOAT: {
        const v = parseFloatText(latin1(line));
        if (v === null) this.fail(offset, 'invalid FLOAT argument');
        stack.push(v);
        return;
      }
      case OP.STRING: {
        let t = line;
        // Python strips trailing whitespace? No: it requires matching quotes around the whole line.
        if (t.length < 2 || t[0] !== t[t.length - 1] || (t[0] !== 0x27 && t[0] !== 0x22)) this.fail(offset, 'the STRING opcode argument must be quoted');
        t = t.subarray(1, t.length - 1);
        const s = escapeDecode(t);
        if (s === null) this.fail(offset, 'invalid escape in STRING argument');
        stack.push(s.length > KEEP ? new PyLongStr(s.length) : s);
        return;
      }
      case OP.UNICODE: {
        const s = rawUnicodeEscapeDecode(line);
        if (s === null) this.fail(offset, 'invalid \\u escape in UNICODE argument');
        stack.push(s.length > KEEP ? new PyLongStr(s.length) : s);
        return;
      }
      case OP.PERSID: {
        for (const b of line) if (b > 0x7f) this.fail(offset, 'persistent IDs in protocol 0 must be ASCII strings');
        stack.push(this.persistentId(line.length > KEEP ? new PyLongStr(line.length) : latin1(line)));
        return;
      }
      case OP.GET: {
        const i = parseDecimalIndex(latin1(line));
        if (i === null) this.fail(offset, 'invalid GET argument');
        stack.push(this.memoGet(i, offset));
        return;
      }
      case OP.PUT: {
        const i = parseDecimalIndex(latin1(line));
        if (i === null) this.fail(offset, 'invalid PUT argument');
        if (i < 0) this.fail(offset, 'negative PUT argument');
        if (stack.length <= fence) this.fail(offset, 'PUT with an empty stack');
        this.memoPut(i, stack[stack.length - 1]!, offset);
        return;
      }
    }
  }

  /** GLOBAL / INST with their two lines. Returns the new fence (INST pops a mark). */
  private globalOp(op: number, offset: number, modLine: Buffer, nameLine: Buffer, truncated: boolean, fence: number): number {
    const module = decodeUtf8Strict(modLine);
    const name = decodeUtf8Strict(nameLine);
    if (module === null || name === null) this.fail(offset, `${opName(op)} module/name is not valid UTF-8`);
    if (this.shadow && !(DOTTED_IDENTIFIER.test(module) && DOTTED_IDENTIFIER.test(name))) this.fail(offset, 'not an importable name');
    const g = this.importGlobal(module, name, op, offset, truncated);
    if (op === OP.GLOBAL) {
      this.stack.push(g);
      return fence;
    }
    const items: Val[] = [];
    const f = this.popMark(offset, items);
    this.stack.push(this.call(op, offset, g, new PyTuple(items, items.length)));
    return f;
  }

  /** An opcode whose text argument is longer than the window: stream to the newline(s). */
  private async longLineOp(): Promise<void> {
    const op = this.longLineCode;
    const start = this.pos;
    const lines: { text: Buffer; truncated: boolean }[] = [];
    let at = start + 1;
    const want = op === OP.GLOBAL || op === OP.INST ? 2 : 1;
    while (lines.length < want) {
      const kept: Buffer[] = [];
      let keptLen = 0;
      let found = -1;
      for (;;) {
        this.opts.checkTime?.();
        if (at >= this.regionEnd) this.fail(start, `${opName(op)} argument is not terminated by a newline (truncated)`);
        const chunk = await this.source.read(at, Math.min(WINDOW, this.regionEnd - at));
        if (chunk.length === 0) this.fail(start, `${opName(op)} argument is truncated`);
        const nl = chunk.indexOf(10);
        const part = nl < 0 ? chunk : chunk.subarray(0, nl);
        if (keptLen < LINE_KEEP) {
          const take = part.subarray(0, LINE_KEEP - keptLen);
          kept.push(Buffer.from(take));
          keptLen += take.length;
        }
        if (nl >= 0) {
          found = at + nl;
          break;
        }
        at += chunk.length;
      }
      const full = found - (lines.length === 0 ? start + 1 : at);
      void full;
      lines.push({ text: Buffer.concat(kept), truncated: keptLen >= LINE_KEEP });
      at = found + 1;
    }
    const q = at;
    if (this.framing) this.frameCheckSpan(start, q, op);
    const truncated = lines.some((l) => l.truncated);
    if (op === OP.GLOBAL || op === OP.INST) {
      this.fence = this.globalOp(op, start, lines[0]!.text, lines[1]!.text, truncated, this.fence);
    } else if (truncated && (op === OP.STRING || op === OP.UNICODE || op === OP.PERSID)) {
      // Only the length matters for long text values.
      const v = new PyLongStr(q - start - 2);
      this.stack.push(op === OP.PERSID ? this.persistentId(v) : v);
    } else if (truncated) {
      this.fail(start, `${opName(op)} argument of more than ${LINE_KEEP} bytes`);
    } else {
      this.textOp(op, lines[0]!.text, start, this.fence);
    }
    this.ops++;
    this.pos = q;
  }

  private frameCheckSpan(pAbs: number, qAbs: number, op: number): void {
    if (this.frameEnd >= 0 && qAbs <= this.frameEnd) return;
    this.frameCheck(pAbs, qAbs, op);
  }

  /** After BUILD of a joblib NumpyArrayWrapper: read past the array bytes the way joblib.load does. */
  private async joblibArray(): Promise<boolean> {
    const w = this.pendingJoblib!;
    this.pendingJoblib = null;
    const at = this.pos;
    // The plain pickle.load reading (run first, from the outer state as it is at this point) keeps the
    // wrapper on the stack; joblib.load replaces it with the array.
    if (!w.hasObject) await this.shadowRead(at);
    this.stack[this.stack.length - 1] = new PyObj(new PyGlobal('numpy', 'ndarray', 'safe', true), 'joblib', null);
    if (w.hasObject) {
      // Plain pickle.load would run these same opcodes (on top of the outer stack): scanning them as
      // a pickle covers both readings.
      // joblib wrote the object array with pickle.dump(protocol=2): a complete nested pickle.
      const sub = new PickleMachine(this.source, { ...this.opts, start: at, end: this.regionEnd, maxPickles: 1, joblib: false, firstPickleIndex: undefined }, this.sink);
      const info = await sub.scanOne();
      if (sub.limitHit) throw sub.limitHit;
      if (!info || !info.complete) {
        this.pos = sub.pos;
        this.errorOffset = sub.pos;
        this.errorMessage = '\0unresolved';
        return false;
      }
      this.pos = info.end;
      return true;
    }
    let pos = at;
    if (w.aligned) {
      const b = await this.source.read(pos, 1);
      if (b.length < 1) this.fail(pos, 'joblib array padding byte is missing (truncated)');
      pos += 1 + b[0]!;
    }
    const nbytes = w.count * w.itemsize;
    if (!Number.isFinite(nbytes) || pos + nbytes > this.regionEnd) this.fail(at, `joblib array of ${w.count} x ${w.itemsize} bytes runs past the end of the data (truncated)`);
    this.pos = pos + nbytes;
    // The bytes are outside any frame; the framer restarts after them.
    this.frameEnd = -1;
    this.unframedRun = 0;
    return true;
  }

  private async shadowRead(at: number): Promise<void> {
    if (at >= this.regionEnd) return;
    const first = (await this.source.read(at, 1))[0];
    // Padding bytes (0-15) and most raw data are not opcodes: plain pickle.load stops right there.
    if (first === undefined || opName(first).startsWith('0x')) return;
    const shadowSink = new Sink();
    shadowSink.nextPickleIndex = this.pickleIndex;
    const m = new PickleMachine(this.source, { ...this.opts, start: at, end: this.regionEnd, shadow: true, maxPickles: 1 }, shadowSink);
    m.inheritFrom = this;
    await m.scanOne();
    if (m.limitHit) {
      // The other reading could not be finished: the file cannot be called safe.
      this.sink.add({
        ruleId: `limit.${m.limitHit.limit}`,
        severity: 'medium',
        verdict: 'inconclusive',
        message: `reading the joblib array data at offset ${at} the way plain pickle.load would: ${m.limitHit.message}`,
        location: { offset: at },
      });
      if (m.limitHit.limit === 'time') throw m.limitHit;
    }
    if (shadowSink.imports.length === 0) return;
    for (const imp of shadowSink.imports) {
      const key = `${imp.pickleIndex}\0${imp.module}\0${imp.name}\0shadow`;
      if (this.sink.importKeys.has(key)) continue;
      this.sink.importKeys.add(key);
      this.sink.imports.push(imp);
    }
    for (const f of shadowSink.findings) this.sink.add(f);
    this.sink.add({
      ruleId: 'joblib.polyglot-array-data',
      severity: 'critical',
      verdict: 'unsafe',
      message: `the array bytes at offset ${at}, which joblib.load skips, import ${shadowSink.imports.map((i) => `${i.module}.${i.name}`).slice(0, 5).join(', ')} when the file is read with plain pickle.load`,
      location: { offset: at },
    });
  }
}

function decodeLong(buf: Buffer, start: number, n: number): number | bigint {
  if (n === 0) return 0;
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[start + i]!);
  if (buf[start + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8Strict(b: Buffer): string | null {
  try {
    return utf8Fatal.decode(b);
  } catch {
    return null;
  }
}

function makeContainer(op: number, items: Val[], offset: number, fail: (o: number, msg: string) => never): Val {
  const count = items.length;
  if (items.length > CONTAINER_KEEP) items.length = CONTAINER_KEEP;
  switch (op) {
    case OP.TUPLE:
      return new PyTuple(items, count);
    case OP.LIST: {
      const l = new PyList();
      l.items = items;
      l.count = count;
      return l;
    }
    case OP.FROZENSET: {
      const s = new PySet(true);
      s.count = count;
      return s;
    }
    default: {
      if (count % 2 !== 0) fail(offset, 'odd number of items for DICT');
      const d = new PyDict();
      for (let i = 0; i + 1 < items.length; i += 2) {
        d.keys.push(items[i]!);
        d.vals.push(items[i + 1]!);
      }
      d.count = count / 2;
      return d;
    }
  }
}

// ---------------------------------------------------------------- joblib array sizing

interface DtypeInfo {
  itemsize: number;
  hasObject: boolean;
}

/** Type codes numpy's dtype.__reduce__ writes, with the item size of the fixed-size ones. */
const FIXED_CODES: Record<string, number> = {
  b1: 1, i1: 1, i2: 2, i4: 4, i8: 8, u1: 1, u2: 2, u4: 4, u8: 8, f2: 2, f4: 4, f8: 8, f16: 16, c8: 8, c16: 16, c32: 32, M8: 8, m8: 8, O8: 8,
};

/**
 * Item size and `hasobject` of a symbolic `numpy.dtype(code, False, True)` + BUILD state, exactly as
 * numpy 1.x/2.x computes them (checked against numpy's __setstate__): the state's elsize applies to
 * flexible types (S, a, U, V) only, and from state version 3 on `hasobject` is the state's flags
 * bit 0, whatever the type code. Anything else (other codes, older state layouts, non-constant
 * values) returns null: the caller cannot size the array and must not guess.
 */
export function dtypeInfo(v: Val | undefined): DtypeInfo | null {
  if (!(v instanceof PyObj)) return null;
  const cls = v.callee;
  if (!(cls instanceof PyGlobal) || !cls.resolved || cls.path !== 'numpy.dtype') return null;
  const codeVal = seqItems(v.args)?.[0];
  const code = typeof codeVal === 'string' ? codeVal : codeVal instanceof PyBytes ? codeVal.text : null;
  if (code === null) return null;
  const flexible = /^([SaUV])(\d+)$/.exec(code);
  const fixed = FIXED_CODES[code];
  if (!flexible && fixed === undefined) return null;
  let itemsize = flexible ? Number(flexible[2]) * (flexible[1] === 'U' ? 4 : 1) : fixed!;
  let hasObject = code === 'O8';
  const state = v.state;
  if (state !== undefined) {
    const items = state instanceof PyTuple ? state.items : null;
    if (!items) return null;
    const version = items[0];
    if (!((version === 3 && items.length === 8) || (version === 4 && items.length === 9))) return null;
    const elsize = items[5];
    const flags = items[7];
    if (typeof elsize !== 'number' || !Number.isInteger(elsize) || typeof flags !== 'number' || !Number.isInteger(flags)) return null;
    if (flexible) {
      if (elsize < 0) return null;
      itemsize = elsize;
    }
    hasObject = (flags & 1) !== 0;
  }
  return { itemsize, hasObject };
}

function mergeDicts(a: PyDict, b: PyDict): PyDict {
  const d = new PyDict();
  for (const [keys, vals] of [[a.keys, a.vals], [b.keys, b.vals]] as const) {
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const at = typeof k === 'string' ? d.keys.indexOf(k) : -1;
      if (at >= 0) d.vals[at] = vals[i]!;
      else if (d.keys.length < CONTAINER_KEEP) {
        d.keys.push(k);
        d.vals.push(vals[i]!);
      }
    }
  }
  d.count = d.keys.length;
  return d;
}

function joblibWrapper(obj: PyObj): JoblibPending | null {
  const state = obj.state;
  if (!(state instanceof PyDict) || state.count !== state.keys.length) return null;
  const shapeVal = state.get('shape');
  const shape = seqItems(shapeVal);
  if (!shape || shape.length !== (shapeVal as PyTuple | PyList).count) return null;
  let count = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) return null;
    count *= d;
  }
  const dt = dtypeInfo(state.get('dtype'));
  if (!dt) return null;
  const align = state.get('numpy_array_alignment_bytes');
  return { count, itemsize: dt.itemsize, hasObject: dt.hasObject, aligned: align !== undefined && align !== null };
}

/** What parsing a file's head as a pickle showed (content detection). */
export interface ProbeResult {
  /** Parsed without error up to STOP or the end of the head. */
  ok: boolean;
  /** The first pickle reached STOP within the head. */
  complete: boolean;
  ops: number;
  /** Imports (module, name as written) and calls seen before the end or the error. */
  imports: { module: string; name: string }[];
  calls: number;
  extOpcodes: number;
  value: Val | undefined;
  protocol: number;
}

/**
 * Parses the start of a buffer (a file's head) as a pickle, for content detection. Synchronous,
 * bounded by the head and 100,000 opcodes.
 */
export function probePickle(head: Buffer, size: number): ProbeResult {
  const probeAllow: Allowlist = { classify: () => ({ verdict: 'unknown', reason: 'probe' }) };
  const source = { size, read: async () => Buffer.alloc(0), chunks: async function* () {} } as ByteSource;
  const m = new PickleMachine(source, { allowlist: probeAllow, limits: { maxPickleOpcodes: 100_000, maxPickleMemo: 100_000, maxPickleStack: 100_000 }, joblib: false, shadow: false });
  const internal = m as unknown as { buf: Buffer; bufStart: number; atEof: boolean; run(): number; resetPickle(): void; ops: number; stopValue: Val | undefined; proto: number; sink: Sink; nextTick: number };
  internal.resetPickle();
  internal.buf = head;
  internal.bufStart = 0;
  internal.atEof = head.length >= size;
  let ok = true;
  let complete = false;
  try {
    for (let guard = 0; guard < 8; guard++) {
      const st = internal.run();
      if (st === ST_TICK) {
        internal.nextTick += TICK;
        continue;
      }
      if (st === ST_STOP) complete = true;
      else if (st === ST_EOF || st === ST_ERROR) ok = false;
      break;
    }
  } catch (err) {
    if (!(err instanceof ParseError) && !(err instanceof LimitExceeded)) throw err;
    ok = false;
  }
  const sink = internal.sink;
  let calls = 0;
  for (const n of sink.calls.values()) calls += n;
  return {
    ok,
    complete,
    ops: internal.ops,
    imports: sink.imports.map((i) => ({ module: i.module, name: i.name })),
    calls,
    extOpcodes: sink.findings.filter((f) => f.ruleId === 'pickle.ext-opcode').length,
    value: internal.stopValue,
    protocol: internal.proto,
  };
}
