/**
 * The ingest path's record check (isTelemetryRecord) must accept exactly what TelemetryRecordSchema
 * accepts: random records built around every boundary of the schema, each judged by both.
 */
import { describe, expect, it } from 'vitest';
import { checkTelemetryRecords, isTelemetryRecord, TelemetryRecordSchema } from '../src/api-monitoring.js';
import { rng } from '../../server/test/helpers/random.js';


const r = rng(42);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const NUMBERS = [0, -0, 1, -1, 0.5, 1e300, -1e300, Infinity, -Infinity, NaN, 2 ** 53, 2 ** 53 - 1, -(2 ** 53), 1.5];
const STRINGS = ['', 'a', 'x'.repeat(200), 'x'.repeat(201), 'x'.repeat(1024), 'x'.repeat(1025), 'de', '3.5'];
const NAMES = ['age', '_x', 'a.b-c', '9lives', '', 'has space', 'x'.repeat(128), 'x'.repeat(129), '__proto__', 'é'];
const ANY: unknown[] = [...NUMBERS, ...STRINGS, true, false, null, undefined, [], {}, [1], { a: 1 }];

function randomRecord(): unknown {
  if (r() < 0.03) return pick([null, 1, 'record', [], [{}]]);
  const rec: Record<string, unknown> = {};
  const maybe = (key: string, gen: () => unknown, p = 0.5) => {
    if (r() < p) rec[key] = gen();
  };
  maybe('requestId', () => (r() < 0.8 ? pick(STRINGS) : pick(ANY)));
  maybe('time', () => (r() < 0.8 ? '2026-12-08T00:00:00Z' : pick(ANY)));
  maybe('features', () => {
    if (r() < 0.1) return pick(ANY);
    const f: Record<string, unknown> = {};
    for (let i = 0; i < 1 + Math.floor(r() * 4); i++) f[r() < 0.85 ? `f${i}` : pick(NAMES)] = r() < 0.7 ? pick([1.5, 'de', true, null, 0]) : pick(ANY);
    return f;
  }, 0.8);
  maybe('output', () => (r() < 0.7 ? pick(['1', 0, true]) : pick(ANY)));
  maybe('label', () => (r() < 0.7 ? pick(['0', 1, false]) : pick(ANY)));
  maybe('scores', () => (r() < 0.8 ? { [r() < 0.9 ? 'toxicity' : pick(NAMES)]: r() < 0.8 ? 0.1 : pick(ANY) } : pick(ANY)), 0.3);
  maybe('group', () => (r() < 0.8 ? 'a' : pick(ANY)), 0.3);
  maybe('latencyMs', () => (r() < 0.7 ? 12.5 : pick(ANY)));
  maybe('gpuMemoryMb', () => (r() < 0.7 ? 9000 : pick(ANY)), 0.2);
  maybe('tokens', () => {
    if (r() < 0.1) return pick(ANY);
    const t: Record<string, unknown> = {};
    if (r() < 0.6) t.input = r() < 0.7 ? 12 : pick(ANY);
    if (r() < 0.6) t.output = r() < 0.7 ? 3 : pick(ANY);
    if (r() < 0.05) t.cached = 1;
    return t;
  }, 0.3);
  maybe('error', () => (r() < 0.8 ? false : pick(ANY)), 0.2);
  if (r() < 0.03) rec[pick(['extra', 'Features', 'latency'])] = 1;
  return rec;
}

describe('isTelemetryRecord', () => {
  it('agrees with TelemetryRecordSchema on 50,000 random records around every boundary, as JSON delivers them', () => {
    let accepted = 0;
    const disagreements: string[] = [];
    for (let i = 0; i < 50_000; i++) {
      // Through JSON, as a request body arrives: no undefined values, only plain objects; "__proto__" an own key.
      const text = JSON.stringify(randomRecord()) ?? 'null';
      const rec = JSON.parse(r() < 0.02 ? text.replace(/"f0"/, '"__proto__"') : text) as unknown;
      const fast = isTelemetryRecord(rec);
      const zod = TelemetryRecordSchema.safeParse(rec).success;
      if (fast) accepted++;
      if (fast !== zod && disagreements.length < 5) disagreements.push(`${JSON.stringify(rec)}: fast ${fast}, zod ${zod}`);
    }
    expect(disagreements).toEqual([]);
    // Both outcomes are well represented, so the agreement means something.
    expect(accepted).toBeGreaterThan(5_000);
    expect(accepted).toBeLessThan(45_000);
  });

  it('names the first refused record and field in zod\'s words', () => {
    const res = checkTelemetryRecords([{ latencyMs: 1 }, { latencyMs: 2 }, { features: { age: Infinity } }, { nope: 1 }]);
    expect(res).toMatchObject({ ok: false, index: 2, path: 'records[2].features.age' });
    const extra = checkTelemetryRecords([{ nope: 1 }]);
    expect(extra).toMatchObject({ ok: false, index: 0, path: 'records[0]' });
    expect(!extra.ok && extra.message).toMatch(/nope/);
    expect(checkTelemetryRecords([{ latencyMs: 1 }]).ok).toBe(true);
  });
});
