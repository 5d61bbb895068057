import { readFileSync } from 'node:fs';
import { expect } from 'vitest';

export function fixture<T = any>(name: string): T {
  const text = readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
  return JSON.parse(text, (_k, v) => (v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v === 'NaN' ? NaN : v)) as T;
}

/**
 * The tolerance for exact paths: within 1e-9 relative, or 1e-15 absolute for values near zero
 * (p-values far in the tail, where only the absolute size matters).
 */
export function expectClose(actual: number, expected: number, what: string, rel = 1e-9, abs = 1e-15): void {
  if (Number.isNaN(expected)) {
    expect(actual, what).toBeNaN();
    return;
  }
  if (!Number.isFinite(expected)) {
    expect(actual, what).toBe(expected);
    return;
  }
  const err = Math.abs(actual - expected);
  const ok = err <= abs || err <= rel * Math.abs(expected);
  if (!ok) expect.fail(`${what}: got ${actual}, expected ${expected} (abs err ${err}, rel err ${err / Math.abs(expected)})`);
}
