/**
 * Message templates: literal text with `{{ expr }}` holes, each hole a CEL expression evaluated
 * against the same variables as the rule (any result type). `{{{{` writes a literal `{{`.
 * Values render as text: strings as is, lists joined with ", ", null as "null".
 */
export type TemplatePart = { kind: 'text'; text: string } | { kind: 'expr'; source: string; offset: number };

export interface TemplateSyntaxError {
  offset: number;
  message: string;
}

export function splitTemplate(message: string): { parts: TemplatePart[]; error: TemplateSyntaxError | null } {
  const parts: TemplatePart[] = [];
  let text = '';
  let i = 0;
  while (i < message.length) {
    if (message.startsWith('{{{{', i)) {
      text += '{{';
      i += 4;
      continue;
    }
    if (message.startsWith('{{', i)) {
      const close = message.indexOf('}}', i + 2);
      if (close < 0) return { parts, error: { offset: i, message: 'template hole "{{" is not closed with "}}"' } };
      const raw = message.slice(i + 2, close);
      const lead = raw.length - raw.trimStart().length;
      const source = raw.trim();
      if (!source) return { parts, error: { offset: i, message: 'empty template hole "{{ }}"' } };
      if (text) parts.push({ kind: 'text', text });
      text = '';
      parts.push({ kind: 'expr', source, offset: i + 2 + lead });
      i = close + 2;
      continue;
    }
    text += message[i];
    i++;
  }
  if (text) parts.push({ kind: 'text', text });
  return { parts, error: null };
}

/** CEL runtime value -> JSON-compatible value (BigInt -> number or string, Map -> object, Date -> ISO). */
export function toPlain(value: unknown, depth = 0): unknown {
  if (depth > 32) return '…';
  if (typeof value === 'bigint') return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  if (value === null || typeof value !== 'object') return value ?? null;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (Array.isArray(value)) return value.map((v) => toPlain(v, depth + 1));
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) out[String(k)] = toPlain(v, depth + 1);
    return out;
  }
  if (value instanceof Set) return [...value].map((v) => toPlain(v, depth + 1));
  if (typeof (value as { toString?: unknown }).toString === 'function' && Object.getPrototypeOf(value) !== Object.prototype) {
    // CEL type values and durations print themselves.
    const s = String(value);
    if (s !== '[object Object]') return s;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = toPlain(v, depth + 1);
  return out;
}

/** How a value reads inside a message. */
export function renderValue(value: unknown): string {
  const plain = toPlain(value);
  if (typeof plain === 'string') return plain;
  if (plain === null) return 'null';
  if (Array.isArray(plain)) return plain.length === 0 ? '(none)' : plain.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
  return typeof plain === 'object' ? JSON.stringify(plain) : String(plain);
}
