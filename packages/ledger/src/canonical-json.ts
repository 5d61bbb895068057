import { LedgerFormatError } from './errors.js';

/**
 * RFC 8785 JSON Canonicalization Scheme. Ledger entries are hashed as the UTF-8 of this text, so two
 * implementations that agree on the event agree on the leaf hash.
 *
 * Only the JSON data model is accepted: null, booleans, finite numbers, well-formed strings, arrays and
 * plain objects. Anything JSON.stringify would silently drop or coerce (undefined, functions, symbols,
 * BigInt, NaN, Infinity, Dates, Maps, class instances, sparse arrays) is rejected with the path to it.
 */
export function canonicalJson(value: unknown): string {
  return serialize(value, '$', new Set());
}

/** The ledger entry bytes for an event: UTF-8 of its canonical JSON. */
export function encodeEntry(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}

/**
 * Parses entry bytes, requiring them to be exactly the canonical encoding of what they contain, so an
 * auditor knows the bytes that were hashed are the only spelling of the event.
 */
export function decodeEntry(entry: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(entry);
  } catch (cause) {
    throw new LedgerFormatError('entry is not valid UTF-8', { cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new LedgerFormatError(`entry is not JSON: ${(cause as Error).message}`, { cause });
  }
  // Duplicate keys, whitespace, escapes and number spellings all change the re-serialization.
  if (canonicalJson(value) !== text) throw new LedgerFormatError('entry is JSON but not in RFC 8785 canonical form');
  return value;
}

function serialize(value: unknown, path: string, ancestors: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return serializeString(value, path);
    case 'number':
      // ECMAScript Number::toString is exactly JCS's number form; -0 prints as "0".
      if (!Number.isFinite(value)) throw new LedgerFormatError(`${path}: ${value} is not a JSON number`);
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      return serializeContainer(value, path, ancestors);
    case 'bigint':
      throw new LedgerFormatError(`${path}: BigInt has no canonical JSON form; convert it to a string or a safe number`);
    default:
      throw new LedgerFormatError(`${path}: ${typeof value} is not a JSON value`);
  }
}

function serializeString(value: string, path: string): string {
  if (!value.isWellFormed()) throw new LedgerFormatError(`${path}: string contains a lone surrogate`);
  // For well-formed strings JSON.stringify escapes exactly as JCS requires: \b \t \n \f \r \" \\, other
  // controls as lowercase \u00xx, everything else literal.
  return JSON.stringify(value);
}

function serializeContainer(value: object, path: string, ancestors: Set<object>): string {
  if (ancestors.has(value)) throw new LedgerFormatError(`${path}: cyclic structure`);
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      const items: string[] = [];
      for (let i = 0; i < value.length; i++) {
        if (!(i in value)) throw new LedgerFormatError(`${path}[${i}]: sparse array hole`);
        items.push(serialize(value[i], `${path}[${i}]`, ancestors));
      }
      return `[${items.join(',')}]`;
    }
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) {
      const kind = (prototype as { constructor?: { name?: string } }).constructor?.name ?? 'non-plain object';
      throw new LedgerFormatError(`${path}: ${kind} is not a plain JSON object`);
    }
    if (Object.getOwnPropertySymbols(value).length > 0) throw new LedgerFormatError(`${path}: symbol keys are not JSON`);
    // Default sort compares UTF-16 code units, which is what RFC 8785 §3.2.3 specifies.
    const keys = Object.keys(value).sort();
    const members = keys.map((key) => {
      const memberPath = `${path}[${JSON.stringify(key)}]`;
      return `${serializeString(key, memberPath)}:${serialize((value as Record<string, unknown>)[key], memberPath, ancestors)}`;
    });
    return `{${members.join(',')}}`;
  } finally {
    ancestors.delete(value);
  }
}
