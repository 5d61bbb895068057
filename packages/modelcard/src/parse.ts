import { isAlias, isMap, isSeq, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { scanHeadings } from './markdown.js';
import { emptyMetadata, normalizeMetadata } from './metadata.js';
import { classifyHeading } from './sections.js';
import type {
  ModelCardMetadata,
  ModelCardProblem,
  ModelCardSection,
  ParsedModelCard,
  RecommendedSectionKind,
  SectionKind,
} from './types.js';

export const MAX_FRONT_MATTER_BYTES = 256 * 1024;

export const RECOMMENDED_SECTIONS: readonly RecommendedSectionKind[] = [
  'intended_use',
  'limitations',
  'training_data',
  'evaluation',
];

const DELIMITER = /^---[ \t]*$/;

/**
 * Parses a Hugging Face model card (a model repo's README.md). Never throws on malformed
 * input: every defect is reported in `problems` with its 1-based line in the file.
 *
 * - Front matter: first line `---`, closed by the next `---` line (trailing blanks allowed).
 *   Unclosed: error at line 1, hasFrontMatter false, the whole file is read as Markdown.
 * - Any YAML error (syntax, duplicate key, unresolved alias), a non-mapping document or
 *   front matter over 256 KiB: error, frontMatter null and no metadata (guessing from a
 *   broken document could misstate e.g. the licence). YAML warnings do not stop parsing.
 * - Wrongly typed known fields are reported with their path and dropped; unknown fields ignored.
 */
export function parseModelCard(text: string): ParsedModelCard {
  const problems: ModelCardProblem[] = [];
  // Line numbers count \r\n, \n and lone \r as one line break each.
  const src = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).replace(/\r\n?/g, '\n');
  const lines = src.split('\n');

  let hasFrontMatter = false;
  let frontMatter: Record<string, unknown> | null = null;
  let metadata = emptyMetadata();
  let bodyStart = 0; // index into lines

  if (DELIMITER.test(lines[0] ?? '')) {
    let close = -1;
    for (let i = 1; i < lines.length; i++) {
      if (DELIMITER.test(lines[i] ?? '')) {
        close = i;
        break;
      }
    }
    if (close < 0) {
      // Treat the whole file as Markdown so headings are still found.
      problems.push({ line: 1, severity: 'error', message: "front matter starting at line 1 has no closing '---' line" });
    } else {
      hasFrontMatter = true;
      bodyStart = close + 1;
      const yamlSrc = lines.slice(1, close).join('\n');
      const bytes = utf8Length(yamlSrc);
      if (bytes > MAX_FRONT_MATTER_BYTES) {
        problems.push({
          line: 1,
          severity: 'error',
          message: `front matter is ${bytes} bytes, over the ${MAX_FRONT_MATTER_BYTES}-byte limit; metadata not parsed`,
        });
      } else {
        ({ frontMatter, metadata } = parseFrontMatter(yamlSrc, problems));
      }
    }
  }

  const body = lines.slice(bodyStart);
  const headings = scanHeadings(body, bodyStart + 1, problems);
  const ends = sectionEnds(headings, body.length);
  const sections: ModelCardSection[] = headings.map((h, i) => ({
    title: h.title,
    level: h.level,
    line: h.line,
    kind: classifyHeading(h.title),
    text: body
      .slice(h.bodyIdx, ends[i])
      .join('\n')
      .trim(),
  }));

  const recognizedSections: SectionKind[] = [];
  for (const s of sections) if (s.kind && !recognizedSections.includes(s.kind)) recognizedSections.push(s.kind);
  const missingRecommendedSections = RECOMMENDED_SECTIONS.filter((k) => !recognizedSections.includes(k));

  problems.sort((a, b) => a.line - b.line || (a.column ?? 0) - (b.column ?? 0));
  return { hasFrontMatter, metadata, frontMatter, sections, recognizedSections, missingRecommendedSections, problems };
}

/** A section runs until the next heading of the same or a higher level (smaller number). */
function sectionEnds(headings: readonly { level: number; startIdx: number }[], total: number): number[] {
  const ends = new Array<number>(headings.length).fill(total);
  const open: number[] = [];
  headings.forEach((h, i) => {
    while (open.length > 0 && (headings[open[open.length - 1]!]?.level ?? 0) >= h.level) ends[open.pop()!] = h.startIdx;
    open.push(i);
  });
  return ends;
}

function parseFrontMatter(
  yamlSrc: string,
  problems: ModelCardProblem[],
): { frontMatter: Record<string, unknown> | null; metadata: ModelCardMetadata } {
  const none = { frontMatter: null, metadata: emptyMetadata() };
  // The YAML text starts on file line 2, right after the opening '---'.
  const LINE_OFFSET = 2;
  const lc = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(yamlSrc, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  } catch (err) {
    problems.push({ line: LINE_OFFSET, severity: 'error', message: `front matter could not be parsed: ${errorMessage(err)}` });
    return none;
  }
  const at = (offset: number): { line: number; column: number } => {
    const p = lc.linePos(offset);
    return { line: p.line + LINE_OFFSET - 1, column: p.col };
  };
  for (const e of doc.errors) problems.push({ ...at(e.pos[0]), severity: 'error', message: e.message });
  for (const w of doc.warnings) problems.push({ ...at(w.pos[0]), severity: 'warning', message: w.message });
  // Metadata from a document with YAML errors would be guesswork; report and stop.
  if (doc.errors.length > 0) return none;

  // yaml leaves unresolved aliases to toJS(), which throws without a position.
  let unresolved = false;
  visit(doc, {
    Alias(_key, node) {
      if (node.resolve(doc) === undefined) {
        unresolved = true;
        problems.push({
          ...at(node.range?.[0] ?? 0),
          severity: 'error',
          message: `unresolved alias *${node.source} (the anchor must be defined before it is used)`,
        });
      }
    },
  });
  if (unresolved) return none;

  const root = doc.contents;
  if (root === null) {
    problems.push({ line: 1, severity: 'warning', message: 'front matter is empty' });
    return { frontMatter: {}, metadata: emptyMetadata() };
  }
  if (!isMap(root)) {
    const kind = isSeq(root) ? 'a list' : isAlias(root) ? 'an alias' : 'a scalar';
    problems.push({
      ...at(root.range?.[0] ?? 0),
      severity: 'error',
      message: `front matter must be a YAML mapping of fields, got ${kind}`,
    });
    return none;
  }

  let frontMatter: Record<string, unknown>;
  try {
    frontMatter = doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
  } catch (err) {
    problems.push({ line: LINE_OFFSET, severity: 'error', message: `front matter could not be converted: ${errorMessage(err)}` });
    return none;
  }
  const metadata = normalizeMetadata(doc, root, lc, LINE_OFFSET, problems);
  return { frontMatter, metadata };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** UTF-8 byte length without Node's Buffer (the parser must stay platform-neutral). */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}
