/**
 * Streaming text input: decoded chunks, lines and CSV records, with bounded memory. A line or a
 * CSV field longer than the cap is handled in cap-sized pieces (a value cut at a piece boundary
 * may be missed; nothing is held beyond the cap).
 */
export const MAX_PIECE = 1024 * 1024;

export type ByteInput = AsyncIterable<Uint8Array | string>;

export async function* decodeUtf8(input: ByteInput): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of input) {
    const s = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    if (s) yield s;
  }
  const tail = decoder.decode();
  if (tail) yield tail;
}

export interface Line {
  text: string;
  /** 1-based. */
  line: number;
  /** 0-based offset of text within its line (non-zero for the later pieces of a long line). */
  offset: number;
}

export async function* lines(chunks: AsyncIterable<string>, max = MAX_PIECE): AsyncGenerator<Line> {
  let buf = '';
  let line = 1;
  let offset = 0;
  for await (const chunk of chunks) {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const text = buf.slice(0, nl);
      yield { text: text.endsWith('\r') ? text.slice(0, -1) : text, line, offset };
      buf = buf.slice(nl + 1);
      line++;
      offset = 0;
    }
    while (buf.length > max) {
      yield { text: buf.slice(0, max), line, offset };
      buf = buf.slice(max);
      offset += max;
    }
  }
  if (buf) yield { text: buf.endsWith('\r') ? buf.slice(0, -1) : buf, line, offset };
}

export interface CsvRecord {
  fields: string[];
  /** 1-based line where the record starts. */
  line: number;
}

/** RFC 4180 records (quoted fields may hold delimiters, quotes as "" and line breaks). */
export async function* csvRecords(chunks: AsyncIterable<string>, delimiter = ',', max = MAX_PIECE): AsyncGenerator<CsvRecord> {
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let afterQuote = false;
  let line = 1;
  let start = 1;
  let pendingQuote = false;
  let pendingCr = false;
  const endField = () => {
    fields.push(field.length > max ? field.slice(0, max) : field);
    field = '';
    afterQuote = false;
  };
  for await (const chunk of chunks) {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (pendingQuote) {
        pendingQuote = false;
        if (c === '"') {
          field += '"';
          continue;
        }
        quoted = false;
        afterQuote = true;
      }
      if (quoted) {
        if (c === '"') pendingQuote = true;
        else {
          if (c === '\n') line++;
          if (field.length < max) field += c;
        }
        continue;
      }
      if (pendingCr && c !== '\n') pendingCr = false;
      if (c === '"' && field === '' && !afterQuote) quoted = true;
      else if (c === delimiter) endField();
      else if (c === '\n') {
        endField();
        const rec = fields;
        fields = [];
        pendingCr = false;
        if (!(rec.length === 1 && rec[0] === '')) yield { fields: rec, line: start };
        line++;
        start = line;
      } else if (c === '\r') pendingCr = true;
      else if (field.length < max) field += c;
    }
  }
  if (pendingQuote) quoted = false;
  if (field !== '' || fields.length > 0) {
    endField();
    yield { fields, line: start };
  }
}
