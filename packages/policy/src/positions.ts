/**
 * Source positions inside YAML files: where a node starts, and where a character of a scalar's
 * parsed value lies in the source (so an error at offset 17 of a CEL expression written as a
 * block scalar points at the right line and column of the file).
 */
import { isMap, isNode, isPair, isScalar, isSeq, LineCounter, Scalar, type Document, type Node } from 'yaml';

export interface Position {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

export function positionOf(lines: LineCounter, offset: number): Position {
  const p = lines.linePos(offset);
  return { line: p.line, column: p.col };
}

/**
 * Maps offset `index` of a scalar's value onto an offset in `source`. Walks value and source
 * together: equal characters align; whitespace the value has and the source lacks (folding) is
 * skipped on the value side; anything else the source has (quotes, escapes, indentation, line
 * breaks, block headers) is skipped on the source side. Exact for plain, single-line quoted and
 * block literal scalars; close for folded ones.
 */
export function scalarValueOffset(node: Scalar, source: string, index: number): number {
  const [start, end] = node.range ?? [0, 0];
  const value = String(node.value);
  let s = start;
  if (node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED) {
    const nl = source.indexOf('\n', start);
    s = nl < 0 ? start : nl + 1;
  } else if (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE) s = start + 1;
  let v = 0;
  while (v < index && v < value.length && s < end) {
    if (value[v] === source[s]) {
      v++;
      s++;
    } else if (/\s/.test(value[v]!)) v++;
    else s++;
  }
  // Land on the character itself, not on indentation before it.
  while (s < end && value[index] !== undefined && source[s] !== value[index] && /\s/.test(source[s]!)) s++;
  return Math.min(s, Math.max(start, end - 1));
}

/** The node at a path of keys and indexes (the value node; for a key that does not exist, the nearest parent). */
export function nodeAt(doc: Document, path: readonly (string | number)[]): Node | null {
  let node: unknown = doc.contents;
  let last: Node | null = isNode(node) ? node : null;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
      node = pair?.value ?? null;
    } else if (isSeq(node) && typeof key === 'number') node = node.items[key] ?? null;
    else node = null;
    if (!isNode(node)) return last;
    last = node;
  }
  return last;
}

/** The key node of `key` in the mapping at `path`, for "unknown field" errors. */
export function keyNodeAt(doc: Document, path: readonly (string | number)[], key: string): Node | null {
  const parent = nodeAt(doc, path);
  if (!isMap(parent)) return parent;
  const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
  return pair && isNode(pair.key) ? pair.key : parent;
}

export function nodeStart(node: Node | null): number {
  return node?.range?.[0] ?? 0;
}
