/**
 * scanPii: counts personal data in dataset samples (CSV/TSV, JSON Lines, JSON, Parquet) and text
 * (model cards, logs) by kind and location, never keeping the values. Text, CSV and JSON Lines are
 * streamed (memory bounded by the longest line, capped); Parquet is read one row group at a time.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { detectPii } from './detect.js';
import { PII_KINDS, type PiiKind } from './kinds.js';
import { csvRecords, decodeUtf8, lines, type ByteInput } from './lines.js';

export const PII_FORMATS = ['text', 'csv', 'tsv', 'jsonl', 'json', 'parquet'] as const;
export type PiiFormat = (typeof PII_FORMATS)[number];

export interface PiiLocation {
  kind: PiiKind;
  /** 1-based line (text, CSV record start, JSON Lines). */
  line?: number;
  /** 1-based character column in the line (text, unparseable JSON Lines). */
  column?: number;
  /** 1-based data row (CSV without the header, Parquet). */
  row?: number;
  /** CSV header name, JSON path (`user.emails[0]`) or Parquet column. */
  field?: string;
}

export interface PiiScanResult {
  file: string;
  format: PiiFormat;
  counts: Record<PiiKind, number>;
  total: number;
  /** Lines, records or rows scanned. */
  records: number;
  locations: PiiLocation[];
  /** More findings than maxLocations: counts are complete, locations are not. */
  locationsTruncated: boolean;
}

export interface ScanPiiOptions {
  /** Default: from the file name (.csv, .tsv, .jsonl/.ndjson, .json, .parquet; else text). */
  format?: PiiFormat;
  /** Name shown for a stream. */
  name?: string;
  /** Locations kept (default 1000). */
  maxLocations?: number;
  /** A CSV's first record is a header (default true). */
  header?: boolean;
}

export class PiiFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PiiFormatError';
  }
}

const MAX_JSON_BYTES = 64 * 1024 * 1024;

export function piiFormatOf(file: string): PiiFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.tsv') return 'tsv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.json') return 'json';
  if (ext === '.parquet' || ext === '.pq') return 'parquet';
  return 'text';
}

class Tally {
  readonly counts = Object.fromEntries(PII_KINDS.map((k) => [k, 0])) as Record<PiiKind, number>;
  total = 0;
  records = 0;
  readonly locations: PiiLocation[] = [];
  truncated = false;

  constructor(private readonly max: number) {}

  add(text: string, where: (start: number) => Omit<PiiLocation, 'kind'>): void {
    for (const m of detectPii(text)) {
      this.counts[m.kind]++;
      this.total++;
      if (this.locations.length < this.max) this.locations.push({ kind: m.kind, ...where(m.start) });
      else this.truncated = true;
    }
  }

  /** Strings and numbers anywhere in a JSON-like value, with their path. */
  addValue(value: unknown, field: string, where: Omit<PiiLocation, 'kind' | 'field'>, depth = 0): void {
    if (depth > 64 || value === null || value === undefined) return;
    if (typeof value === 'string') this.add(value, () => ({ ...where, ...(field ? { field } : {}) }));
    else if (typeof value === 'number' || typeof value === 'bigint') this.add(String(value), () => ({ ...where, ...(field ? { field } : {}) }));
    else if (Array.isArray(value)) value.forEach((v, i) => this.addValue(v, `${field}[${i}]`, where, depth + 1));
    else if (value instanceof Uint8Array || value instanceof Date) return;
    else if (typeof value === 'object') for (const [k, v] of Object.entries(value)) this.addValue(v, field ? `${field}.${k}` : k, where, depth + 1);
  }

  result(file: string, format: PiiFormat): PiiScanResult {
    return { file, format, counts: this.counts, total: this.total, records: this.records, locations: this.locations, locationsTruncated: this.truncated };
  }
}

async function scanText(input: ByteInput, t: Tally): Promise<void> {
  for await (const l of lines(decodeUtf8(input))) {
    if (l.offset === 0) t.records++;
    t.add(l.text, (start) => ({ line: l.line, column: l.offset + start + 1 }));
  }
}

async function scanJsonLines(input: ByteInput, t: Tally): Promise<void> {
  for await (const l of lines(decodeUtf8(input))) {
    if (l.offset === 0) t.records++;
    if (!l.text.trim()) continue;
    let value: unknown;
    try {
      value = l.offset === 0 ? JSON.parse(l.text) : undefined;
    } catch {
      value = undefined;
    }
    if (value === undefined) t.add(l.text, (start) => ({ line: l.line, column: l.offset + start + 1 }));
    else t.addValue(value, '', { line: l.line });
  }
}

async function scanCsv(input: ByteInput, t: Tally, delimiter: string, header: boolean): Promise<void> {
  let names: string[] | null = null;
  let row = 0;
  for await (const rec of csvRecords(decodeUtf8(input), delimiter)) {
    if (header && names === null) {
      names = rec.fields.map((f, i) => f.trim() || `column ${i + 1}`);
      continue;
    }
    row++;
    t.records++;
    rec.fields.forEach((value, i) => t.add(value, () => ({ line: rec.line, row, field: names?.[i] ?? `column ${i + 1}` })));
  }
}

async function scanJsonFile(file: string, t: Tally): Promise<void> {
  const text = await (await import('node:fs/promises')).readFile(file, 'utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new PiiFormatError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  t.records = Array.isArray(value) ? value.length : 1;
  if (Array.isArray(value)) value.forEach((v, i) => t.addValue(v, '', { row: i + 1 }));
  else t.addValue(value, '', {});
}

async function scanParquet(file: string, t: Tally): Promise<void> {
  const { asyncBufferFromFile, parquetMetadataAsync, parquetRead } = await import('hyparquet');
  const buffer = await asyncBufferFromFile(file);
  let metadata;
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (e) {
    throw new PiiFormatError(`${file}: not a readable Parquet file (${(e as Error).message})`);
  }
  let rowStart = 0;
  // One row group at a time keeps memory to the largest row group.
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const base = rowStart;
    await parquetRead({
      file: buffer,
      metadata,
      rowStart,
      rowEnd,
      rowFormat: 'object',
      onComplete: (rows: unknown[]) => {
        rows.forEach((r, i) => {
          t.records++;
          for (const [column, value] of Object.entries(r as Record<string, unknown>)) t.addValue(value, column, { row: base + i + 1 });
        });
      },
    });
    rowStart = rowEnd;
  }
}

async function isParquetFile(file: string): Promise<boolean> {
  const h = await open(file, 'r');
  try {
    const b = Buffer.alloc(4);
    await h.read(b, 0, 4, 0);
    return b.toString('latin1') === 'PAR1';
  } finally {
    await h.close();
  }
}

/**
 * Scans a file (by path) or a stream of bytes. Counts are complete; at most maxLocations
 * locations are kept. Values are never stored or returned.
 */
export async function scanPii(input: string | ByteInput, options: ScanPiiOptions = {}): Promise<PiiScanResult> {
  const t = new Tally(options.maxLocations ?? 1000);
  const header = options.header ?? true;
  if (typeof input !== 'string') {
    const format = options.format ?? 'text';
    if (format === 'parquet' || format === 'json') throw new PiiFormatError(`${options.name ?? 'stream'}: ${format} needs a file, not a stream`);
    await scanStream(input, format, t, header);
    return t.result(options.name ?? 'stream', format);
  }
  const st = await stat(input);
  if (!st.isFile()) throw new PiiFormatError(`${input}: not a file`);
  let format = options.format ?? piiFormatOf(input);
  if (format === 'text' && st.size >= 12 && (await isParquetFile(input))) format = 'parquet';
  if (format === 'json' && st.size > MAX_JSON_BYTES) format = 'text';
  if (format === 'parquet') await scanParquet(input, t);
  else if (format === 'json') await scanJsonFile(input, t);
  else await scanStream(createReadStream(input, { highWaterMark: 256 * 1024 }), format, t, header);
  return t.result(options.name ?? input, format);
}

async function scanStream(input: ByteInput, format: PiiFormat, t: Tally, header: boolean): Promise<void> {
  if (format === 'csv' || format === 'tsv') await scanCsv(input, t, format === 'tsv' ? '\t' : ',', header);
  else if (format === 'jsonl') await scanJsonLines(input, t);
  else await scanText(input, t);
}

/** Counts in a text already in memory (a model card). */
export function scanPiiText(text: string, name = 'text'): PiiScanResult {
  const t = new Tally(1000);
  text.split('\n').forEach((l, i) => {
    t.records++;
    t.add(l.endsWith('\r') ? l.slice(0, -1) : l, (start) => ({ line: i + 1, column: start + 1 }));
  });
  return t.result(name, 'text');
}
