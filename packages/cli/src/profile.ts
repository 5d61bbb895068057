/**
 * `steward profile`: the same sketches the server keeps for live traffic, computed offline over a
 * dataset file (CSV, JSON Lines, Parquet), streamed: memory is bounded by the sketches, not the file.
 * A column is numeric when every non-empty value is a finite number, else categorical. CSV has no
 * types, so there a numeric-looking string counts as a number; in JSON Lines and Parquet a string is
 * categorical whatever it looks like. `--categorical` forces columns categorical (labels such as 0/1).
 */
import fs from 'node:fs';
import readline from 'node:readline';
import { FrequencySketch, KllSketch } from '@steward/monitor';
import type { DatasetProfile } from '@steward/domain';
import { FeatureNameSchema } from '@steward/domain';
import { CliError } from './errors.js';

export type ProfileFormat = 'csv' | 'jsonl' | 'parquet';

export function formatOf(file: string): ProfileFormat {
  const lower = file.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  if (lower.endsWith('.parquet')) return 'parquet';
  throw new CliError(`${file}: unknown format; profile takes .csv, .jsonl (or .ndjson) and .parquet files`, 2);
}

class ColumnProfile {
  numeric: KllSketch | null = new KllSketch();
  readonly categorical = new FrequencySketch();
  count = 0;

  constructor(forceCategorical: boolean) {
    if (forceCategorical) this.numeric = null;
  }

  /** `untyped`: the value comes from CSV, where "3.5" is a number. */
  add(value: unknown, untyped: boolean): void {
    if (value === null || value === undefined || value === '') return;
    this.count++;
    if (typeof value === 'number' || typeof value === 'bigint') {
      const n = Number(value);
      if (Number.isFinite(n)) {
        this.numeric?.update(n);
        this.categorical.update(String(value));
        return;
      }
    }
    if (typeof value === 'string' && this.numeric && untyped) {
      const n = Number(value);
      if (value.trim() !== '' && Number.isFinite(n)) {
        this.numeric.update(n);
        this.categorical.update(value);
        return;
      }
    }
    this.numeric = null;
    this.categorical.update(typeof value === 'string' ? value : typeof value === 'boolean' ? String(value) : JSON.stringify(value));
  }
}

export interface ProfileOptions {
  columns?: string[] | undefined;
  categorical?: string[] | undefined;
  outputColumn?: string | undefined;
  onProgress?: (rows: number) => void;
}

export class Profiler {
  private readonly cols = new Map<string, ColumnProfile>();
  rows = 0;

  constructor(private readonly opts: ProfileOptions) {}

  addRow(row: Record<string, unknown>, where: string, untyped = false): void {
    this.rows++;
    for (const key of Object.keys(row)) {
      if (this.opts.columns && !this.opts.columns.includes(key) && key !== this.opts.outputColumn) continue;
      const name = key === this.opts.outputColumn ? '_output' : key;
      let c = this.cols.get(name);
      if (!c) {
        if (!FeatureNameSchema.safeParse(name).success) throw new CliError(`${where}: column "${key}" is not a usable feature name (letters, digits, "_", ".", "-"; starting with a letter or "_"); rename it or leave it out with --columns`, 2);
        this.cols.set(name, (c = new ColumnProfile(this.opts.categorical?.includes(key) ?? false)));
      }
      c.add(row[key], untyped);
    }
    if (this.opts.onProgress && this.rows % 100_000 === 0) this.opts.onProgress(this.rows);
  }

  result(): DatasetProfile {
    if (this.rows === 0) throw new CliError('the file has no rows', 1);
    const features: DatasetProfile['features'] = {};
    for (const [name, c] of this.cols) {
      if (c.count === 0) continue;
      const numeric = c.numeric !== null && c.numeric.count > 0;
      features[name] = { kind: numeric ? 'numeric' : 'categorical', count: c.count, sketch: Buffer.from(numeric ? c.numeric!.toBytes() : c.categorical.toBytes()).toString('base64') };
    }
    return { rows: this.rows, features };
  }
}

/** RFC 4180 fields of one record; quoted fields may hold commas, quotes ("") and newlines. */
export function* csvRecords(text: Iterable<string>): Generator<string[]> {
  let field = '';
  let record: string[] = [];
  let quoted = false;
  let afterQuote = false;
  for (const chunk of text) {
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk[i]!;
      if (quoted) {
        if (ch === '"') {
          if (chunk[i + 1] === '"') {
            field += '"';
            i++;
          } else {
            quoted = false;
            afterQuote = true;
          }
        } else field += ch;
        continue;
      }
      if (ch === '"' && field === '' && !afterQuote) quoted = true;
      else if (ch === ',') {
        record.push(field);
        field = '';
        afterQuote = false;
      } else if (ch === '\n') {
        record.push(field.endsWith('\r') ? field.slice(0, -1) : field);
        yield record;
        record = [];
        field = '';
        afterQuote = false;
      } else field += ch;
    }
  }
  if (quoted) throw new CliError('CSV: a quoted field is not closed before the end of the file', 1);
  if (field !== '' || record.length > 0) {
    record.push(field.endsWith('\r') ? field.slice(0, -1) : field);
    yield record;
  }
}

function* chunksOf(fd: number): Generator<string> {
  const buf = Buffer.alloc(1 << 20);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (;;) {
    const n = fs.readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    yield decoder.decode(buf.subarray(0, n), { stream: true });
  }
  const rest = decoder.decode();
  if (rest) yield rest;
}

export async function profileFile(file: string, opts: ProfileOptions): Promise<DatasetProfile> {
  const format = formatOf(file);
  const p = new Profiler(opts);
  if (format === 'csv') {
    const fd = fs.openSync(file, 'r');
    try {
      let header: string[] | null = null;
      let line = 0;
      for (const rec of csvRecords(chunksOf(fd))) {
        line++;
        if (!header) {
          header = rec;
          continue;
        }
        if (rec.length === 1 && rec[0] === '') continue;
        if (rec.length !== header.length) throw new CliError(`${file}: record ${line} has ${rec.length} fields, the header ${header.length}`, 1);
        const row: Record<string, unknown> = {};
        header.forEach((h, i) => (row[h] = rec[i]));
        p.addRow(row, `${file}: record ${line}`, true);
      }
    } finally {
      fs.closeSync(fd);
    }
  } else if (format === 'jsonl') {
    const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
    let line = 0;
    for await (const text of rl) {
      line++;
      if (text.trim() === '') continue;
      let row: unknown;
      try {
        row = JSON.parse(text);
      } catch (err) {
        throw new CliError(`${file}:${line}: not JSON (${(err as Error).message})`, 1);
      }
      if (row === null || typeof row !== 'object' || Array.isArray(row)) throw new CliError(`${file}:${line}: each line must be a JSON object`, 1);
      p.addRow(row as Record<string, unknown>, `${file}:${line}`);
    }
  } else {
    const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } = await import('hyparquet');
    const buffer = await asyncBufferFromFile(file);
    let metadata;
    try {
      metadata = await parquetMetadataAsync(buffer);
    } catch (err) {
      throw new CliError(`${file}: not a Parquet file (${(err as Error).message})`, 1);
    }
    // One row group at a time: memory stays at one group's columns.
    let start = 0;
    for (const group of metadata.row_groups) {
      const end = start + Number(group.num_rows);
      const rows = await parquetReadObjects({ file: buffer, metadata, rowStart: start, rowEnd: end, ...(opts.columns ? { columns: [...opts.columns, ...(opts.outputColumn ? [opts.outputColumn] : [])] } : {}) });
      rows.forEach((r, i) => p.addRow(r as Record<string, unknown>, `${file}: row ${start + i + 1}`));
      start = end;
    }
  }
  return p.result();
}
