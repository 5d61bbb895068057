/** The Jinja2 AST (the node kinds of jinja2/nodes.py that chat templates can produce). */

/** A constant value: what a Jinja literal (or a folded constant expression) evaluates to. */
export type CV = string | number | boolean | null | CV[] | PyDict;

export class PyDict {
  constructor(readonly entries: [CV, CV][]) {}
  get(key: CV): CV | undefined {
    for (const [k, v] of this.entries) if (k === key) return v;
    return undefined;
  }
}

interface Base {
  line: number;
  /** Expressions: height of the subtree (1 for a leaf); bounded by the parser's depth limit. */
  d?: number;
}

export interface Keyword {
  key: string;
  value: Expr;
  line: number;
}

export interface CallArgs {
  args: Expr[];
  kwargs: Keyword[];
  dynArgs: Expr | null;
  dynKwargs: Expr | null;
}

export type Expr =
  | (Base & { type: 'Const'; value: CV; exact: boolean })
  | (Base & { type: 'Name'; name: string })
  | (Base & { type: 'NSRef'; name: string; attr: string })
  | (Base & { type: 'Getattr'; node: Expr; attr: string })
  | (Base & { type: 'Getitem'; node: Expr; arg: Expr })
  | (Base & { type: 'Slice'; start: Expr | null; stop: Expr | null; step: Expr | null })
  | (Base & CallArgs & { type: 'Call'; node: Expr })
  | (Base & CallArgs & { type: 'Filter'; node: Expr | null; name: string })
  | (Base & CallArgs & { type: 'Test'; node: Expr; name: string })
  | (Base & { type: 'BinOp'; op: 'add' | 'sub' | 'mul' | 'div' | 'floordiv' | 'mod' | 'pow'; left: Expr; right: Expr })
  | (Base & { type: 'Concat'; nodes: Expr[] })
  | (Base & { type: 'Compare'; expr: Expr; ops: { op: string; expr: Expr }[] })
  | (Base & { type: 'And' | 'Or'; left: Expr; right: Expr })
  | (Base & { type: 'Not' | 'Neg' | 'Pos'; node: Expr })
  | (Base & { type: 'CondExpr'; test: Expr; expr1: Expr; expr2: Expr | null })
  | (Base & { type: 'List' | 'Tuple'; items: Expr[] })
  | (Base & { type: 'Dict'; items: { key: Expr; value: Expr }[] });

export interface Param {
  name: string;
  line: number;
  default: Expr | null;
}

export type Stmt =
  | (Base & { type: 'Data'; text: string })
  | (Base & { type: 'Output'; expr: Expr })
  | (Base & { type: 'If'; test: Expr; body: Stmt[]; elifs: { test: Expr; body: Stmt[] }[]; else_: Stmt[] })
  | (Base & { type: 'For'; target: Expr; iter: Expr; body: Stmt[]; else_: Stmt[]; test: Expr | null; recursive: boolean })
  | (Base & { type: 'Set'; target: Expr; value: Expr })
  | (Base & { type: 'SetBlock'; target: Expr; filter: Expr | null; body: Stmt[] })
  | (Base & { type: 'Macro'; name: string; params: Param[]; body: Stmt[] })
  | (Base & { type: 'CallBlock'; call: Expr; params: Param[]; body: Stmt[] })
  | (Base & { type: 'FilterBlock'; filter: Expr; body: Stmt[] })
  | (Base & { type: 'With'; targets: Expr[]; values: Expr[]; body: Stmt[] })
  | (Base & { type: 'Block'; name: string; body: Stmt[] })
  | (Base & { type: 'Scope'; body: Stmt[]; expr: Expr | null })
  | (Base & { type: 'Include' | 'Extends'; template: Expr })
  | (Base & { type: 'Import'; template: Expr; target: string })
  | (Base & { type: 'FromImport'; template: Expr; names: { name: string; alias: string }[] })
  | (Base & { type: 'Break' | 'Continue' })
  | (Base & { type: 'Do'; expr: Expr });

export interface Template {
  body: Stmt[];
  /** Expression and statement nodes created. */
  nodeCount: number;
}

/** Direct sub-expressions of an expression. */
export function exprChildren(e: Expr): (Expr | null)[] {
  switch (e.type) {
    case 'Const':
    case 'Name':
    case 'NSRef':
      return [];
    case 'Getattr':
      return [e.node];
    case 'Getitem':
      return [e.node, e.arg];
    case 'Slice':
      return [e.start, e.stop, e.step];
    case 'Call':
      return [e.node, ...e.args, ...e.kwargs.map((k) => k.value), e.dynArgs, e.dynKwargs];
    case 'Filter':
    case 'Test':
      return [e.node, ...e.args, ...e.kwargs.map((k) => k.value), e.dynArgs, e.dynKwargs];
    case 'BinOp':
    case 'And':
    case 'Or':
      return [e.left, e.right];
    case 'Concat':
      return e.nodes;
    case 'Compare':
      return [e.expr, ...e.ops.map((o) => o.expr)];
    case 'Not':
    case 'Neg':
    case 'Pos':
      return [e.node];
    case 'CondExpr':
      return [e.test, e.expr1, e.expr2];
    case 'List':
    case 'Tuple':
      return e.items;
    case 'Dict':
      return e.items.flatMap((p) => [p.key, p.value]);
  }
}

/** Expressions directly held by a statement (not those of nested statements). */
export function stmtExprs(s: Stmt): (Expr | null)[] {
  switch (s.type) {
    case 'Data':
    case 'Break':
    case 'Continue':
    case 'Block':
      return [];
    case 'Output':
    case 'Do':
      return [s.expr];
    case 'If':
      return [s.test, ...s.elifs.map((e) => e.test)];
    case 'For':
      return [s.target, s.iter, s.test];
    case 'Set':
      return [s.target, s.value];
    case 'SetBlock':
      return [s.target, s.filter];
    case 'Macro':
    case 'CallBlock':
      return [...(s.type === 'CallBlock' ? [s.call] : []), ...s.params.map((p) => p.default)];
    case 'FilterBlock':
      return [s.filter];
    case 'With':
      return [...s.targets, ...s.values];
    case 'Scope':
      return [s.expr];
    case 'Include':
    case 'Extends':
    case 'Import':
    case 'FromImport':
      return [s.template];
  }
}

export function stmtBodies(s: Stmt): Stmt[][] {
  switch (s.type) {
    case 'If':
      return [s.body, ...s.elifs.map((e) => e.body), s.else_];
    case 'For':
      return [s.body, s.else_];
    case 'SetBlock':
    case 'Macro':
    case 'CallBlock':
    case 'FilterBlock':
    case 'With':
    case 'Block':
    case 'Scope':
      return [s.body];
    default:
      return [];
  }
}
