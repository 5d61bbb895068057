/**
 * Static analysis of a Jinja2 template for sandbox escapes (server-side template injection).
 *
 * The template is parsed (parser.ts) and every expression is evaluated abstractly (values.ts):
 * constant string expressions are folded, so `'__cla' ~ 'ss__'`, `'\x5f\x5fclass\x5f\x5f'`,
 * `['_'*2, 'class', '_'*2]|join`, `'%c%cclass%c%c'|format(95,95,95,95)`, `{% set %}` variables,
 * loop variables over constant lists, macro parameters (from every call site) and namespace
 * attributes all resolve to the names they build. Findings are raised where a name reaches
 * Python's attribute machinery:
 * - attribute access `x.name`, subscripts `x[key]` (Jinja falls back to getattr for strings),
 *   the `attr()` filter, attribute arguments of `map`/`selectattr`/`rejectattr`/`sort`/`groupby`/
 *   `sum`/`unique`/`min`/`max`/`join` (dotted paths are split like Jinja does), namespace
 *   assignments, and `str.format` fields (`'{0.__class__}'.format(x)`);
 * - dunder and private names, `mro`, frame/code/generator attributes: `unsafe`;
 * - names computed from non-constant parts (e.g. characters cut from an object's repr, as in
 *   `(()|select|string)[24]`): `unknown`, since they cannot be proved harmless;
 * - identifiers that are dunders (`__builtins__`, `dict(__class__=1)`): `unsafe`;
 * - constant strings containing a dunder that reach no known sink: `unknown`;
 * - Flask/app globals (`config`, `request`, `session`, `g`, `self`, `url_for`...): `unknown`;
 *   Jinja's global objects (`lipsum`, `cycler`, `joiner`, `namespace`, `range`, `dict`) used
 *   other than by calling them: `unknown` (calling them is what templates legitimately do, e.g.
 *   `namespace(found=false)`); attribute access to dunders on any of them is `unsafe` as above;
 * - `include`/`import`/`from`/`extends`: file access, `unknown`;
 * - `range()` beyond Jinja's sandbox limit, huge string repetition: `unknown` (denial of service).
 * A parse error is `unknown` (`template.syntax-error`): a template our parser rejects but Jinja
 * accepts would be a blind spot; tokens that look like an escape are still reported.
 */
import type { Severity, Verdict } from '../types.js';
import { type CV, type Expr, type Param, PyDict, type Stmt, type Template, exprChildren, stmtBodies, stmtExprs } from './ast.js';
import { TemplateSyntaxError } from './lexer.js';
import { DEFAULT_MAX_DEPTH, DEFAULT_MAX_NODES, TemplateLimitError, parseTemplate } from './parser.js';
import {
  type AV, COMP, DATA, MAX_CONSTS, MAX_LIST, NONE, fieldsOf, NUM, constAV, filterConst, getItem, isPureConst, iterate, join, lift, listOf, methodConst,
  normalize, parseFormatFields, printf, pyStr, repeat, add, slice, cvKey, isBottom, EMPTY,
} from './values.js';

export interface TemplateIssue {
  ruleId: string;
  severity: Severity;
  verdict: Verdict;
  message: string;
  /** 1-based line within the template. */
  line: number;
}

export interface TemplateAnalysis {
  issues: TemplateIssue[];
  /** False when the template could not be parsed (syntax error or limit). */
  parsed: boolean;
  stats: { lines: number; nodes: number; statements: number; outputs: number };
}

export interface AnalyzeOptions {
  maxDepth?: number;
  maxNodes?: number;
  /** Called periodically; may throw (the scan's time budget). */
  tick?: () => void;
}

export const RULES = {
  dunderAttribute: { ruleId: 'template.dunder-attribute', severity: 'critical', verdict: 'unsafe' },
  privateAttribute: { ruleId: 'template.private-attribute', severity: 'high', verdict: 'unsafe' },
  internalAttribute: { ruleId: 'template.internal-attribute', severity: 'high', verdict: 'unsafe' },
  dunderName: { ruleId: 'template.dunder-name', severity: 'high', verdict: 'unsafe' },
  computedAttribute: { ruleId: 'template.computed-attribute', severity: 'medium', verdict: 'unknown' },
  computedFormat: { ruleId: 'template.computed-format-string', severity: 'medium', verdict: 'unknown' },
  dunderString: { ruleId: 'template.dunder-string', severity: 'medium', verdict: 'unknown' },
  appGlobal: { ruleId: 'template.app-global', severity: 'medium', verdict: 'unknown' },
  objectGlobal: { ruleId: 'template.object-global', severity: 'medium', verdict: 'unknown' },
  fileAccess: { ruleId: 'template.file-access', severity: 'high', verdict: 'unknown' },
  resource: { ruleId: 'template.resource-exhaustion', severity: 'medium', verdict: 'unknown' },
  syntaxError: { ruleId: 'template.syntax-error', severity: 'medium', verdict: 'unknown' },
  suspiciousToken: { ruleId: 'template.suspicious-token', severity: 'high', verdict: 'unsafe' },
  limit: { ruleId: 'template.limit', severity: 'medium', verdict: 'inconclusive' },
} as const satisfies Record<string, { ruleId: string; severity: Severity; verdict: Verdict }>;

type Rule = (typeof RULES)[keyof typeof RULES];

/** Attributes Jinja's sandbox refuses besides `_`-prefixed ones: type.mro, frame/code/generator internals, py2 function internals. */
export const INTERNAL_ATTRIBUTES: ReadonlySet<string> = new Set([
  'mro', 'gi_frame', 'gi_code', 'gi_yieldfrom', 'cr_frame', 'cr_code', 'cr_await', 'ag_frame', 'ag_code', 'ag_await',
  'f_globals', 'f_locals', 'f_builtins', 'f_back', 'f_code', 'f_trace', 'tb_frame', 'tb_next',
  'co_code', 'co_consts', 'co_names', 'func_globals', 'func_code', 'func_closure', 'func_defaults', 'func_dict',
  'im_func', 'im_self', 'im_class', 'cell_contents',
]);
/** Globals of web frameworks rendering Jinja (Flask): no chat template uses them; they lead to app internals. */
export const APP_GLOBALS: ReadonlySet<string> = new Set(['config', 'request', 'session', 'g', 'self', 'url_for', 'get_flashed_messages']);
/** Jinja's default global objects: fine to call, suspicious to touch otherwise. */
export const OBJECT_GLOBALS: ReadonlySet<string> = new Set(['lipsum', 'cycler', 'joiner', 'namespace', 'range', 'dict']);
/** Sandbox limit on range() (jinja2.sandbox.MAX_RANGE). */
export const MAX_RANGE = 100_000;
const LOOP_NUMERIC = new Set(['index', 'index0', 'revindex', 'revindex0', 'first', 'last', 'length', 'depth', 'depth0']);
const DUNDER_INSIDE = /__[A-Za-z0-9_]*[A-Za-z0-9]__/;
const MAX_ISSUES = 200;
const MAX_EVAL_DEPTH = 300;

/** Filters that keep render-context data a lookup (they cannot introduce new characters). */
const DATA_FILTERS = new Set([
  'lower', 'upper', 'trim', 'first', 'last', 'list', 'items', 'dictsort', 'sort', 'unique', 'reverse', 'select', 'reject',
  'selectattr', 'rejectattr', 'batch', 'slice', 'groupby', 'map', 'min', 'max', 'random', 'safe', 'e', 'escape', 'forceescape',
  'capitalize', 'title', 'striptags',
]);
const NUM_FILTERS = new Set(['length', 'count', 'wordcount', 'int', 'float', 'abs', 'round', 'sum', 'filesizeformat', 'bool']);
const DATA_METHODS = new Set([
  'get', 'items', 'keys', 'values', 'split', 'rsplit', 'splitlines', 'strip', 'lstrip', 'rstrip', 'lower', 'upper', 'title',
  'capitalize', 'casefold', 'copy',
]);
const NUM_METHODS = new Set(['startswith', 'endswith', 'count', 'find', 'rfind', 'index', 'rindex', 'isdigit', 'isalpha', 'isspace', 'isupper', 'islower']);

interface NameEntry {
  state: 'busy' | 'done';
  /** The value (done) or the current approximation (busy). */
  value: AV;
  /** Whether the evaluation read the approximation (a recursive binding). */
  hit: boolean;
}

const BOTTOM = EMPTY;
const MAX_FIXPOINT_ROUNDS = 6;
const MAX_FIXPOINT_STEPS = 20_000;

/** Structural identity of an abstract value (fixed-point test). */
function avKey(a: AV): string {
  const consts = a.consts.map(cvKey).sort().join('|');
  const fields = a.fields ? [...a.fields.entries()].sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, v]) => `${k}=${avKey(v)}`).join(',') : '';
  return `${consts};${a.data ? 'd' : ''}${a.num ? 'n' : ''}${a.comp ? 'c' : ''};[${a.elems ? avKey(a.elems) : ''}];{${fields}}`;
}

type Binding =
  | { kind: 'expr'; expr: Expr; path: number[] }
  | { kind: 'iter'; expr: Expr; path: number[] }
  | { kind: 'block'; body: Stmt[]; filter: Expr | null }
  | { kind: 'param'; macro: string; index: number; param: Param }
  | { kind: 'comp' };

interface MacroInfo {
  stmt: Extract<Stmt, { type: 'Macro' }>;
  calls: Extract<Expr, { type: 'Call' }>[];
  escapes: boolean;
}

export function analyzeTemplate(source: string, options: AnalyzeOptions = {}): TemplateAnalysis {
  const lines = source.length === 0 ? 0 : source.split(/\r\n|\r|\n/).length;
  const stats = { lines, nodes: 0, statements: 0, outputs: 0 };
  let template: Template;
  try {
    template = parseTemplate(source, {
      maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH,
      maxNodes: options.maxNodes ?? DEFAULT_MAX_NODES,
      tick: options.tick,
    });
  } catch (err) {
    if (err instanceof TemplateLimitError) {
      return { issues: [{ ...RULES.limit, message: `template not analysed: ${err.message}`, line: err.line }, ...fallbackScan(source)], parsed: false, stats };
    }
    if (err instanceof TemplateSyntaxError) {
      return {
        issues: [
          { ...RULES.syntaxError, message: `template does not parse (${err.message}); it cannot be proved free of sandbox escapes`, line: err.line },
          ...fallbackScan(source),
        ],
        parsed: false,
        stats,
      };
    }
    if (err instanceof RangeError) {
      // Stack exhaustion despite the depth limit: report as a limit, never as safe.
      return { issues: [{ ...RULES.limit, message: 'template too deeply nested to analyse', line: 1 }, ...fallbackScan(source)], parsed: false, stats };
    }
    throw err;
  }
  stats.nodes = template.nodeCount;
  const a = new Analyzer(template, options.tick);
  try {
    a.run();
  } catch (err) {
    if (err instanceof RangeError) a.issue(RULES.limit, 'template too deeply nested to analyse', 1);
    else throw err;
  }
  stats.statements = a.statements;
  stats.outputs = a.outputs;
  return { issues: a.issues, parsed: true, stats };
}

/**
 * When the template cannot be parsed, look at the raw text for what an escape needs: dunder
 * names (also hex/octal/unicode-escaped underscores) and `_TemplateReference`-style internals.
 */
export function fallbackScan(source: string): TemplateIssue[] {
  const issues: TemplateIssue[] = [];
  const patterns: [RegExp, string][] = [
    [/__[A-Za-z][A-Za-z0-9_]*__/g, 'dunder name'],
    [/\\(?:x5[fF]|u005[fF]|U0000005[fF]|137|N\{LOW LINE\})/g, 'escaped underscore'],
    [/_TemplateReference__|_Context__|_Undefined__/g, 'Jinja internal'],
  ];
  for (const [re, what] of patterns) {
    const m = re.exec(source);
    if (m) {
      const line = source.slice(0, m.index).split(/\r\n|\r|\n/).length;
      issues.push({ ...RULES.suspiciousToken, message: `${what} ${JSON.stringify(m[0].slice(0, 80))} in a template that could not be analysed`, line });
    }
  }
  return issues;
}

class Analyzer {
  readonly issues: TemplateIssue[] = [];
  private readonly issueKeys = new Set<string>();
  private dropped = 0;
  statements = 0;
  outputs = 0;
  private readonly bindings = new Map<string, Binding[]>();
  private readonly macros = new Map<string, MacroInfo>();
  private readonly memo = new Map<Expr, AV>();
  private readonly nameMemo = new Map<string, NameEntry>();
  /** Memo entries in creation order, so a fixed-point round can undo what it computed from an approximation. */
  private readonly memoLog: ({ expr: Expr } | { name: string })[] = [];
  private steps = 0;
  private readonly macroMemo = new Map<string, AV | 'busy'>();
  private evalDepth = 0;
  private ticks = 0;
  /** Dunder strings already reported at a sink (the catch-all skips them). */
  private readonly reportedStrings = new Set<string>();
  private readonly dunderStrings = new Map<string, number>();
  /** Name nodes that are the callee of a call. */
  private readonly callees = new Set<Expr>();

  constructor(
    private readonly template: Template,
    private readonly tick?: () => void,
  ) {}

  issue(rule: Rule, message: string, line: number): void {
    const key = `${rule.ruleId}|${line}|${message}`;
    if (this.issueKeys.has(key)) return;
    this.issueKeys.add(key);
    if (this.issues.length >= MAX_ISSUES) {
      this.dropped++;
      return;
    }
    this.issues.push({ ...rule, message, line });
  }

  run(): void {
    this.collect(this.template.body);
    this.check(this.template.body);
    const byLine = new Map<number, string[]>();
    for (const [str, line] of this.dunderStrings) {
      if (this.reportedStrings.has(str)) continue;
      const list = byLine.get(line) ?? [];
      list.push(str);
      byLine.set(line, list);
    }
    for (const [line, strs] of byLine) {
      const shown = strs.slice(0, 3).map((x) => JSON.stringify(x.length > 60 ? x.slice(0, 60) + '…' : x)).join(', ');
      this.issue(RULES.dunderString, `constant string${strs.length > 1 ? 's' : ''} ${shown}${strs.length > 3 ? ` and ${strs.length - 3} more` : ''} contain${strs.length > 1 ? '' : 's'} a dunder name (sandbox-escape material)`, line);
    }
    if (this.dropped > 0) {
      // Keep the worst verdict visible even when the list is cut.
      const worst = this.issues.find((i) => i.verdict === 'unsafe') ?? this.issues[0]!;
      this.issues.push({ ...worst, message: `${this.dropped} more findings like these were not listed`, line: worst.line });
    }
  }

  private pulse(): void {
    if ((++this.ticks & 1023) === 0) this.tick?.();
  }

  // ---- pass 1: bindings, macros, call sites ------------------------------------------------

  private bind(name: string, b: Binding): void {
    const list = this.bindings.get(name);
    if (list) list.push(b);
    else this.bindings.set(name, [b]);
  }

  private bindTarget(target: Expr, make: (path: number[]) => Binding, path: number[] = []): void {
    if (target.type === 'Name') this.bind(target.name, make(path));
    else if (target.type === 'NSRef') this.bind(`${target.name}.${target.attr}`, make(path));
    else if (target.type === 'Tuple') target.items.forEach((t, i) => this.bindTarget(t, make, [...path, i]));
  }

  private collect(body: Stmt[]): void {
    for (const s of body) {
      this.pulse();
      switch (s.type) {
        case 'Set':
          this.bindTarget(s.target, (path) => ({ kind: 'expr', expr: s.value, path }));
          break;
        case 'SetBlock':
          this.bindTarget(s.target, () => ({ kind: 'block', body: s.body, filter: s.filter }));
          break;
        case 'For':
          this.bindTarget(s.target, (path) => ({ kind: 'iter', expr: s.iter, path }));
          break;
        case 'With':
          s.targets.forEach((t, i) => {
            const v = s.values[i];
            if (v) this.bindTarget(t, (path) => ({ kind: 'expr', expr: v, path }));
          });
          break;
        case 'Macro':
          if (!this.macros.has(s.name)) this.macros.set(s.name, { stmt: s, calls: [], escapes: false });
          else this.macros.get(s.name)!.escapes = true; // redefined: call sites are ambiguous
          s.params.forEach((p, index) => this.bind(p.name, { kind: 'param', macro: s.name, index, param: p }));
          break;
        case 'CallBlock':
          for (const p of s.params) this.bind(p.name, { kind: 'comp' });
          break;
        case 'Import':
          this.bind(s.target, { kind: 'comp' });
          break;
        case 'FromImport':
          for (const n of s.names) this.bind(n.alias, { kind: 'comp' });
          break;
        default:
          break;
      }
      for (const b of stmtBodies(s)) this.collect(b);
    }
    if (body === this.template.body) {
      // Call sites (after every macro is known).
      this.walkAll(this.template.body, (e) => {
        if (e.type === 'Call' && e.node.type === 'Name') {
          this.callees.add(e.node);
          this.macros.get(e.node.name)?.calls.push(e);
        }
      });
      this.walkAll(this.template.body, (e) => {
        // A macro referenced other than by a direct call (aliased, passed around): its parameters
        // can receive anything.
        if (e.type === 'Name' && !this.callees.has(e)) {
          const m = this.macros.get(e.name);
          if (m) m.escapes = true;
        }
      });
    }
  }

  private walkAll(body: Stmt[], fn: (e: Expr) => void): void {
    const visit = (e: Expr | null): void => {
      if (!e) return;
      fn(e);
      for (const c of exprChildren(e)) visit(c);
    };
    for (const s of body) {
      for (const e of stmtExprs(s)) visit(e);
      for (const b of stmtBodies(s)) this.walkAll(b, fn);
    }
  }

  // ---- abstract evaluation ---------------------------------------------------------------

  private isBound(name: string): boolean {
    return this.bindings.has(name) || this.macros.has(name);
  }

  eval(e: Expr): AV {
    const m = this.memo.get(e);
    if (m) return m;
    if (this.evalDepth > MAX_EVAL_DEPTH) return COMP;
    this.evalDepth++;
    this.pulse();
    let v: AV;
    try {
      v = this.evalUncached(e);
    } finally {
      this.evalDepth--;
    }
    this.memo.set(e, v);
    this.memoLog.push({ expr: e });
    return v;
  }

  private evalUncached(e: Expr): AV {
    switch (e.type) {
      case 'Const':
        return e.exact ? constAV(e.value) : COMP;
      case 'Name':
        return this.evalName(e.name);
      case 'NSRef':
      case 'Slice':
        return COMP;
      case 'Getattr':
        return this.evalGetattr(e.node, e.attr);
      case 'Getitem':
        return this.evalGetitem(e.node, e.arg);
      case 'Call':
        return this.evalCall(e);
      case 'Filter':
        return this.evalFilter(e, e.node ? this.eval(e.node) : COMP);
      case 'Neg':
      case 'Pos': {
        const v = this.eval(e.node);
        if (isPureConst(v) && v.consts.every((c) => typeof c === 'number')) return lift([v], (x) => (e.type === 'Neg' ? -(x as number) : x));
        return NUM;
      }
      case 'Test':
      case 'Compare':
      case 'Not':
        return NUM;
      case 'BinOp':
        return this.evalBinOp(e.op, this.eval(e.left), this.eval(e.right));
      case 'Concat': {
        let acc = constAV('');
        for (const n of e.nodes) acc = concat(acc, this.eval(n));
        return acc;
      }
      case 'And':
      case 'Or':
        return join(this.eval(e.left), this.eval(e.right));
      case 'CondExpr':
        return join(this.eval(e.expr1), e.expr2 ? this.eval(e.expr2) : NONE);
      case 'List':
      case 'Tuple':
        return this.evalList(e.items.map((i) => this.eval(i)));
      case 'Dict': {
        const keys = e.items.map((p) => this.eval(p.key));
        const vals = e.items.map((p) => this.eval(p.value));
        if ([...keys, ...vals].every((a) => isPureConst(a) && a.consts.length === 1)) {
          return constAV(new PyDict(e.items.map((_, i) => [keys[i]!.consts[0]!, vals[i]!.consts[0]!])));
        }
        if (keys.every((a) => isPureConst(a) && a.consts.length === 1 && typeof a.consts[0] === 'string')) {
          const fields = new Map<string, AV>();
          keys.forEach((k, i) => fields.set(k.consts[0] as string, vals[i]!));
          return fieldsOf(fields);
        }
        return COMP;
      }
    }
  }

  private evalList(items: AV[]): AV {
    if (items.length <= MAX_LIST && items.every((a) => isPureConst(a))) {
      if (items.every((a) => a.consts.length === 1)) return constAV(items.map((a) => a.consts[0]!));
      let combos = 1;
      for (const a of items) if ((combos *= a.consts.length) > MAX_CONSTS) break;
      if (combos <= MAX_CONSTS) {
        const r = lift(items, (...vals) => vals);
        if (!r.comp) return r;
      }
    }
    return items.length ? listOf(join(...items)) : constAV([]);
  }

  /**
   * A variable's value: the join of every binding. Recursive bindings (a macro parameter passed
   * `json_spec.items` in a recursive call, `{% set s = s ~ c %}` in a loop) are solved by
   * iterating from the empty value to a fixed point; results computed from an approximation are
   * discarded between rounds. No fixed point within a few rounds gives `comp`.
   */
  private evalName(name: string): AV {
    const m = this.nameMemo.get(name);
    if (m?.state === 'done') return m.value;
    if (m?.state === 'busy') {
      m.hit = true;
      return m.value;
    }
    const bs = this.bindings.get(name);
    if (!bs) {
      if (this.macros.has(name)) return COMP;
      return this.unbound(name);
    }
    const entry: NameEntry = { state: 'busy', value: BOTTOM, hit: false };
    this.nameMemo.set(name, entry);
    let v: AV = BOTTOM;
    const rounds: AV[] = [];
    for (let round = 0; ; round++) {
      const mark = this.memoLog.length;
      entry.hit = false;
      v = join(...bs.map((b) => this.evalBinding(b)));
      if (!entry.hit || avKey(v) === avKey(entry.value)) {
        // Earlier rounds' values are real possibilities too; keep them as witnesses when the cap lost them.
        if (rounds.length) v = join(...rounds, v);
        break;
      }
      this.rollback(mark);
      rounds.push(v);
      if (round >= MAX_FIXPOINT_ROUNDS || (this.steps += 1) > MAX_FIXPOINT_STEPS) {
        // Every round's values are real possibilities (the iteration rises from nothing); the rest is unknown.
        v = join(...rounds, COMP);
        break;
      }
      entry.value = v;
    }
    this.nameMemo.set(name, { state: 'done', value: v, hit: false });
    this.memoLog.push({ name });
    return v;
  }

  private rollback(mark: number): void {
    while (this.memoLog.length > mark) {
      const x = this.memoLog.pop()!;
      if ('expr' in x) this.memo.delete(x.expr);
      else this.nameMemo.delete(x.name);
    }
  }

  private unbound(name: string): AV {
    if (APP_GLOBALS.has(name) || OBJECT_GLOBALS.has(name)) return COMP;
    if (name === 'loop' || name === 'caller' || name === 'varargs' || name === 'kwargs') return COMP;
    return DATA;
  }

  private evalBinding(b: Binding): AV {
    switch (b.kind) {
      case 'expr':
        return destructure(this.eval(b.expr), b.path);
      case 'iter':
        return destructure(elemOf(this.eval(b.expr)), b.path);
      case 'block': {
        const out = this.bodyOutput(b.body);
        return b.filter ? this.applyFilterChain(b.filter, out) : out;
      }
      case 'param': {
        const info = this.macros.get(b.macro);
        if (!info || info.escapes) return COMP;
        const vals: AV[] = [];
        for (const c of info.calls) {
          if (c.dynArgs || c.dynKwargs) return COMP;
          const kw = c.kwargs.find((k) => k.key === b.param.name);
          if (b.index < c.args.length) vals.push(this.eval(c.args[b.index]!));
          else if (kw) vals.push(this.eval(kw.value));
          else vals.push(b.param.default ? this.eval(b.param.default) : NONE);
        }
        if (info.calls.length === 0) vals.push(b.param.default ? this.eval(b.param.default) : DATA);
        return join(...vals);
      }
      case 'comp':
        return COMP;
    }
  }

  /** Applies a filter chain whose innermost node is null (block set / filter block) to an input. */
  private applyFilterChain(f: Expr, input: AV): AV {
    if (f.type !== 'Filter') return COMP;
    const inner = f.node ? this.applyFilterChain(f.node, input) : input;
    return this.evalFilter(f, inner);
  }

  /** What a list of statements outputs, as a value (macro results, block sets). */
  private bodyOutput(body: Stmt[]): AV {
    let acc = constAV('');
    for (const s of body) {
      switch (s.type) {
        case 'Data':
          acc = concat(acc, constAV(s.text));
          break;
        case 'Output':
          acc = concat(acc, this.eval(s.expr));
          break;
        case 'If':
          acc = concat(acc, join(this.bodyOutput(s.body), ...s.elifs.map((b) => this.bodyOutput(b.body)), this.bodyOutput(s.else_)));
          break;
        case 'FilterBlock':
          acc = concat(acc, this.applyFilterChain(s.filter, this.bodyOutput(s.body)));
          break;
        case 'With':
        case 'Scope':
          acc = concat(acc, this.bodyOutput(s.body));
          break;
        case 'Set':
        case 'SetBlock':
        case 'Macro':
        case 'Do':
        case 'Break':
        case 'Continue':
          break;
        default:
          return COMP;
      }
      if (acc.comp) return COMP;
    }
    // Whitespace control and trim/lstrip settings vary between environments: also consider the stripped text.
    return normalize({ ...acc, consts: [...acc.consts, ...acc.consts.map((c) => (typeof c === 'string' ? c.trim() : c))] });
  }

  private macroOutput(name: string): AV {
    const m = this.macroMemo.get(name);
    if (m === 'busy') return COMP;
    if (m) return m;
    const info = this.macros.get(name);
    if (!info) return COMP;
    this.macroMemo.set(name, 'busy');
    const v = this.bodyOutput(info.stmt.body);
    this.macroMemo.set(name, v);
    return v;
  }

  private loopItemsMemo: AV | null = null;

  /** What any loop's current item may be (loop.previtem/nextitem): the elements of every for-loop's iterable. */
  private loopItems(): AV {
    if (this.loopItemsMemo) return this.loopItemsMemo;
    this.loopItemsMemo = COMP; // while computing (a loop over loop.previtem)
    const iters: AV[] = [];
    this.walkStmts(this.template.body, (s) => {
      if (s.type === 'For') iters.push(elemOf(this.eval(s.iter)));
    });
    this.loopItemsMemo = join(...iters);
    return this.loopItemsMemo;
  }

  private walkStmts(body: Stmt[], fn: (s: Stmt) => void): void {
    for (const s of body) {
      fn(s);
      for (const b of stmtBodies(s)) this.walkStmts(b, fn);
    }
  }

  private namespaceAttr(nsName: string, attr: string): AV | null {
    const bs = this.bindings.get(nsName);
    if (!bs) return null;
    const vals: AV[] = [];
    for (const b of bs) {
      if (b.kind !== 'expr' || b.path.length > 0) return null;
      const e = b.expr;
      if (e.type === 'Call' && e.node.type === 'Name' && (e.node.name === 'namespace' || e.node.name === 'dict') && !this.isBound(e.node.name)) {
        if (e.dynArgs || e.dynKwargs || e.args.length > 0) return null;
        const kw = e.kwargs.find((k) => k.key === attr);
        vals.push(kw ? this.eval(kw.value) : NONE);
      } else return null;
    }
    const assigned = this.bindings.has(`${nsName}.${attr}`) ? this.evalName(`${nsName}.${attr}`) : null;
    return join(...vals, assigned);
  }

  private evalGetattr(node: Expr, attr: string): AV {
    if (node.type === 'Name' && !this.isBound(node.name) && node.name === 'loop') {
      if (LOOP_NUMERIC.has(attr)) return NUM;
      if (attr === 'previtem' || attr === 'nextitem') return join(this.loopItems(), NONE);
      return COMP;
    }
    if (node.type === 'Name') {
      const ns = this.namespaceAttr(node.name, attr);
      if (ns) return ns;
    }
    const recv = this.eval(node);
    const out: AV[] = [];
    for (const c of recv.consts) {
      if (c instanceof PyDict) {
        const v = c.get(attr);
        out.push(v === undefined ? NONE : constAV(v));
      } else if (typeof c === 'string' || Array.isArray(c)) out.push(COMP); // a bound method
      else out.push(NONE); // None, numbers, booleans: undefined
    }
    if (recv.fields) out.push(recv.fields.get(attr) ?? NONE);
    if (recv.data) out.push(DATA);
    if (recv.comp || recv.elems) out.push(COMP);
    if (recv.num) out.push(NUM);
    if (node.type === 'Name' && this.bindings.has(`${node.name}.${attr}`)) out.push(this.evalName(`${node.name}.${attr}`));
    return join(...out);
  }

  private evalGetitem(node: Expr, arg: Expr): AV {
    const recv = this.eval(node);
    if (arg.type === 'Slice') {
      const parts = [arg.start, arg.stop, arg.step].map((p) => (p ? this.eval(p) : NONE));
      const out: AV[] = [];
      if (recv.consts.length) {
        if (parts.every(isPureConst)) out.push(lift([constAVList(recv.consts), ...parts], (o, a, b, c) => slice(o, a!, b!, c!)));
        else out.push(COMP);
      }
      if (recv.data) out.push(DATA);
      if (recv.comp || recv.fields) out.push(COMP);
      if (recv.elems) out.push(recv);
      return join(...out);
    }
    const key = this.eval(arg);
    const out: AV[] = [];
    if (recv.consts.length) {
      const consts = constAVList(recv.consts);
      if (isPureConst(key)) out.push(lift([consts, key], (o, k) => getItem(o!, k!) ?? null));
      else
        for (const c of recv.consts) {
          // Unknown index into a constant: any element.
          const items = typeof c === 'string' || Array.isArray(c) ? iterate(c) : c instanceof PyDict ? c.entries.map(([, v]) => v) : undefined;
          out.push(items ? constAV(...items) : NONE);
          if (key.comp || key.data) out.push(COMP);
        }
    }
    if (recv.fields) {
      if (isPureConst(key)) for (const k of key.consts) out.push(typeof k === 'string' ? (recv.fields.get(k) ?? NONE) : NONE);
      else out.push(...recv.fields.values(), NONE, ...(key.comp ? [COMP] : []));
    }
    if (recv.data) out.push(DATA);
    if (recv.comp) out.push(COMP);
    if (recv.elems) out.push(recv.elems);
    if (recv.num) out.push(NUM);
    return join(...out);
  }

  private callArgs(c: { args: Expr[]; kwargs: { key: string; value: Expr }[] }): { args: AV[]; kw: [string, AV][] } {
    return { args: c.args.map((a) => this.eval(a)), kw: c.kwargs.map((k) => [k.key, this.eval(k.value)]) };
  }

  private evalCall(e: Extract<Expr, { type: 'Call' }>): AV {
    if (e.dynArgs || e.dynKwargs) return COMP;
    const { args, kw } = this.callArgs(e);
    const callee = e.node;
    if (callee.type === 'Getattr') {
      if (callee.node.type === 'Name' && callee.node.name === 'loop' && !this.isBound('loop')) return callee.attr === 'cycle' ? join(...args) : callee.attr === 'changed' ? NUM : COMP;
      const recv = this.eval(callee.node);
      const out: AV[] = [];
      if (recv.consts.length) {
        const all = [constAVList(recv.consts), ...args, ...kw.map(([, v]) => v)];
        out.push(
          lift(all, (r, ...rest) => {
            const pos = rest.slice(0, args.length);
            const kws = new Map(kw.map(([k], i) => [k, rest[args.length + i]!]));
            return methodConst(r!, callee.attr, pos, kws);
          }),
        );
      }
      if (recv.data) {
        if (DATA_METHODS.has(callee.attr)) out.push(DATA, ...(callee.attr === 'get' && args[1] ? [args[1]] : []));
        else if (NUM_METHODS.has(callee.attr)) out.push(NUM);
        else out.push(COMP);
      }
      if (recv.fields) {
        const f = recv.fields;
        if (callee.attr === 'get') {
          const k = args[0];
          if (k && isPureConst(k)) for (const c of k.consts) out.push(typeof c === 'string' ? (f.get(c) ?? args[1] ?? NONE) : (args[1] ?? NONE));
          else out.push(...f.values(), args[1] ?? NONE);
        } else if (callee.attr === 'keys') out.push(listOf(constAV(...f.keys())));
        else if (callee.attr === 'values') out.push(listOf(join(...f.values())));
        else if (callee.attr === 'items') out.push(listOf(listOf(join(constAV(...f.keys()), ...f.values()))));
        else out.push(COMP);
      }
      if (recv.comp || recv.elems || recv.num) out.push(COMP);
      return join(...out);
    }
    if (callee.type === 'Name') {
      const name = callee.name;
      if (this.macros.has(name) && !this.bindings.has(name)) return this.macroOutput(name);
      if (this.isBound(name)) return COMP;
      switch (name) {
        case 'range': {
          if (args.every(isPureConst) && kw.length === 0) {
            const r = lift(args, (...v) => pyRange(v));
            if (!r.comp) return r;
          }
          return listOf(NUM);
        }
        case 'dict':
        case 'namespace': {
          if (args.length === 0 && kw.every(([, v]) => isPureConst(v) && v.consts.length === 1)) {
            return constAV(new PyDict(kw.map(([k, v]) => [k, v.consts[0]!])));
          }
          return COMP;
        }
        case 'raise_exception':
          return NONE;
        case 'lipsum':
        case 'cycler':
        case 'joiner':
        case 'caller':
        case 'loop':
        case 'varargs':
        case 'kwargs':
          return COMP;
        default:
          return APP_GLOBALS.has(name) ? COMP : DATA;
      }
    }
    return COMP;
  }

  private evalFilter(e: Extract<Expr, { type: 'Filter' }>, input: AV): AV {
    if (e.dynArgs || e.dynKwargs) return COMP;
    const { args, kw } = this.callArgs(e);
    const name = e.name;
    if (NUM_FILTERS.has(name)) return NUM;
    const out: AV[] = [];
    if (name === 'random') return elemOf(input);
    if (name === 'default' || name === 'd') out.push(args[0] ?? constAV(''));
    if (name === 'attr') {
      if (input.consts.length && args[0] && isPureConst(args[0])) {
        out.push(lift([constAVList(input.consts), args[0]], (o, k) => (o instanceof PyDict && typeof k === 'string' ? (o.get(k) ?? null) : undefined)));
      } else if (input.consts.length) out.push(COMP);
      if (input.data) out.push(DATA);
      if (input.comp || input.elems || input.num) out.push(COMP);
      return join(...out);
    }
    if (input.consts.length) {
      const all = [constAVList(input.consts), ...args, ...kw.map(([, v]) => v)];
      out.push(
        lift(all, (i, ...rest) => {
          const pos = rest.slice(0, args.length);
          const kws = new Map(kw.map(([k], j) => [k, rest[args.length + j]!]));
          return filterConst(name, i!, pos, kws);
        }),
      );
    }
    if (input.elems) {
      if (name === 'first' || name === 'last') out.push(input.elems);
      else if (name === 'list' || name === 'reverse' || name === 'sort' || name === 'unique' || name === 'select' || name === 'reject') out.push(listOf(input.elems));
      else if (name === 'join') out.push(concat(input.elems, COMP));
      else out.push(COMP);
    }
    if (input.fields) {
      const keys = constAV(...input.fields.keys());
      const vals = join(...input.fields.values());
      if (name === 'items' || name === 'dictsort') out.push(listOf(listOf(join(keys, vals))));
      else if (name === 'list' || name === 'sort' || name === 'unique' || name === 'reverse') out.push(listOf(keys));
      else if (name === 'first' || name === 'last') out.push(keys);
      else out.push(COMP);
    }
    if (input.data) out.push(DATA_FILTERS.has(name) ? DATA : COMP);
    if (input.comp) out.push(COMP);
    if (input.num) out.push(name === 'string' || name === 'format' || name === 'join' ? COMP : NUM);
    return join(...out);
  }

  private evalBinOp(op: string, l: AV, r: AV): AV {
    if (isBottom(l) || isBottom(r)) return EMPTY;
    switch (op) {
      case 'add':
        if (isPureConst(l) && isPureConst(r)) return lift([l, r], add);
        // Numbers (and lists of data) stay harmless; anything that may build a string is computed.
        if (l.comp || r.comp || l.elems || r.elems || [...l.consts, ...r.consts].some((c) => typeof c === 'string')) return COMP;
        if ((l.data && (r.data || r.consts.length)) || (r.data && l.consts.length)) {
          // data + data could be string concatenation of render-context values: a lookup result, not template-built.
          return join(l.num || r.num ? NUM : null, DATA);
        }
        return NUM;
      case 'mul':
        if (isPureConst(l) && isPureConst(r)) return lift([l, r], (a, b) => (typeof a === 'number' && typeof b === 'number' ? a * b : repeat(a!, b!)));
        if (l.consts.some((c) => typeof c === 'string' || Array.isArray(c)) || r.consts.some((c) => typeof c === 'string' || Array.isArray(c)) || l.comp || r.comp || l.data || r.data) return COMP;
        return NUM;
      case 'mod':
        if (isPureConst(l) && isPureConst(r)) return lift([l, r], (a, b) => (typeof a === 'string' ? printf(a, b!) : typeof a === 'number' && typeof b === 'number' ? a % b : undefined));
        if (l.consts.some((c) => typeof c === 'string') || l.comp || l.data) return COMP;
        return NUM;
      default:
        // sub, div, floordiv, pow: numbers only.
        if (isPureConst(l) && isPureConst(r)) {
          const v = lift([l, r], (a, b) => numOp(op, a!, b!));
          if (!v.comp) return v;
        }
        return NUM;
    }
  }

  // ---- pass 2: checks ----------------------------------------------------------------------

  private check(body: Stmt[]): void {
    for (const s of body) {
      this.pulse();
      this.statements++;
      switch (s.type) {
        case 'Output':
          this.outputs++;
          break;
        case 'Include':
          this.issue(RULES.fileAccess, `{% include %} reads another template file${describeConst(this.eval(s.template))}`, s.line);
          break;
        case 'Extends':
          this.issue(RULES.fileAccess, `{% extends %} reads another template file${describeConst(this.eval(s.template))}`, s.line);
          break;
        case 'Import':
        case 'FromImport':
          this.issue(RULES.fileAccess, `{% ${s.type === 'Import' ? 'import' : 'from ... import'} %} reads another template file${describeConst(this.eval(s.template))}`, s.line);
          for (const n of s.type === 'FromImport' ? s.names.flatMap((x) => [x.name, x.alias]) : [s.target]) this.checkIdentifier(n, 'imported name', s.line);
          break;
        case 'Macro':
          this.checkIdentifier(s.name, 'macro name', s.line);
          for (const p of s.params) this.checkIdentifier(p.name, 'macro parameter', p.line);
          break;
        case 'CallBlock':
          for (const p of s.params) this.checkIdentifier(p.name, 'call block parameter', p.line);
          break;
        case 'Block':
          this.checkIdentifier(s.name, 'block name', s.line);
          break;
        default:
          break;
      }
      for (const e of stmtExprs(s)) if (e) this.checkExpr(e, isTargetOf(s, e));
      for (const b of stmtBodies(s)) this.check(b);
    }
  }

  private checkIdentifier(name: string, what: string, line: number): void {
    if (name.startsWith('__')) this.issue(RULES.dunderName, `${what} "${name}" is a dunder name`, line);
  }

  private classifyName(name: string): Rule | null {
    if (name.startsWith('__')) return RULES.dunderAttribute;
    if (name.startsWith('_')) return RULES.privateAttribute;
    if (INTERNAL_ATTRIBUTES.has(name)) return RULES.internalAttribute;
    return null;
  }

  private reportNames(rule: Rule, names: string[], via: string, line: number): void {
    const shown = names.slice(0, 4).map((n) => JSON.stringify(n.length > 60 ? n.slice(0, 60) + '…' : n)).join(', ');
    const list = names.length > 4 ? `${shown} and ${names.length - 4} more` : shown;
    const why =
      rule === RULES.dunderAttribute
        ? 'a sandbox-escape primitive (reaches Python internals such as __globals__/__builtins__)'
        : rule === RULES.privateAttribute
          ? "Jinja's sandbox refuses private attributes; unsandboxed renderers reach internals through them"
          : 'a Python internal that leads to frames, code or class hierarchies';
    this.issue(rule, `access to ${list} (${via}): ${why}`, line);
  }

  private checkAttrName(name: string, via: string, line: number): boolean {
    const rule = this.classifyName(name);
    if (!rule) return false;
    this.reportNames(rule, [name], via, line);
    this.reportedStrings.add(name);
    return true;
  }

  /** A value used as an attribute name. `strict`: anything not a constant is unknown (attr(), attribute arguments). */
  private checkKey(v: AV, via: string, line: number, strict: boolean, dotted: boolean): void {
    const hits = new Map<Rule, string[]>();
    for (const c of v.consts) {
      if (typeof c !== 'string') continue;
      for (const p of dotted ? c.split('.') : [c]) {
        const rule = this.classifyName(p);
        if (!rule) continue;
        const list = hits.get(rule) ?? [];
        if (!list.includes(p)) list.push(p);
        hits.set(rule, list);
        this.reportedStrings.add(c);
        this.reportedStrings.add(p);
      }
    }
    for (const [rule, names] of hits) this.reportNames(rule, names, via, line);
    if (v.comp || (strict && (v.data || v.elems || v.fields))) {
      this.issue(RULES.computedAttribute, `attribute name computed at render time (${via}); it cannot be proved not to name a Python internal`, line);
    }
  }

  private checkExpr(e: Expr, isTarget: boolean): void {
    this.pulse();
    const v = isTarget ? null : this.eval(e);
    if (v) for (const c of v.consts) if (typeof c === 'string' && DUNDER_INSIDE.test(c) && !this.dunderStrings.has(c)) this.dunderStrings.set(c, e.line);
    switch (e.type) {
      case 'Name':
        this.checkIdentifier(e.name, isTarget ? 'variable' : 'name', e.line);
        if (!isTarget && !this.isBound(e.name)) {
          if (APP_GLOBALS.has(e.name)) this.issue(RULES.appGlobal, `reference to "${e.name}", a web-framework global no chat template uses; it exposes application objects`, e.line);
          else if (OBJECT_GLOBALS.has(e.name) && !this.callees.has(e))
            this.issue(RULES.objectGlobal, `Jinja global "${e.name}" used as an object rather than called; its attributes lead to Python internals`, e.line);
        }
        break;
      case 'NSRef':
        this.checkAttrName(e.attr, 'namespace attribute assignment', e.line);
        break;
      case 'Getattr':
        this.checkAttrName(e.attr, `attribute .${e.attr}`, e.line);
        break;
      case 'Getitem':
        if (e.arg.type !== 'Slice' && e.arg.type !== 'Tuple') this.checkKey(this.eval(e.arg), 'subscript', e.line, false, false);
        break;
      case 'Call':
        for (const k of e.kwargs) this.checkIdentifier(k.key, 'keyword argument', k.line);
        this.checkCall(e);
        break;
      case 'Filter':
      case 'Test':
        this.checkIdentifier(e.name, e.type === 'Filter' ? 'filter' : 'test', e.line);
        for (const k of e.kwargs) this.checkIdentifier(k.key, 'keyword argument', k.line);
        if (e.type === 'Filter') this.checkFilter(e);
        break;
      case 'BinOp':
        if (e.op === 'mul' || e.op === 'pow') this.checkArithmetic(e);
        break;
      default:
        break;
    }
    for (const c of exprChildren(e)) if (c) this.checkExpr(c, isTarget && (e.type === 'Tuple' || e.type === 'Name'));
  }

  private checkCall(e: Extract<Expr, { type: 'Call' }>): void {
    const callee = e.node;
    if (callee.type === 'Getattr' && (callee.attr === 'format' || callee.attr === 'format_map')) {
      const recv = this.eval(callee.node);
      for (const c of recv.consts) {
        if (typeof c !== 'string') continue;
        const fields = parseFormatFields(c);
        if (!fields) {
          this.issue(RULES.computedFormat, 'str.format() with a format string that could not be parsed', e.line);
          continue;
        }
        for (const f of fields) for (const a of f.attrs) if (this.checkAttrName(a, 'str.format field', e.line)) this.reportedStrings.add(c);
      }
      if (recv.comp || recv.data || recv.elems) {
        this.issue(RULES.computedFormat, 'str.format() on a string built at render time: format fields can read attributes ("{0.__class__}")', e.line);
      }
    }
    if (callee.type === 'Name' && callee.name === 'range' && !this.isBound('range')) {
      const args = e.args.map((a) => this.eval(a));
      if (args.every(isPureConst)) {
        const sizes = lift(args, (...v) => rangeLength(v));
        for (const n of sizes.consts) if (typeof n === 'number' && n > MAX_RANGE) this.issue(RULES.resource, `range() of ${n} items (Jinja's sandbox refuses more than ${MAX_RANGE})`, e.line);
      }
    }
    if (callee.type === 'Name' && callee.name === 'lipsum' && !this.isBound('lipsum')) {
      const n = e.args[0] ? this.eval(e.args[0]) : null;
      if (n && n.consts.some((x) => typeof x === 'number' && x > 1000)) this.issue(RULES.resource, 'lipsum() asked for more than 1000 paragraphs', e.line);
    }
  }

  private checkFilter(e: Extract<Expr, { type: 'Filter' }>): void {
    const kw = (key: string): Expr | undefined => e.kwargs.find((k) => k.key === key)?.value;
    const path = (x: Expr | undefined, via: string): void => {
      if (x) this.checkKey(this.eval(x), via, e.line, true, true);
    };
    switch (e.name) {
      case 'attr':
        if (e.args[0]) this.checkKey(this.eval(e.args[0]), 'attr() filter', e.line, true, false);
        else if (kw('name')) this.checkKey(this.eval(kw('name')!), 'attr() filter', e.line, true, false);
        break;
      case 'map': {
        path(kw('attribute'), 'map(attribute=)');
        const f = e.args[0] ? this.eval(e.args[0]) : null;
        if (f && f.consts.includes('attr')) {
          if (e.args[1]) this.checkKey(this.eval(e.args[1]), "map('attr', ...)", e.line, true, false);
          else path(kw('name'), "map('attr', ...)");
        }
        if (f && (f.comp || f.data)) this.issue(RULES.computedAttribute, 'map() with a filter name computed at render time', e.line);
        break;
      }
      case 'selectattr':
      case 'rejectattr':
        path(e.args[0] ?? kw('attribute'), `${e.name}()`);
        break;
      case 'sort':
        path(e.args[2] ?? kw('attribute'), 'sort(attribute=)');
        break;
      case 'unique':
        path(e.args[1] ?? kw('attribute'), 'unique(attribute=)');
        break;
      case 'min':
      case 'max':
        path(e.args[1] ?? kw('attribute'), `${e.name}(attribute=)`);
        break;
      case 'sum':
        path(e.args[0] ?? kw('attribute'), 'sum(attribute=)');
        break;
      case 'groupby':
        path(e.args[0] ?? kw('attribute'), 'groupby()');
        break;
      case 'join':
        path(e.args[1] ?? kw('attribute'), 'join(attribute=)');
        break;
      default:
        break;
    }
  }

  private checkArithmetic(e: Extract<Expr, { type: 'BinOp' }>): void {
    const l = this.eval(e.left);
    const r = this.eval(e.right);
    for (const a of l.consts)
      for (const b of r.consts) {
        if (e.op === 'mul') {
          const len = typeof a === 'string' && typeof b === 'number' ? a.length * b : typeof b === 'string' && typeof a === 'number' ? b.length * a : 0;
          if (len > 10_000_000) this.issue(RULES.resource, `string repetition producing ${len} characters`, e.line);
        } else if (typeof a === 'number' && typeof b === 'number' && Math.abs(a) > 1 && b > 100_000) {
          this.issue(RULES.resource, `power ${a} ** ${b} (a huge integer)`, e.line);
        }
      }
  }
}

/** Whether e is (part of) an assignment target of s. */
function isTargetOf(s: Stmt, e: Expr): boolean {
  if (s.type === 'Set' || s.type === 'SetBlock' || s.type === 'For') return s.target === e;
  if (s.type === 'With') return s.targets.includes(e);
  return false;
}

function describeConst(v: AV): string {
  const s = v.consts.find((c) => typeof c === 'string');
  return typeof s === 'string' ? ` ("${s.slice(0, 200)}")` : '';
}

function constAVList(consts: CV[]): AV {
  return { consts, data: false, num: false, comp: false, elems: null };
}

function concat(a: AV, b: AV): AV {
  if (isBottom(a) || isBottom(b)) return EMPTY;
  if (!isPureConst(a) || !isPureConst(b)) return COMP;
  return lift([a, b], (x, y) => {
    const s = pyStr(x!);
    const t = pyStr(y!);
    return s === undefined || t === undefined ? undefined : s + t;
  });
}

/** The elements of an iterable value. */
function elemOf(a: AV): AV {
  const out: AV[] = [];
  for (const c of a.consts) {
    const items = iterate(c);
    if (items) out.push(constAV(...items.slice(0, MAX_CONSTS + 1)));
  }
  if (a.elems) out.push(a.elems);
  if (a.fields) out.push(constAV(...a.fields.keys()));
  if (a.data) out.push(DATA);
  if (a.comp) out.push(COMP);
  return join(...out);
}

function destructure(a: AV, path: number[]): AV {
  let cur = a;
  for (const i of path) {
    const out: AV[] = [];
    for (const c of cur.consts) {
      const items = iterate(c);
      const v = items?.[i];
      if (v !== undefined) out.push(constAV(v));
    }
    if (cur.elems) out.push(cur.elems);
    if (cur.data) out.push(DATA);
    if (cur.comp) out.push(COMP);
    cur = join(...out);
  }
  return cur;
}

function numOp(op: string, a: CV, b: CV): CV | undefined {
  if (typeof a !== 'number' || typeof b !== 'number') return undefined;
  let r: number;
  if (op === 'sub') r = a - b;
  else if (op === 'div') r = b === 0 ? NaN : a / b;
  else if (op === 'floordiv') r = b === 0 ? NaN : Math.floor(a / b);
  else if (op === 'pow') r = Math.abs(b) > 1024 ? NaN : a ** b;
  else return undefined;
  return Number.isFinite(r) ? r : undefined;
}

function rangeArgs(v: CV[]): [number, number, number] | undefined {
  if (!v.every((x) => typeof x === 'number' && Number.isInteger(x))) return undefined;
  const n = v as number[];
  if (n.length === 1) return [0, n[0]!, 1];
  if (n.length === 2) return [n[0]!, n[1]!, 1];
  if (n.length === 3 && n[2] !== 0) return [n[0]!, n[1]!, n[2]!];
  return undefined;
}

function rangeLength(v: CV[]): number | undefined {
  const r = rangeArgs(v);
  if (!r) return undefined;
  const [a, b, s] = r;
  return Math.max(0, Math.ceil((b - a) / s));
}

function pyRange(v: CV[]): CV | undefined {
  const r = rangeArgs(v);
  const len = rangeLength(v);
  if (!r || len === undefined || len > 256) return undefined;
  const out: number[] = [];
  for (let i = 0; i < len; i++) out.push(r[0] + i * r[2]);
  return out;
}
