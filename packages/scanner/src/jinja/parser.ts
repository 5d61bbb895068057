/**
 * A Jinja2 parser following jinja2/parser.py (3.1): every statement of the core language
 * (`if/elif/else`, `for/else` with loop filters and `recursive`, `set` and block `set`, `macro`,
 * `call`, `filter`, `with`, `block`, `autoescape`, `include`, `import`, `from`, `extends`,
 * `print`) plus the extension tags chat-template environments enable (`break`, `continue`,
 * transformers' `generation`, `do`), and the full expression grammar (conditional expressions,
 * `or/and/not`, comparisons and `in`/`not in`, `+ - ~ * / // % **`, unary signs, filters, tests,
 * calls with `*args`/`**kwargs`, attribute/subscript/slice postfixes, list/tuple/dict literals,
 * implicit string concatenation).
 *
 * Limits: expression/statement nesting depth and node count, so a hostile template cannot
 * exhaust the stack or memory; hitting one raises TemplateLimitError (the caller reports
 * `inconclusive`).
 */
import type { CallArgs, Expr, Keyword, Param, Stmt, Template } from './ast.js';
import { Lexer, type LexerOptions, type Token, type TokenType, TemplateSyntaxError, normalizeSource } from './lexer.js';

export class TemplateLimitError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'TemplateLimitError';
  }
}

export interface ParseOptions extends Partial<LexerOptions> {
  /** Deepest expression/statement nesting accepted (Python's recursion limit stops Jinja long before 256). */
  maxDepth?: number;
  maxNodes?: number;
  /** Called every few thousand tokens; may throw (the scan's time budget). */
  tick?: () => void;
}

export const DEFAULT_MAX_DEPTH = 256;
export const DEFAULT_MAX_NODES = 500_000;

const COMPARE_OPS = new Set<TokenType>(['eq', 'ne', 'lt', 'lteq', 'gt', 'gteq']);
const MATH1: Partial<Record<TokenType, 'add' | 'sub'>> = { add: 'add', sub: 'sub' };
const MATH2: Partial<Record<TokenType, 'mul' | 'div' | 'floordiv' | 'mod'>> = { mul: 'mul', div: 'div', floordiv: 'floordiv', mod: 'mod' };
const STATEMENT_KEYWORDS = new Set(['for', 'if', 'block', 'extends', 'print', 'macro', 'include', 'from', 'import', 'set', 'with', 'autoescape', 'call', 'filter']);
const EXTENSION_TAGS = new Set(['break', 'continue', 'generation', 'do']);
const RESERVED_CONST = new Set(['true', 'false', 'none', 'True', 'False', 'None']);

export function parseTemplate(source: string, options: ParseOptions = {}): Template {
  return new Parser(source, options).parse();
}

class Parser {
  private readonly lexer: Lexer;
  private current: Token;
  private readonly pushed: Token[] = [];
  private depth = 0;
  private nodes = 0;
  private readonly maxDepth: number;
  private readonly maxNodes: number;
  private readonly endTokenStack: string[][] = [];

  constructor(
    source: string,
    private readonly options: ParseOptions,
  ) {
    this.lexer = new Lexer(normalizeSource(source), { trimBlocks: options.trimBlocks ?? true, lstripBlocks: options.lstripBlocks ?? true });
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.maxNodes = options.maxNodes ?? DEFAULT_MAX_NODES;
    this.current = this.lexer.next();
  }

  // ---- token stream ----------------------------------------------------------------------

  private advance(): Token {
    const rv = this.current;
    if (this.pushed.length > 0) this.current = this.pushed.shift()!;
    else if (rv.type !== 'eof') {
      this.current = this.lexer.next();
      if ((this.lexer.count & 4095) === 0) this.options.tick?.();
    }
    return rv;
  }

  /** The current token's type (a call, so TypeScript does not keep a narrowing across advance()). */
  private t(): TokenType {
    return this.current.type;
  }

  private look(): Token {
    const old = this.advance();
    const result = this.current;
    this.pushed.push(result);
    this.current = old;
    return result;
  }

  private test(tok: Token, type: TokenType, value?: string): boolean {
    return tok.type === type && (value === undefined || tok.value === value);
  }

  private isName(value: string, tok = this.current): boolean {
    return tok.type === 'name' && tok.value === value;
  }

  private skipIf(type: TokenType, value?: string): boolean {
    if (this.test(this.current, type, value)) {
      this.advance();
      return true;
    }
    return false;
  }

  private expect(type: TokenType, value?: string): Token {
    if (!this.test(this.current, type, value)) {
      const want = value ?? type;
      if (this.t() === 'eof') this.fail(`unexpected end of template, expected '${want}'.`);
      this.fail(`expected token '${want}', got '${describe(this.current)}'`);
    }
    return this.advance();
  }

  private fail(message: string, line = this.current.line): never {
    throw new TemplateSyntaxError(message, line);
  }

  // ---- node bookkeeping ------------------------------------------------------------------

  private mk<T extends Expr>(node: T, ...children: (Expr | null | undefined)[]): T {
    let d = 0;
    for (const c of children) if (c && (c.d ?? 1) > d) d = c.d ?? 1;
    node.d = d + 1;
    if (node.d > this.maxDepth) throw new TemplateLimitError(`expression nested deeper than ${this.maxDepth} levels`, node.line);
    this.count(node.line);
    return node;
  }

  private count(line: number): void {
    if (++this.nodes > this.maxNodes) throw new TemplateLimitError(`template has more than ${this.maxNodes} nodes`, line);
  }

  private enter(): void {
    if (++this.depth > this.maxDepth) throw new TemplateLimitError(`template nested deeper than ${this.maxDepth} levels`, this.current.line);
  }

  private leave(): void {
    this.depth--;
  }

  // ---- template structure ----------------------------------------------------------------

  parse(): Template {
    const body = this.subparse(null);
    return { body, nodeCount: this.nodes };
  }

  private subparse(endTokens: string[] | null): Stmt[] {
    this.enter();
    const body: Stmt[] = [];
    if (endTokens) this.endTokenStack.push(endTokens);
    try {
      while (this.t() !== 'eof') {
        const tok = this.current;
        if (tok.type === 'data') {
          body.push({ type: 'Data', text: tok.value, line: tok.line });
          this.count(tok.line);
          this.advance();
        } else if (tok.type === 'variable_begin') {
          this.advance();
          const expr = this.parseTuple({ withCondexpr: true });
          body.push({ type: 'Output', expr, line: tok.line });
          this.count(tok.line);
          this.expect('variable_end');
        } else if (tok.type === 'block_begin') {
          this.advance();
          if (endTokens && this.t() === 'name' && endTokens.includes(this.current.value)) return body;
          body.push(this.parseStatement());
          this.expect('block_end');
        } else this.fail('internal parsing error');
      }
      return body;
    } finally {
      if (endTokens) this.endTokenStack.pop();
      this.leave();
    }
  }

  private parseStatement(): Stmt {
    const tok = this.current;
    if (tok.type !== 'name') this.fail('tag name expected', tok.line);
    this.count(tok.line);
    const name = tok.value;
    if (STATEMENT_KEYWORDS.has(name) || EXTENSION_TAGS.has(name)) {
      switch (name) {
        case 'for': return this.parseFor();
        case 'if': return this.parseIf();
        case 'block': return this.parseBlock();
        case 'extends': this.advance(); return { type: 'Extends', template: this.parseExpression(), line: tok.line };
        case 'print': return this.parsePrint();
        case 'macro': return this.parseMacro();
        case 'include': return this.parseInclude();
        case 'from': return this.parseFrom();
        case 'import': return this.parseImport();
        case 'set': return this.parseSet();
        case 'with': return this.parseWith();
        case 'autoescape': {
          this.advance();
          const expr = this.parseExpression();
          return { type: 'Scope', expr, body: this.parseStatements(['endautoescape'], true), line: tok.line };
        }
        case 'call': return this.parseCallBlock();
        case 'filter': {
          this.advance();
          const filter = this.parseFilter(null, true)!;
          return { type: 'FilterBlock', filter, body: this.parseStatements(['endfilter'], true), line: tok.line };
        }
        case 'break': this.advance(); return { type: 'Break', line: tok.line };
        case 'continue': this.advance(); return { type: 'Continue', line: tok.line };
        case 'generation':
          this.advance();
          return { type: 'Scope', expr: null, body: this.parseStatements(['endgeneration'], true), line: tok.line };
        case 'do': this.advance(); return { type: 'Do', expr: this.parseTuple({}), line: tok.line };
      }
    }
    const expected = this.endTokenStack.flat();
    this.fail(
      `Encountered unknown tag '${name}'.` + (expected.length ? ` Jinja was looking for the following tags: ${this.endTokenStack.at(-1)!.map((t) => `'${t}'`).join(' or ')}.` : ''),
      tok.line,
    );
  }

  private parseStatements(endTokens: string[], dropNeedle = false): Stmt[] {
    this.skipIf('colon');
    this.expect('block_end');
    const result = this.subparse(endTokens);
    if (this.t() === 'eof') this.fail(`Unexpected end of template. Jinja was looking for the following tags: ${endTokens.map((t) => `'${t}'`).join(' or ')}.`);
    if (dropNeedle) this.advance();
    return result;
  }

  private parseSet(): Stmt {
    const line = this.advance().line;
    const target = this.parseAssignTarget({ withNamespace: true });
    if (this.skipIf('assign')) return { type: 'Set', target, value: this.parseTuple({}), line };
    const filter = this.parseFilter(null);
    const body = this.parseStatements(['endset'], true);
    return { type: 'SetBlock', target, filter, body, line };
  }

  private parseFor(): Stmt {
    const line = this.expect('name', 'for').line;
    const target = this.parseAssignTarget({ extraEnd: ['in'] });
    this.expect('name', 'in');
    const iter = this.parseTuple({ withCondexpr: false, extraEnd: ['recursive'] });
    let test: Expr | null = null;
    if (this.skipIf('name', 'if')) test = this.parseExpression();
    const recursive = this.skipIf('name', 'recursive');
    const body = this.parseStatements(['endfor', 'else']);
    let else_: Stmt[] = [];
    if (this.advance().value !== 'endfor') else_ = this.parseStatements(['endfor'], true);
    return { type: 'For', target, iter, body, else_, test, recursive, line };
  }

  private parseIf(): Stmt {
    const line = this.expect('name', 'if').line;
    const test = this.parseTuple({ withCondexpr: false });
    const body = this.parseStatements(['elif', 'else', 'endif']);
    const elifs: { test: Expr; body: Stmt[] }[] = [];
    let else_: Stmt[] = [];
    for (;;) {
      const tok = this.advance();
      if (this.isName('elif', tok)) {
        const t = this.parseTuple({ withCondexpr: false });
        elifs.push({ test: t, body: this.parseStatements(['elif', 'else', 'endif']) });
        continue;
      }
      if (this.isName('else', tok)) else_ = this.parseStatements(['endif'], true);
      break;
    }
    return { type: 'If', test, body, elifs, else_, line };
  }

  private parseWith(): Stmt {
    const line = this.advance().line;
    const targets: Expr[] = [];
    const values: Expr[] = [];
    while (this.t() !== 'block_end') {
      if (targets.length) this.expect('comma');
      targets.push(this.parseAssignTarget({}));
      this.expect('assign');
      values.push(this.parseExpression());
    }
    return { type: 'With', targets, values, body: this.parseStatements(['endwith'], true), line };
  }

  private parseBlock(): Stmt {
    const line = this.advance().line;
    const name = this.expect('name').value;
    this.skipIf('name', 'scoped');
    this.skipIf('name', 'required');
    if (this.t() === 'sub') this.fail('Block names in Jinja have to be valid Python identifiers and may not contain hyphens, use an underscore instead.');
    const body = this.parseStatements(['endblock'], true);
    this.skipIf('name', name);
    return { type: 'Block', name, body, line };
  }

  private parseImportContext(): void {
    if ((this.isName('with') || this.isName('without')) && this.isName('context', this.look())) {
      this.advance();
      this.advance();
    }
  }

  private parseInclude(): Stmt {
    const line = this.advance().line;
    const template = this.parseExpression();
    if (this.isName('ignore') && this.isName('missing', this.look())) {
      this.advance();
      this.advance();
    }
    this.parseImportContext();
    return { type: 'Include', template, line };
  }

  private parseImport(): Stmt {
    const line = this.advance().line;
    const template = this.parseExpression();
    this.expect('name', 'as');
    const target = this.parseNameTarget();
    this.parseImportContext();
    return { type: 'Import', template, target, line };
  }

  private parseFrom(): Stmt {
    const line = this.advance().line;
    const template = this.parseExpression();
    this.expect('name', 'import');
    const names: { name: string; alias: string }[] = [];
    const parseContext = (): boolean => {
      if ((this.isName('with') || this.isName('without')) && this.isName('context', this.look())) {
        this.advance();
        this.advance();
        return true;
      }
      return false;
    };
    for (;;) {
      if (names.length) this.expect('comma');
      if (this.t() === 'name') {
        if (parseContext()) break;
        const nameLine = this.current.line;
        const name = this.parseNameTarget();
        if (name.startsWith('_')) this.fail('names starting with an underline can not be imported', nameLine);
        const alias = this.skipIf('name', 'as') ? this.parseNameTarget() : name;
        names.push({ name, alias });
        if (parseContext() || this.t() !== 'comma') break;
      } else this.expect('name');
    }
    return { type: 'FromImport', template, names, line };
  }

  private parseSignature(): Param[] {
    const params: Param[] = [];
    let sawDefault = false;
    this.expect('lparen');
    while (this.t() !== 'rparen') {
      if (params.length) this.expect('comma');
      const line = this.current.line;
      const name = this.parseNameTarget();
      let def: Expr | null = null;
      if (this.skipIf('assign')) {
        def = this.parseExpression();
        sawDefault = true;
      } else if (sawDefault) this.fail('non-default argument follows default argument');
      params.push({ name, line, default: def });
    }
    this.expect('rparen');
    return params;
  }

  private parseCallBlock(): Stmt {
    const line = this.advance().line;
    const params = this.t() === 'lparen' ? this.parseSignature() : [];
    const call = this.parseExpression();
    if (call.type !== 'Call') this.fail('expected call', line);
    return { type: 'CallBlock', call, params, body: this.parseStatements(['endcall'], true), line };
  }

  private parseMacro(): Stmt {
    const line = this.advance().line;
    const name = this.parseNameTarget();
    const params = this.parseSignature();
    return { type: 'Macro', name, params, body: this.parseStatements(['endmacro'], true), line };
  }

  private parsePrint(): Stmt {
    const line = this.advance().line;
    const items: Expr[] = [];
    while (this.t() !== 'block_end') {
      if (items.length) this.expect('comma');
      items.push(this.parseExpression());
    }
    const expr = items.length === 1 ? items[0]! : this.mk({ type: 'Tuple', items, line }, ...items);
    return { type: 'Output', expr, line };
  }

  private parseNameTarget(): string {
    const tok = this.expect('name');
    if (RESERVED_CONST.has(tok.value)) this.fail("can't assign to 'const'", tok.line);
    return tok.value;
  }

  private parseAssignTarget(o: { extraEnd?: string[]; withNamespace?: boolean }): Expr {
    const target = this.parseTuple({ simplified: true, extraEnd: o.extraEnd, withNamespace: o.withNamespace });
    if (!canAssign(target)) this.fail(`can't assign to '${target.type.toLowerCase()}'`, target.line);
    return target;
  }

  // ---- expressions -----------------------------------------------------------------------

  private parseExpression(withCondexpr = true): Expr {
    this.enter();
    try {
      return withCondexpr ? this.parseCondexpr() : this.parseOr();
    } finally {
      this.leave();
    }
  }

  private parseCondexpr(): Expr {
    let line = this.current.line;
    let expr1 = this.parseOr();
    while (this.skipIf('name', 'if')) {
      const test = this.parseOr();
      const expr2 = this.skipIf('name', 'else') ? this.parseCondexpr() : null;
      expr1 = this.mk({ type: 'CondExpr', test, expr1, expr2, line }, test, expr1, expr2);
      line = this.current.line;
    }
    return expr1;
  }

  private parseOr(): Expr {
    let line = this.current.line;
    let left = this.parseAnd();
    while (this.skipIf('name', 'or')) {
      const right = this.parseAnd();
      left = this.mk({ type: 'Or', left, right, line }, left, right);
      line = this.current.line;
    }
    return left;
  }

  private parseAnd(): Expr {
    let line = this.current.line;
    let left = this.parseNot();
    while (this.skipIf('name', 'and')) {
      const right = this.parseNot();
      left = this.mk({ type: 'And', left, right, line }, left, right);
      line = this.current.line;
    }
    return left;
  }

  private parseNot(): Expr {
    if (this.isName('not')) {
      const line = this.advance().line;
      this.enter();
      try {
        const node = this.parseNot();
        return this.mk({ type: 'Not', node, line }, node);
      } finally {
        this.leave();
      }
    }
    return this.parseCompare();
  }

  private parseCompare(): Expr {
    let line = this.current.line;
    const expr = this.parseMath1();
    const ops: { op: string; expr: Expr }[] = [];
    for (;;) {
      const t = this.t();
      if (COMPARE_OPS.has(t)) {
        this.advance();
        ops.push({ op: t, expr: this.parseMath1() });
      } else if (this.skipIf('name', 'in')) ops.push({ op: 'in', expr: this.parseMath1() });
      else if (this.isName('not') && this.isName('in', this.look())) {
        this.advance();
        this.advance();
        ops.push({ op: 'notin', expr: this.parseMath1() });
      } else break;
      line = this.current.line;
    }
    if (ops.length === 0) return expr;
    return this.mk({ type: 'Compare', expr, ops, line }, expr, ...ops.map((o) => o.expr));
  }

  private parseMath1(): Expr {
    let line = this.current.line;
    let left = this.parseConcat();
    for (let op = MATH1[this.t()]; op; op = MATH1[this.t()]) {
      this.advance();
      const right = this.parseConcat();
      left = this.mk({ type: 'BinOp', op, left, right, line }, left, right);
      line = this.current.line;
    }
    return left;
  }

  private parseConcat(): Expr {
    const line = this.current.line;
    const args = [this.parseMath2()];
    while (this.t() === 'tilde') {
      this.advance();
      args.push(this.parseMath2());
    }
    if (args.length === 1) return args[0]!;
    return this.mk({ type: 'Concat', nodes: args, line }, ...args);
  }

  private parseMath2(): Expr {
    let line = this.current.line;
    let left = this.parsePow();
    for (let op = MATH2[this.t()]; op; op = MATH2[this.t()]) {
      this.advance();
      const right = this.parsePow();
      left = this.mk({ type: 'BinOp', op, left, right, line }, left, right);
      line = this.current.line;
    }
    return left;
  }

  private parsePow(): Expr {
    let line = this.current.line;
    let left = this.parseUnary(true);
    while (this.t() === 'pow') {
      this.advance();
      const right = this.parseUnary(true);
      left = this.mk({ type: 'BinOp', op: 'pow', left, right, line }, left, right);
      line = this.current.line;
    }
    return left;
  }

  private parseUnary(withFilter: boolean): Expr {
    this.enter();
    try {
      const t = this.t();
      const line = this.current.line;
      let node: Expr;
      if (t === 'sub' || t === 'add') {
        this.advance();
        const inner = this.parseUnary(false);
        node = this.mk({ type: t === 'sub' ? 'Neg' : 'Pos', node: inner, line }, inner);
      } else node = this.parsePrimary(false);
      node = this.parsePostfix(node);
      if (withFilter) node = this.parseFilterExpr(node);
      return node;
    } finally {
      this.leave();
    }
  }

  private parsePrimary(withNamespace: boolean): Expr {
    const tok = this.current;
    if (tok.type === 'name') {
      this.advance();
      if (tok.value === 'true' || tok.value === 'True' || tok.value === 'false' || tok.value === 'False')
        return this.mk({ type: 'Const', value: tok.value === 'true' || tok.value === 'True', exact: true, line: tok.line });
      if (tok.value === 'none' || tok.value === 'None') return this.mk({ type: 'Const', value: null, exact: true, line: tok.line });
      if (withNamespace && this.t() === 'dot') {
        this.advance();
        const attr = this.expect('name');
        return this.mk({ type: 'NSRef', name: tok.value, attr: attr.value, line: tok.line });
      }
      return this.mk({ type: 'Name', name: tok.value, line: tok.line });
    }
    if (tok.type === 'string') {
      this.advance();
      let value = tok.value;
      let exact = tok.exact !== false;
      while (this.t() === 'string') {
        value += this.current.value;
        exact &&= this.current.exact !== false;
        this.advance();
      }
      return this.mk({ type: 'Const', value, exact, line: tok.line });
    }
    if (tok.type === 'integer' || tok.type === 'float') {
      this.advance();
      return this.mk({ type: 'Const', value: tok.num ?? NaN, exact: Number.isFinite(tok.num) && (tok.type === 'float' || Number.isSafeInteger(tok.num)), line: tok.line });
    }
    if (tok.type === 'lparen') {
      this.advance();
      const node = this.parseTuple({ explicitParentheses: true });
      this.expect('rparen');
      return node;
    }
    if (tok.type === 'lbracket') return this.parseList();
    if (tok.type === 'lbrace') return this.parseDict();
    this.fail(`unexpected '${describe(tok)}'`, tok.line);
  }

  private parseTuple(o: { simplified?: boolean; withCondexpr?: boolean; extraEnd?: string[]; explicitParentheses?: boolean; withNamespace?: boolean }): Expr {
    let line = this.current.line;
    const parse = o.simplified ? () => this.parsePrimary(o.withNamespace ?? false) : () => this.parseExpression(o.withCondexpr ?? true);
    const args: Expr[] = [];
    let isTuple = false;
    for (;;) {
      if (args.length) this.expect('comma');
      if (this.isTupleEnd(o.extraEnd)) break;
      args.push(parse());
      if (this.t() === 'comma') isTuple = true;
      else break;
      line = this.current.line;
    }
    if (!isTuple) {
      if (args.length) return args[0]!;
      if (!o.explicitParentheses) this.fail(`Expected an expression, got '${describe(this.current)}'`);
    }
    return this.mk({ type: 'Tuple', items: args, line }, ...args);
  }

  /**
   * Jinja 3.1 passes its extra end rules to `Token.test_any` as one tuple argument, so they never
   * match: `{% for a, in x %}` fails there. Mirrored: the extra rules are not consulted.
   */
  private isTupleEnd(_extraEnd?: string[]): boolean {
    const t = this.t();
    return t === 'variable_end' || t === 'block_end' || t === 'rparen';
  }

  private parseList(): Expr {
    const tok = this.expect('lbracket');
    const items: Expr[] = [];
    while (this.t() !== 'rbracket') {
      if (items.length) this.expect('comma');
      if (this.t() === 'rbracket') break;
      items.push(this.parseExpression());
    }
    this.expect('rbracket');
    return this.mk({ type: 'List', items, line: tok.line }, ...items);
  }

  private parseDict(): Expr {
    const tok = this.expect('lbrace');
    const items: { key: Expr; value: Expr }[] = [];
    while (this.t() !== 'rbrace') {
      if (items.length) this.expect('comma');
      if (this.t() === 'rbrace') break;
      const key = this.parseExpression();
      this.expect('colon');
      const value = this.parseExpression();
      items.push({ key, value });
    }
    this.expect('rbrace');
    return this.mk({ type: 'Dict', items, line: tok.line }, ...items.flatMap((p) => [p.key, p.value]));
  }

  private parsePostfix(node: Expr): Expr {
    for (;;) {
      const t = this.t();
      if (t === 'dot' || t === 'lbracket') node = this.parseSubscript(node);
      else if (t === 'lparen') node = this.parseCall(node);
      else return node;
    }
  }

  private parseFilterExpr(node: Expr): Expr {
    for (;;) {
      const t = this.t();
      if (t === 'pipe') node = this.parseFilter(node)!;
      else if (this.isName('is')) node = this.parseTest(node);
      else if (t === 'lparen') node = this.parseCall(node);
      else return node;
    }
  }

  private parseSubscript(node: Expr): Expr {
    const tok = this.advance();
    if (tok.type === 'dot') {
      const attr = this.advance();
      if (attr.type === 'name') return this.mk({ type: 'Getattr', node, attr: attr.value, line: tok.line }, node);
      if (attr.type !== 'integer') this.fail('expected name or number', attr.line);
      const arg = this.mk({ type: 'Const', value: attr.num ?? NaN, exact: true, line: attr.line });
      return this.mk({ type: 'Getitem', node, arg, line: tok.line }, node, arg);
    }
    // lbracket
    const args: Expr[] = [];
    while (this.t() !== 'rbracket') {
      if (args.length) this.expect('comma');
      args.push(this.parseSubscribed());
    }
    this.expect('rbracket');
    const arg = args.length === 1 ? args[0]! : this.mk({ type: 'Tuple', items: args, line: tok.line }, ...args);
    return this.mk({ type: 'Getitem', node, arg, line: tok.line }, node, arg);
  }

  private parseSubscribed(): Expr {
    const line = this.current.line;
    const parts: (Expr | null)[] = [];
    if (this.t() === 'colon') {
      this.advance();
      parts.push(null);
    } else {
      const node = this.parseExpression();
      if (this.t() !== 'colon') return node;
      this.advance();
      parts.push(node);
    }
    if (this.t() === 'colon') parts.push(null);
    else if (this.t() !== 'rbracket' && this.t() !== 'comma') parts.push(this.parseExpression());
    else parts.push(null);
    if (this.t() === 'colon') {
      this.advance();
      parts.push(this.t() !== 'rbracket' && this.t() !== 'comma' ? this.parseExpression() : null);
    } else parts.push(null);
    const [start, stop, step] = parts as [Expr | null, Expr | null, Expr | null];
    return this.mk({ type: 'Slice', start, stop, step, line }, start, stop, step);
  }

  private parseCallArgs(): CallArgs {
    const tok = this.expect('lparen');
    const args: Expr[] = [];
    const kwargs: Keyword[] = [];
    let dynArgs: Expr | null = null;
    let dynKwargs: Expr | null = null;
    let requireComma = false;
    const ensure = (ok: boolean) => {
      if (!ok) this.fail('invalid syntax for function call expression', tok.line);
    };
    while (this.t() !== 'rparen') {
      if (requireComma) {
        this.expect('comma');
        if (this.t() === 'rparen') break;
      }
      if (this.t() === 'mul') {
        ensure(dynArgs === null && dynKwargs === null);
        this.advance();
        dynArgs = this.parseExpression();
      } else if (this.t() === 'pow') {
        ensure(dynKwargs === null);
        this.advance();
        dynKwargs = this.parseExpression();
      } else if (this.t() === 'name' && this.look().type === 'assign') {
        ensure(dynKwargs === null);
        const key = this.current.value;
        const line = this.current.line;
        this.advance();
        this.advance();
        kwargs.push({ key, value: this.parseExpression(), line });
      } else {
        ensure(dynArgs === null && dynKwargs === null && kwargs.length === 0);
        args.push(this.parseExpression());
      }
      requireComma = true;
    }
    this.expect('rparen');
    return { args, kwargs, dynArgs, dynKwargs };
  }

  private parseCall(node: Expr): Expr {
    const line = this.current.line;
    const a = this.parseCallArgs();
    return this.mk({ type: 'Call', node, ...a, line }, node, ...callChildren(a));
  }

  private parseFilter(node: Expr | null, startInline = false): Expr | null {
    while (this.t() === 'pipe' || startInline) {
      if (!startInline) this.advance();
      const tok = this.expect('name');
      let name = tok.value;
      while (this.t() === 'dot') {
        this.advance();
        name += '.' + this.expect('name').value;
      }
      const a: CallArgs = this.t() === 'lparen' ? this.parseCallArgs() : { args: [], kwargs: [], dynArgs: null, dynKwargs: null };
      node = this.mk({ type: 'Filter', node, name, ...a, line: tok.line }, node, ...callChildren(a));
      startInline = false;
    }
    return node;
  }

  private parseTest(node: Expr): Expr {
    const tok = this.advance();
    const negated = this.skipIf('name', 'not');
    let name = this.expect('name').value;
    while (this.t() === 'dot') {
      this.advance();
      name += '.' + this.expect('name').value;
    }
    let a: CallArgs = { args: [], kwargs: [], dynArgs: null, dynKwargs: null };
    const t = this.t();
    if (t === 'lparen') a = this.parseCallArgs();
    else if (
      (t === 'name' || t === 'string' || t === 'integer' || t === 'float' || t === 'lbracket' || t === 'lbrace') &&
      !this.isName('else') && !this.isName('or') && !this.isName('and')
    ) {
      if (this.isName('is')) this.fail('You cannot chain multiple tests with is');
      const arg = this.parsePostfix(this.parsePrimary(false));
      a.args.push(arg);
    }
    let out: Expr = this.mk({ type: 'Test', node, name, ...a, line: tok.line }, node, ...callChildren(a));
    if (negated) out = this.mk({ type: 'Not', node: out, line: tok.line }, out);
    return out;
  }
}

function callChildren(a: CallArgs): (Expr | null)[] {
  return [...a.args, ...a.kwargs.map((k) => k.value), a.dynArgs, a.dynKwargs];
}

function canAssign(e: Expr): boolean {
  if (e.type === 'Name') return !RESERVED_CONST.has(e.name);
  if (e.type === 'NSRef') return true;
  if (e.type === 'Tuple') return e.items.every(canAssign);
  return false;
}

function describe(tok: Token): string {
  if (tok.type === 'name' || tok.type === 'data') return tok.value;
  if (tok.type === 'eof') return 'end of template';
  if (tok.type === 'block_begin') return 'begin of statement block';
  if (tok.type === 'block_end') return 'end of statement block';
  if (tok.type === 'variable_begin') return 'begin of print statement';
  if (tok.type === 'variable_end') return 'end of print statement';
  return tok.value || tok.type;
}
