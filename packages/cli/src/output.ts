/** Printing: human tables and text on stdout, diagnostics and progress on stderr. */
export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  isTTY: boolean;
}

export const processIo: Io = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
  isTTY: Boolean(process.stderr.isTTY),
};

export function printJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(v >= 100 ? 0 : 1)} ${units[u]}`;
}

export function table(rows: string[][]): string[] {
  if (rows.length === 0) return [];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

/** A one-line progress bar on a terminal; silent otherwise (CI logs stay clean). */
export class Progress {
  private done = 0;
  private last = 0;
  constructor(
    private readonly io: Io,
    private readonly label: string,
    private readonly total: number,
  ) {}

  add(n: number): void {
    this.set(this.done + n);
  }

  set(done: number): void {
    this.done = done;
    if (!this.io.isTTY) return;
    const now = Date.now();
    if (now - this.last < 100 && this.done < this.total) return;
    this.last = now;
    const frac = this.total > 0 ? Math.min(1, this.done / this.total) : 1;
    const width = 30;
    const filled = Math.round(frac * width);
    process.stderr.write(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ${formatBytes(this.done)}/${formatBytes(this.total)}   `);
  }

  finish(): void {
    if (this.io.isTTY && this.last > 0) process.stderr.write('\n');
  }
}
