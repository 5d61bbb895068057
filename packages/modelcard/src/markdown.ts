import type { ModelCardProblem } from './types.js';

export interface RawHeading {
  title: string;
  level: number;
  /** 1-based file line of the heading's first line. */
  line: number;
  /** Index (into the body lines) of the heading's first line. */
  startIdx: number;
  /** Index of the first body line after the heading. */
  bodyIdx: number;
}

interface Fence {
  char: '`' | '~';
  len: number;
  line: number;
}

/**
 * Finds ATX and setext headings in CommonMark-ish fashion, in one pass over the lines
 * (no regex backtracking), skipping fenced code, indented code and HTML comments.
 * Headings inside block quotes and list items are not treated as sections.
 * `firstLine` is the file line number of lines[0].
 */
export function scanHeadings(
  lines: readonly string[],
  firstLine: number,
  problems: ModelCardProblem[],
): RawHeading[] {
  const headings: RawHeading[] = [];
  let fence: Fence | null = null;
  let commentLine = 0; // file line of an open `<!--`, 0 when none
  let paraStart = -1; // index of the first line of the open top-level paragraph
  let inContainer = false; // inside a list item / block quote until a blank line (lazy lines)

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (commentLine) {
      if (line.includes('-->')) commentLine = 0;
      continue;
    }
    if (fence) {
      if (isFenceClose(line, fence)) fence = null;
      continue;
    }
    if (isBlank(line)) {
      paraStart = -1;
      inContainer = false;
      continue;
    }
    const { indent, offset } = leadingIndent(line);
    if (indent >= 4) {
      // Lazy continuation of an open paragraph, otherwise indented code.
      continue;
    }
    const rest = line.slice(offset);

    const open = fenceOpen(rest);
    if (open) {
      fence = { ...open, line: firstLine + i };
      paraStart = -1;
      inContainer = false;
      continue;
    }

    const atx = atxHeading(rest);
    if (atx) {
      headings.push({ title: atx.title, level: atx.level, line: firstLine + i, startIdx: i, bodyIdx: i + 1 });
      paraStart = -1;
      inContainer = false;
      continue;
    }

    if (paraStart >= 0) {
      const setext = setextLevel(rest);
      if (setext) {
        const title = lines
          .slice(paraStart, i)
          .map((l) => l.trim())
          .join(' ');
        headings.push({ title, level: setext, line: firstLine + paraStart, startIdx: paraStart, bodyIdx: i + 1 });
        paraStart = -1;
        continue;
      }
    }

    if (isThematicBreak(rest)) {
      paraStart = -1;
      inContainer = false;
      continue;
    }

    if (rest.startsWith('<!--')) {
      if (!rest.includes('-->', 4)) commentLine = firstLine + i;
      paraStart = -1;
      continue;
    }

    if (startsContainer(rest, paraStart >= 0)) {
      paraStart = -1;
      inContainer = true;
      continue;
    }

    if (paraStart < 0 && !inContainer) paraStart = i;
  }

  if (fence) {
    problems.push({
      line: fence.line,
      severity: 'warning',
      message: 'code fence is never closed; the rest of the card is treated as code',
    });
  }
  if (commentLine) {
    problems.push({
      line: commentLine,
      severity: 'warning',
      message: 'HTML comment is never closed; the rest of the card is treated as a comment',
    });
  }
  return headings;
}

function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c !== ' ' && c !== '\t') return false;
  }
  return true;
}

/** Column width of leading whitespace (tabs to the next multiple of 4) and its length in chars. */
function leadingIndent(line: string): { indent: number; offset: number } {
  let indent = 0;
  let offset = 0;
  while (offset < line.length && indent < 4) {
    const c = line[offset];
    if (c === ' ') indent++;
    else if (c === '\t') indent += 4 - (indent % 4);
    else break;
    offset++;
  }
  return { indent, offset };
}

function runLength(s: string, from: number, ch: string): number {
  let n = 0;
  while (from + n < s.length && s[from + n] === ch) n++;
  return n;
}

function onlyWhitespaceFrom(s: string, from: number): boolean {
  for (let i = from; i < s.length; i++) {
    if (s[i] !== ' ' && s[i] !== '\t') return false;
  }
  return true;
}

function fenceOpen(rest: string): { char: '`' | '~'; len: number } | null {
  const ch = rest[0];
  if (ch !== '`' && ch !== '~') return null;
  const len = runLength(rest, 0, ch);
  if (len < 3) return null;
  // A backtick fence's info string may not contain backticks (that would be inline code).
  if (ch === '`' && rest.includes('`', len)) return null;
  return { char: ch, len };
}

function isFenceClose(line: string, fence: Fence): boolean {
  const { indent, offset } = leadingIndent(line);
  if (indent >= 4) return false;
  const len = runLength(line, offset, fence.char);
  return len >= fence.len && onlyWhitespaceFrom(line, offset + len);
}

function atxHeading(rest: string): { level: number; title: string } | null {
  const level = runLength(rest, 0, '#');
  if (level < 1 || level > 6) return null;
  const next = rest[level];
  if (next !== undefined && next !== ' ' && next !== '\t') return null;
  let title = rest.slice(level).trim();
  // Optional closing sequence: trailing #'s preceded by whitespace (or making up the whole title).
  let j = title.length;
  while (j > 0 && title[j - 1] === '#') j--;
  if (j === 0) title = '';
  else if (j < title.length && (title[j - 1] === ' ' || title[j - 1] === '\t')) title = title.slice(0, j).trimEnd();
  return { level, title };
}

function setextLevel(rest: string): 1 | 2 | 0 {
  const ch = rest[0];
  if (ch !== '=' && ch !== '-') return 0;
  const len = runLength(rest, 0, ch);
  if (!onlyWhitespaceFrom(rest, len)) return 0;
  return ch === '=' ? 1 : 2;
}

function isThematicBreak(rest: string): boolean {
  const ch = rest[0];
  if (ch !== '-' && ch !== '*' && ch !== '_') return false;
  let count = 0;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i];
    if (c === ch) count++;
    else if (c !== ' ' && c !== '\t') return false;
  }
  return count >= 3;
}

/** Block quote or list item start. An ordered list interrupts a paragraph only when it starts at 1. */
function startsContainer(rest: string, interrupting: boolean): boolean {
  const c = rest[0];
  if (c === '>') return true;
  if (c === '-' || c === '*' || c === '+') {
    const n = rest[1];
    return n === undefined || n === ' ' || n === '\t' ? !interrupting || !onlyWhitespaceFrom(rest, 1) : false;
  }
  let digits = 0;
  while (digits < rest.length && digits < 10 && rest.charCodeAt(digits) >= 48 && rest.charCodeAt(digits) <= 57) digits++;
  if (digits === 0 || digits > 9) return false;
  const delim = rest[digits];
  if (delim !== '.' && delim !== ')') return false;
  const n = rest[digits + 1];
  if (n !== undefined && n !== ' ' && n !== '\t') return false;
  if (interrupting && (Number(rest.slice(0, digits)) !== 1 || onlyWhitespaceFrom(rest, digits + 1))) return false;
  return true;
}
