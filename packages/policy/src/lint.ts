/**
 * Lint and compile policy files. Every problem becomes a diagnostic with the file, policy, rule
 * and the 1-based line and column where it is written (for an expression error: the offending
 * character inside the expression). Only an error-free run yields a compiled policy set.
 */
import { createHash } from 'node:crypto';
import type { Environment, ParseResult } from '@marcbachmann/cel-js';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import {
  policySetDigest,
  sealPolicySet,
  type CompiledPolicy,
  type CompiledPolicySet,
  type CompiledRead,
  type CompiledRule,
  type CompiledTemplatePart,
  type SourceLocation,
} from './compiled.js';
import { policyEnvironment } from './environment.js';
import { preparedBuiltinFiles } from './library.js';
import { HELPER_FUNCTIONS } from './functions.js';
import {
  AppliesToSchema,
  ParamDeclSchema,
  PolicyFileSchema,
  PolicySchema,
  RuleSchema,
  paramValue,
  type ParamOverrides,
  type ParamType,
  type PolicyDecl,
} from './policy-file.js';
import { keyNodeAt, nodeAt, nodeStart, positionOf, scalarValueOffset, type Position } from './positions.js';
import { splitTemplate } from './template.js';
import { isAlertFile, lintAlertFile, type CompiledAlertRule } from './alerts.js';

export interface PolicySource {
  /** Shown in diagnostics and results; built-in files are `builtin:<name>.yaml`. */
  path: string;
  text: string;
}

export interface LintDiagnostic {
  file: string;
  policy: string | null;
  ruleId: string | null;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  severity: 'error' | 'warning';
  message: string;
}

export interface LintOptions {
  /** Per-repository parameter values, by policy name then parameter name. */
  params?: ParamOverrides;
  /** The file the overrides come from (for diagnostics); default `<params>`. */
  paramsFile?: string;
  /** Where an override is written, for diagnostics (param null: the policy's entry). */
  locateParam?: (policy: string, param: string | null) => Position | null;
  /**
   * Files parsed ahead of time, by the SHA-256 of their text (default: the built-in library as
   * prepared by the build, see preparePolicyFile). A file whose text has no entry is parsed.
   */
  prepared?: ReadonlyMap<string, PreparedPolicyFile>;
}

/**
 * A policy file parsed ahead of time (the build does it for the built-in library): the YAML parse
 * was most of the cost of linting the library, which `steward check` pays on every run. Only an
 * error-free file is prepared, so a prepared file never needs its YAML document for diagnostics
 * of its own; anything else (a misplaced override, a type error) still finds its position.
 */
export interface PreparedPolicyFile {
  /** SHA-256 (hex) of the text it was parsed from. */
  sha256: string;
  /** The document as plain data (`toJS`). */
  js: unknown;
  /** The start offset of every node, by `JSON.stringify` of its path of keys and indexes. */
  starts: Record<string, number>;
}

const YAML_OPTIONS = { prettyErrors: false, uniqueKeys: true, strict: true } as const;

/** The file parsed for PreparedPolicyFile, or null when its YAML has errors or warnings (lint it to see them). */
export function preparePolicyFile(text: string): PreparedPolicyFile | null {
  const doc = parseDocument(text, YAML_OPTIONS);
  if (doc.errors.length > 0 || doc.warnings.length > 0) return null;
  const starts: Record<string, number> = {};
  // The same nodes nodeAt() reaches: first pair with a scalar key in a map, items of a sequence; aliases are not followed.
  const visit = (node: unknown, path: (string | number)[]): void => {
    if (!node || typeof node !== 'object' || !('range' in node)) return;
    starts[JSON.stringify(path)] = nodeStart(node as Node);
    if (isAlias(node)) return;
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const key = pair.key.value as string | number;
        if (JSON.stringify([...path, key]) in starts) continue;
        visit(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) node.items.forEach((item, i) => visit(item, [...path, i]));
  };
  visit(doc.contents, []);
  return { sha256: sha256Hex(text), js: doc.toJS({ maxAliasCount: 100 }), starts };
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface LintResult {
  diagnostics: LintDiagnostic[];
  /** Present only when there is no error diagnostic. */
  policySet: CompiledPolicySet | null;
}

const KNOWN_KEYS = {
  file: Object.keys(PolicyFileSchema.shape),
  policy: Object.keys(PolicySchema.shape),
  rule: Object.keys(RuleSchema.shape),
  param: Object.keys(ParamDeclSchema.shape),
  appliesTo: Object.keys(AppliesToSchema.shape),
};

function knownKeysAt(path: readonly PropertyKey[]): string[] {
  if (path.length === 0) return KNOWN_KEYS.file;
  if (path.length === 2) return KNOWN_KEYS.policy;
  if (path[2] === 'rules' && path.length === 4) return KNOWN_KEYS.rule;
  if (path[2] === 'params' && path.length === 4) return KNOWN_KEYS.param;
  if (path[2] === 'appliesTo' && path.length === 3) return KNOWN_KEYS.appliesTo;
  return [];
}

const MAX_READS = 8;

class FileLinter {
  private parsed: { doc: Document; lines: LineCounter } | null = null;
  private preparedLines: LineCounter | null = null;

  constructor(
    readonly source: PolicySource,
    readonly out: LintDiagnostic[],
    /** When given, the YAML is parsed only if a diagnostic needs a position `starts` lacks. */
    readonly prepared: PreparedPolicyFile | null = null,
  ) {}

  get doc(): Document {
    return this.parse().doc;
  }

  private parse(): { doc: Document; lines: LineCounter } {
    if (!this.parsed) {
      const lines = new LineCounter();
      this.parsed = { doc: parseDocument(this.source.text, { lineCounter: lines, ...YAML_OPTIONS }), lines };
    }
    return this.parsed;
  }

  private get lines(): LineCounter {
    if (this.parsed || !this.prepared) return this.parse().lines;
    if (!this.preparedLines) {
      // What the YAML parser records: the offset where each line starts.
      const lines = new LineCounter();
      lines.addNewLine(0);
      for (let i = this.source.text.indexOf('\n'); i >= 0; i = this.source.text.indexOf('\n', i + 1)) lines.addNewLine(i + 1);
      this.preparedLines = lines;
    }
    return this.preparedLines;
  }

  report(offset: number, message: string, policy: string | null = null, ruleId: string | null = null, severity: 'error' | 'warning' = 'error'): void {
    this.out.push({ file: this.source.path, policy, ruleId, ...positionOf(this.lines, offset), severity, message });
  }

  /** Where the node at `path` starts (for a path that does not exist, its nearest parent: as nodeAt). */
  startOf(path: readonly (string | number)[]): number {
    if (this.prepared) {
      for (let n = path.length; n >= 0; n--) {
        const start = this.prepared.starts[JSON.stringify(path.slice(0, n))];
        if (start !== undefined) return start;
      }
      return 0;
    }
    return nodeStart(nodeAt(this.doc, path));
  }

  locationOf(path: readonly (string | number)[]): SourceLocation {
    return { file: this.source.path, ...positionOf(this.lines, this.startOf(path)) };
  }

  /** Where the key `key` of the map at `path` is written (an unknown field is reported at its key). */
  keyStart(path: readonly (string | number)[], key: string): number {
    return nodeStart(keyNodeAt(this.doc, path, key));
  }

  /** Offset in the file of character `index` of the scalar at `path` (its start when not a scalar). */
  offsetIn(path: readonly (string | number)[], index: number): number {
    const node = nodeAt(this.doc, path);
    return isScalar(node) ? scalarValueOffset(node, this.source.text, index) : nodeStart(node);
  }
}

interface CompileError {
  offset: number;
  message: string;
}

function compile(env: Environment, source: string, what: string): { run: ParseResult; type: string } | CompileError {
  let run: ParseResult;
  try {
    run = env.parse(source);
  } catch (e) {
    const err = e as { range?: { start: number }; summary?: string; message: string };
    return { offset: err.range?.start ?? 0, message: `${what} does not parse: ${err.summary ?? firstLine(err.message)}` };
  }
  const checked = run.check();
  if (!checked.valid) {
    const err = checked.error as { range?: { start: number }; summary?: string; message: string; code?: string } | undefined;
    return { offset: err?.range?.start ?? 0, message: `${what} does not type-check: ${explain(err)}` };
  }
  return { run, type: checked.type ?? 'dyn' };
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

function explain(err: { summary?: string; message: string; code?: string } | undefined): string {
  if (!err) return 'unknown type error';
  const text = err.summary ?? firstLine(err.message);
  if (err.code === 'no_such_key' || /^No such key/.test(text)) return `${text} (the governance record's fields are listed in docs/governance-record.schema.json)`;
  if (/found no matching overload|no such overload/i.test(text)) {
    const name = /for '([A-Za-z_]\w*)\(/.exec(text)?.[1];
    const helper = HELPER_FUNCTIONS.find((f) => f.signature.startsWith(`${name}(`));
    return helper ? `${text} (expected ${helper.signature})` : text;
  }
  return text;
}

type AstNode = { op: string; args: unknown; range: { start: number; end: number }; input: string };

function isAst(v: unknown): v is AstNode {
  return typeof v === 'object' && v !== null && 'op' in v && 'range' in v;
}

/** The chain root of a pure field selection `a.b.c` (null for anything else). */
function chainRoot(node: AstNode): string | null {
  let n: AstNode = node;
  while (n.op === '.' || n.op === '.?') {
    const inner = (n.args as unknown[])[0];
    if (!isAst(inner)) return null;
    n = inner;
  }
  return n.op === 'id' ? (n.args as string) : null;
}

const RECORD_HELPERS = new Set(['countFindings', 'findingsAtLeast']);

/**
 * The values a rule reads, as sub-expressions that stand alone: selections rooted at record,
 * params or ring (the longest chain only), and helper calls over the whole record.
 */
function collectReads(ast: AstNode): string[] {
  const reads: string[] = [];
  const add = (n: AstNode) => {
    const src = n.input.slice(n.range.start, n.range.end).trim();
    if (!reads.includes(src)) reads.push(src);
  };
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (!isAst(v)) return;
    if (v.op === '.' || v.op === '.?') {
      const root = chainRoot(v);
      if (root === 'record' || root === 'params') return add(v);
    }
    if (v.op === 'id' && v.args === 'ring') return add(v);
    if (v.op === 'call' || v.op === 'rcall') {
      const [name, ...rest] = v.args as [string, ...unknown[]];
      const argNodes = (v.op === 'rcall' ? [rest[0], ...((rest[1] as unknown[]) ?? [])] : ((rest[0] as unknown[]) ?? [])) as unknown[];
      if (RECORD_HELPERS.has(name) && argNodes.every((a) => isAst(a) && (a.op === 'value' || (a.op === 'id' && a.args === 'record')))) return add(v);
    }
    const args = v.args;
    if (Array.isArray(args)) args.forEach(visit);
    else visit(args);
  };
  visit(ast);
  return reads.slice(0, MAX_READS);
}

interface PolicyContext {
  file: FileLinter;
  index: number;
  decl: PolicyDecl;
  /** Index in the file of each rule in decl.rules (rules that failed the schema are left out). */
  ruleIndexes: number[];
  /** Schema errors were reported for this policy: never compile it. */
  broken?: boolean;
}

/** The policies of a file that failed the schema whose name and parameters are valid, with their valid rules. */
function salvagePolicies(file: FileLinter, js: unknown): PolicyContext[] {
  const list = (js as { policies?: unknown } | null)?.policies;
  if (!Array.isArray(list)) return [];
  const out: PolicyContext[] = [];
  list.forEach((raw, index) => {
    if (!raw || typeof raw !== 'object') return;
    const rules = Array.isArray((raw as { rules?: unknown }).rules) ? ((raw as { rules: unknown[] }).rules) : [];
    const ruleIndexes: number[] = [];
    const valid = rules.filter((r, i) => RuleSchema.safeParse(r).success && ruleIndexes.push(i) > 0);
    const { rules: _rules, ...rest } = raw as Record<string, unknown>;
    const known = Object.fromEntries(Object.entries(rest).filter(([k]) => KNOWN_KEYS.policy.includes(k)));
    const p = PolicySchema.safeParse({ ...known, rules: valid.length ? valid : [{ id: 'placeholder', severity: 'error', message: '-', expression: 'true' }] });
    if (!p.success) return;
    const decl = valid.length ? p.data : { ...p.data, rules: [] };
    out.push({ file, index, decl, ruleIndexes, broken: true });
  });
  return out;
}

/**
 * Lints policy files and, when there is no error, compiles them into a policy set. Checks: YAML
 * syntax, the file schema (unknown fields, wrong types), duplicate policy names and rule ids across
 * all files, parameter defaults and overrides against their declared types, rule expressions
 * (parse, type-check against the governance record, boolean result) and message templates.
 */
export function lintPolicyFiles(files: readonly PolicySource[], options: LintOptions = {}): LintResult {
  const diagnostics: LintDiagnostic[] = [];
  const policies: PolicyContext[] = [];
  const seenFiles = new Set<string>();
  const digests = new Map<string, string>();
  const prepared = options.prepared ?? preparedBuiltinFiles();
  const alerts: CompiledAlertRule[] = [];
  const alertIds = new Map<string, SourceLocation>();

  for (const source of files) {
    if (seenFiles.has(source.path)) {
      diagnostics.push({ file: source.path, policy: null, ruleId: null, line: 1, column: 1, severity: 'error', message: `file ${source.path} is given twice` });
      continue;
    }
    seenFiles.add(source.path);
    const sha256 = sha256Hex(source.text);
    digests.set(source.path, sha256);
    const ready = prepared.get(sha256);
    const file = new FileLinter(source, diagnostics, ready && ready.sha256 === sha256 ? ready : null);
    let js: unknown;
    if (file.prepared) js = structuredClone(file.prepared.js);
    else {
      const { doc } = file;
      for (const e of doc.errors) file.report(e.pos[0], `invalid YAML: ${firstLine(e.message)}`);
      for (const w of doc.warnings) file.report(w.pos[0], `YAML: ${firstLine(w.message)}`, null, null, 'warning');
      if (doc.errors.length > 0) continue;
      js = doc.toJS({ maxAliasCount: 100 });
    }
    if (isAlertFile(js)) {
      alerts.push(...lintAlertFile(file, js, alertIds));
      continue;
    }
    const parsed = PolicyFileSchema.safeParse(js);
    if (parsed.success) {
      parsed.data.policies.forEach((decl, index) => policies.push({ file, index, decl, ruleIndexes: decl.rules.map((_, i) => i) }));
      continue;
    }
    reportSchemaIssues(file, js, parsed.error.issues);
    // Keep linting what is well-formed, so one bad field does not hide the other problems.
    policies.push(...salvagePolicies(file, js));
  }

  // Names and ids are global: waivers, results and SARIF refer to rules by id alone.
  const policyNames = new Map<string, SourceLocation>();
  const ruleIds = new Map<string, SourceLocation>();
  const compiled: CompiledPolicy[] = [];
  for (const p of policies) {
    const c = lintPolicy(p, policyNames, ruleIds, options);
    if (c) compiled.push(c);
  }
  checkOverrideTargets(options, policies, diagnostics);

  const hasErrors = diagnostics.some((d) => d.severity === 'error');
  const fileOrder = new Map(files.map((f, i) => [f.path, i]));
  const order = (d: LintDiagnostic) => fileOrder.get(d.file) ?? files.length;
  diagnostics.sort((a, b) => order(a) - order(b) || a.line - b.line || a.column - b.column);
  if (hasErrors) return { diagnostics, policySet: null };
  const set: CompiledPolicySet = {
    digest: policySetDigest(files, options.params),
    files: [...files]
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
      .map((f) => ({ path: f.path, sha256: digests.get(f.path) ?? sha256Hex(f.text) })),
    policies: compiled,
    ruleCount: compiled.reduce((n, p) => n + p.rules.length, 0),
    alerts,
  };
  return { diagnostics, policySet: sealPolicySet(set) };
}

function reportSchemaIssues(file: FileLinter, js: unknown, issues: readonly z.core.$ZodIssue[]): void {
  const at = (path: readonly PropertyKey[]) => path.filter((k): k is string | number => typeof k !== 'symbol');
  for (const issue of issues) {
    const path = at(issue.path);
    const names = namesAt(js, path);
    const where = path.length ? `${path.join('.')}: ` : '';
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(path);
      for (const key of issue.keys) {
        file.report(nodeStart(keyNodeAt(file.doc, path, key)), `${where}unknown field "${key}"${known.length ? ` (expected one of: ${known.join(', ')})` : ''}`, names.policy, names.ruleId);
      }
      continue;
    }
    const node = nodeAt(file.doc, path);
    const missing = issue.code === 'invalid_type' && namesAt(js, path).value === undefined;
    file.report(nodeStart(node), `${where}${missing ? 'required field is missing' : issue.message}`, names.policy, names.ruleId);
  }
}

/** The policy name and rule id enclosing a path in the raw file, for diagnostics. */
function namesAt(js: unknown, path: readonly (string | number)[]): { policy: string | null; ruleId: string | null; value: unknown } {
  let node: unknown = js;
  let policy: string | null = null;
  let ruleId: string | null = null;
  for (let i = 0; i < path.length; i++) {
    node = node && typeof node === 'object' ? (node as Record<string | number, unknown>)[path[i]!] : undefined;
    const name = node && typeof node === 'object' ? (node as { name?: unknown; id?: unknown }) : null;
    if (i === 1 && typeof name?.name === 'string') policy = name.name;
    if (i === 3 && path[2] === 'rules' && typeof name?.id === 'string') ruleId = name.id;
  }
  return { policy, ruleId, value: node };
}

function lintPolicy(p: PolicyContext, policyNames: Map<string, SourceLocation>, ruleIds: Map<string, SourceLocation>, options: LintOptions): CompiledPolicy | null {
  const { file, decl, index } = p;
  const base = ['policies', index] as const;
  const name = decl.name;
  let ok = true;
  const fail = (offset: number, message: string, ruleId: string | null = null) => {
    file.report(offset, message, name, ruleId);
    ok = false;
  };

  const nameLoc = file.locationOf([...base, 'name']);
  const previous = policyNames.get(name);
  if (previous) fail(file.startOf([...base, 'name']), `duplicate policy name "${name}" (first defined at ${previous.file}:${previous.line})`);
  else policyNames.set(name, nameLoc);

  // Parameters: defaults must have the declared type; overrides replace defaults.
  const paramTypes: Record<string, ParamType> = {};
  const params: Record<string, unknown> = {};
  for (const [pname, pdecl] of Object.entries(decl.params ?? {})) {
    paramTypes[pname] = pdecl.type;
    const v = paramValue(pdecl.type, pdecl.default);
    if (!v.ok) fail(file.startOf([...base, 'params', pname, 'default']), `params.${pname}.default: ${v.error}`);
    else params[pname] = v.value;
  }
  const overrides = options.params?.[name] ?? {};
  for (const [pname, value] of Object.entries(overrides)) {
    const type = paramTypes[pname];
    const where = options.locateParam?.(name, pname) ?? { line: 1, column: 1 };
    const diag = (message: string) => {
      file.out.push({ file: options.paramsFile ?? '<params>', policy: name, ruleId: null, ...where, severity: 'error', message });
      ok = false;
    };
    if (!type) {
      diag(`policy "${name}" has no parameter "${pname}"${Object.keys(paramTypes).length ? ` (its parameters: ${Object.keys(paramTypes).join(', ')})` : ' (it takes no parameters)'}`);
      continue;
    }
    const v = paramValue(type, value);
    if (!v.ok) diag(`params.${name}.${pname}: ${v.error}`);
    else params[pname] = v.value;
  }

  const env = policyEnvironment(paramTypes);
  const rules: CompiledRule[] = [];
  decl.rules.forEach((rule, i) => {
    const rpath = [...base, 'rules', p.ruleIndexes[i]!] as const;
    const prev = ruleIds.get(rule.id);
    if (prev) fail(file.startOf([...rpath, 'id']), `duplicate rule id "${rule.id}" (first defined at ${prev.file}:${prev.line})`, rule.id);
    else ruleIds.set(rule.id, file.locationOf([...rpath, 'id']));

    const exprPath = [...rpath, 'expression'];
    const compiledExpr = compile(env, rule.expression, 'expression');
    let run: ParseResult | null = null;
    if ('message' in compiledExpr) fail(file.offsetIn(exprPath, compiledExpr.offset), compiledExpr.message, rule.id);
    else if (compiledExpr.type !== 'bool') fail(file.offsetIn(exprPath, 0), `expression must be bool (true = the rule passes), but its type is ${compiledExpr.type}`, rule.id);
    else run = compiledExpr.run;

    const msgPath = [...rpath, 'message'];
    const { parts, error } = splitTemplate(rule.message);
    if (error) fail(file.offsetIn(msgPath, error.offset), `message: ${error.message}`, rule.id);
    const template: CompiledTemplatePart[] = [];
    for (const part of parts) {
      if (part.kind === 'text') {
        template.push(part);
        continue;
      }
      const c = compile(env, part.source, `message template {{ ${part.source} }}`);
      if ('message' in c) fail(file.offsetIn(msgPath, part.offset + c.offset), c.message, rule.id);
      else template.push({ kind: 'expr', source: part.source, run: c.run });
    }

    if (!run) return;
    const reads: CompiledRead[] = [];
    for (const source of collectReads(run.ast as unknown as AstNode)) {
      const c = compile(env, source, 'read');
      if (!('message' in c)) reads.push({ source, run: c.run });
    }
    rules.push({
      id: rule.id,
      severity: rule.severity,
      description: rule.description ?? null,
      expression: rule.expression,
      message: rule.message,
      run,
      template,
      reads,
      location: file.locationOf(exprPath),
    });
  });

  if (!ok || p.broken) return null;
  return {
    name,
    description: decl.description ?? null,
    file: file.source.path,
    location: nameLoc,
    appliesTo: { rings: decl.appliesTo?.rings ?? null, riskTiers: decl.appliesTo?.riskTiers ?? null, models: decl.appliesTo?.models ?? null },
    params,
    rules,
  };
}

function checkOverrideTargets(options: LintOptions, policies: readonly PolicyContext[], out: LintDiagnostic[]): void {
  const names = new Set(policies.map((p) => p.decl.name));
  for (const policy of Object.keys(options.params ?? {})) {
    if (names.has(policy)) continue;
    const where = options.locateParam?.(policy, null) ?? { line: 1, column: 1 };
    out.push({
      file: options.paramsFile ?? '<params>',
      policy,
      ruleId: null,
      ...where,
      severity: 'error',
      message: `parameters given for unknown policy "${policy}" (policies: ${[...names].sort().join(', ') || 'none'})`,
    });
  }
}
