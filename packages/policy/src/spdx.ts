/**
 * SPDX helpers for rules: case-insensitive ids (Hugging Face writes `apache-2.0`), allowlist
 * satisfaction via spdx-satisfies, and the ids an expression names. Results are memoized: the same
 * few expressions are checked against the same allowlists on every evaluation.
 */
import { createRequire } from 'node:module';
import parseSpdx from 'spdx-expression-parse';
import satisfies from 'spdx-satisfies';

const require = createRequire(import.meta.url);
// spdx-expression-parse depends on spdx-license-ids and spdx-exceptions; resolve them through it.
const requireFromParser = createRequire(require.resolve('spdx-expression-parse'));
const CANONICAL = new Map<string, string>(
  [
    ...(requireFromParser('spdx-license-ids') as string[]),
    ...(requireFromParser('spdx-license-ids/deprecated.json') as string[]),
    ...(requireFromParser('spdx-exceptions') as string[]),
  ].map((id) => [id.toLowerCase(), id]),
);

/** Maps ids onto their canonical case (`apache-2.0` -> `Apache-2.0`) and operators onto upper case. */
export function normalizeSpdx(expression: string): string {
  return expression
    .trim()
    .split(/(\s+|\(|\))/)
    .map((tok) => {
      const upper = tok.toUpperCase();
      if (upper === 'AND' || upper === 'OR' || upper === 'WITH') return upper;
      const plus = tok.endsWith('+');
      const id = CANONICAL.get((plus ? tok.slice(0, -1) : tok).toLowerCase());
      return id ? id + (plus ? '+' : '') : tok;
    })
    .join('');
}

const MEMO_LIMIT = 4096;
const validMemo = new Map<string, boolean>();
const satisfiesMemo = new Map<string, boolean>();

function remember<T>(memo: Map<string, T>, key: string, value: T): T {
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(key, value);
  return value;
}

/** A syntactically valid SPDX expression with known ids (`other` and LicenseRef-only names are not SPDX ids). */
export function spdxValid(expression: string): boolean {
  const hit = validMemo.get(expression);
  if (hit !== undefined) return hit;
  let ok: boolean;
  try {
    parseSpdx(normalizeSpdx(expression));
    ok = true;
  } catch {
    ok = false;
  }
  return remember(validMemo, expression, ok);
}

/** Throws when the expression or an allowlist entry is not valid SPDX (so a rule reports an error, not a pass). */
export function spdxSatisfies(expression: string, allowlist: readonly string[]): boolean {
  const key = `${expression}\u0000${allowlist.join('\u0000')}`;
  const hit = satisfiesMemo.get(key);
  if (hit !== undefined) return hit;
  if (!spdxValid(expression)) throw new Error(`"${expression}" is not a valid SPDX license expression`);
  for (const entry of allowlist) if (!spdxValid(entry)) throw new Error(`allowlist entry "${entry}" is not a valid SPDX license id`);
  return remember(satisfiesMemo, key, satisfies(normalizeSpdx(expression), allowlist.map(normalizeSpdx)));
}

/** Like spdxSatisfies, but `other`, invalid or empty expressions are simply not allowed. */
export function licenseAllowed(expression: string, allowlist: readonly string[]): boolean {
  return spdxValid(expression) && spdxSatisfies(expression, allowlist);
}

/** The license and exception ids an expression names, canonical case, in order of appearance. */
export function spdxIds(expression: string): string[] {
  if (!spdxValid(expression)) return [];
  const ids: string[] = [];
  const visit = (node: unknown): void => {
    const n = node as { license?: string; exception?: string; left?: unknown; right?: unknown };
    if (n.license && !ids.includes(n.license)) ids.push(n.license);
    if (n.exception && !ids.includes(n.exception)) ids.push(n.exception);
    if (n.left) visit(n.left);
    if (n.right) visit(n.right);
  };
  visit(parseSpdx(normalizeSpdx(expression)));
  return ids;
}
