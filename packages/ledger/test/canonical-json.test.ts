/**
 * RFC 8785 (JCS): the reference test data of the RFC's author (fixtures/rfc8785, see its README), the
 * RFC's Appendix B number table, and values outside the JSON data model.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LedgerFormatError, canonicalJson, decodeEntry, encodeEntry, leafHash } from '../src/index.js';

const FIXTURES = new URL('./fixtures/rfc8785/', import.meta.url);
const names = readdirSync(new URL('output/', FIXTURES)).filter((n) => n.endsWith('.json'));

// RFC 8785 Appendix B: IEEE 754 bit patterns and their serialization.
const APPENDIX_B: [string, string][] = [
  ['0000000000000000', '0'],
  ['8000000000000000', '0'],
  ['0000000000000001', '5e-324'],
  ['8000000000000001', '-5e-324'],
  ['7fefffffffffffff', '1.7976931348623157e+308'],
  ['ffefffffffffffff', '-1.7976931348623157e+308'],
  ['4340000000000000', '9007199254740992'],
  ['c340000000000000', '-9007199254740992'],
  ['4430000000000000', '295147905179352830000'],
  ['44b52d02c7e14af5', '9.999999999999997e+22'],
  ['44b52d02c7e14af6', '1e+23'],
  ['44b52d02c7e14af7', '1.0000000000000001e+23'],
  ['444b1ae4d6e2ef4e', '999999999999999700000'],
  ['444b1ae4d6e2ef4f', '999999999999999900000'],
  ['444b1ae4d6e2ef50', '1e+21'],
  ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
  ['3eb0c6f7a0b5ed8d', '0.000001'],
  ['41b3de4355555553', '333333333.3333332'],
  ['41b3de4355555554', '333333333.33333325'],
  ['41b3de4355555555', '333333333.3333333'],
  ['41b3de4355555556', '333333333.3333334'],
  ['41b3de4355555557', '333333333.33333343'],
  ['becbf647612f3696', '-0.0000033333333333333333'],
  ['43143ff3c1cb0959', '1424953923781206.2'],
];

function double(bits: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${bits}`));
  return view.getFloat64(0);
}

describe('canonicalJson', () => {
  it.each(names)('reproduces the reference output for %s', (name) => {
    const input = readFileSync(new URL(`input/${name}`, FIXTURES), 'utf8');
    const output = readFileSync(new URL(`output/${name}`, FIXTURES));
    expect(encodeEntry(JSON.parse(input)).equals(output)).toBe(true);
    expect(canonicalJson(JSON.parse(input))).toBe(output.toString('utf8'));
  });

  it('encodes the reference simple string as the published UTF-8 bytes', () => {
    const hex = '22 74 68 69 73 20 69 73 20 61 20 74 65 73 74 20 73 74 72 69 6E 67 20 31 32 33 35 22';
    expect(encodeEntry('this is a test string 1235').toString('hex')).toBe(hex.replaceAll(' ', '').toLowerCase());
  });

  it.each(APPENDIX_B)('serializes IEEE 754 0x%s as %s (Appendix B)', (bits, expected) => {
    expect(canonicalJson(double(bits))).toBe(expected);
    expect(canonicalJson({ n: double(bits) })).toBe(`{"n":${expected}}`);
  });

  it('rejects the non-finite Appendix B values', () => {
    expect(() => canonicalJson(double('7fffffffffffffff'))).toThrow('$: NaN is not a JSON number');
    expect(() => canonicalJson(double('7ff0000000000000'))).toThrow('$: Infinity is not a JSON number');
    expect(() => canonicalJson([1, -Infinity])).toThrow('$[1]: -Infinity is not a JSON number');
  });

  it('sorts keys by UTF-16 code units, not code points or locale', () => {
    // U+1F600 is D83D DE00 in UTF-16, so it sorts before U+FB33 although its code point is larger.
    expect(canonicalJson({ '\ufb33': 1, '\u{1f600}': 2, '\u00e9': 3, e: 4, E: 5, '': 6 })).toBe(
      '{"":6,"E":5,"e":4,"\u00e9":3,"\u{1f600}":2,"\ufb33":1}',
    );
    expect(canonicalJson({ b: [], a: { d: null, c: true } })).toBe('{"a":{"c":true,"d":null},"b":[]}');
  });

  it('escapes only what JCS escapes', () => {
    expect(canonicalJson('\u0000\u0008\u0009\u000a\u000c\u000d\u001f"\\/\u007f\u2028\u00e9')).toBe(
      '"\\u0000\\b\\t\\n\\f\\r\\u001f\\"\\\\/\u007f\u2028\u00e9"',
    );
  });

  it.each([
    ['undefined', undefined, '$: undefined is not a JSON value'],
    ['an undefined member', { a: 1, b: undefined }, '$["b"]: undefined is not a JSON value'],
    ['a function', { f: () => 1 }, '$["f"]: function is not a JSON value'],
    ['a symbol', Symbol('s'), '$: symbol is not a JSON value'],
    ['a symbol key', { [Symbol('s')]: 1 }, '$: symbol keys are not JSON'],
    ['a BigInt', { n: [10n] }, '$["n"][0]: BigInt has no canonical JSON form'],
    ['a lone high surrogate', 'a\ud800', '$: string contains a lone surrogate'],
    ['a lone low surrogate in a key', { '\udc00': 1 }, 'string contains a lone surrogate'],
    ['a Date', { when: new Date(0) }, '$["when"]: Date is not a plain JSON object'],
    ['a Map', new Map(), '$: Map is not a plain JSON object'],
    ['a sparse array', [1, , 3], '$[1]: sparse array hole'],
    ['a class instance', new (class Event {})(), '$: Event is not a plain JSON object'],
  ])('rejects %s', (_what, value, message) => {
    expect(() => canonicalJson(value)).toThrow(LedgerFormatError);
    expect(() => canonicalJson(value)).toThrow(message);
  });

  it('rejects cycles but accepts shared subtrees', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow('$["self"]: cyclic structure');
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: [shared] })).toBe('{"a":{"x":1},"b":[{"x":1}]}');
    expect(canonicalJson(Object.assign(Object.create(null), { z: 1 }))).toBe('{"z":1}');
  });

  it('hashes an event as the leaf hash of its canonical bytes', () => {
    const event = { type: 'model.approved', model: 'fraud-v3', at: '2026-01-01T00:00:00Z', seq: 1 };
    expect(leafHash(encodeEntry(event)).equals(leafHash(Buffer.from('{"at":"2026-01-01T00:00:00Z","model":"fraud-v3","seq":1,"type":"model.approved"}')))).toBe(true);
  });
});

describe('decodeEntry', () => {
  it('returns the value of canonical bytes', () => {
    expect(decodeEntry(Buffer.from('{"a":[1,"x",null]}'))).toEqual({ a: [1, 'x', null] });
  });

  it.each([
    ['whitespace', '{"a": 1}'],
    ['unsorted keys', '{"b":1,"a":2}'],
    ['a duplicate key', '{"a":1,"a":1}'],
    ['a long number spelling', '{"a":1.0}'],
    ['an unneeded escape', '"\\u0041"'],
    ['an upper-case escape', '"\\u001F"'],
    ['a byte order mark', '\ufeff{}'],
    ['a trailing newline', '{}\n'],
  ])('rejects %s', (_what, text) => {
    expect(() => decodeEntry(Buffer.from(text))).toThrow(LedgerFormatError);
  });

  it('rejects bytes that are not UTF-8 or not JSON', () => {
    expect(() => decodeEntry(Buffer.of(0x22, 0xff, 0x22))).toThrow('entry is not valid UTF-8');
    expect(() => decodeEntry(Buffer.from('{'))).toThrow(/entry is not JSON/);
  });
});
