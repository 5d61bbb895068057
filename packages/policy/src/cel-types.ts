/**
 * Maps a zod schema onto CEL declared types, so the type-checker rejects a rule that reads a field
 * the record does not have, and onto a converter from JSON values to CEL runtime values (CEL
 * integers are BigInt in cel-js).
 *
 * Mapping: object -> message type (named by path), string/enum -> string, z.int() -> int,
 * number -> double, boolean -> bool, array -> list<T>, record -> map<string, T>,
 * nullable scalar -> dyn<T> (checked as T, may be null at run time). A nullable object is refused:
 * cel-js cannot index a possibly-null message, and the record's convention is never-null objects.
 */
import type { Environment } from '@marcbachmann/cel-js';
import type { z } from 'zod';

export type Convert = (value: unknown) => unknown;

interface ZodInternals {
  _zod: { def: { type: string; format?: string; checks?: { _zod: { def: { format?: string } } }[]; innerType?: z.ZodType; element?: z.ZodType; valueType?: z.ZodType; shape?: Record<string, z.ZodType>; values?: unknown[] } };
}

function def(schema: z.ZodType): ZodInternals['_zod']['def'] {
  return (schema as unknown as ZodInternals)._zod.def;
}

function isInt(schema: z.ZodType): boolean {
  const d = def(schema);
  return d.format === 'safeint' || (d.checks ?? []).some((c) => c._zod.def.format === 'safeint');
}

const identity: Convert = (v) => v;
const toBigInt: Convert = (v) => (typeof v === 'number' ? BigInt(v) : v);

export interface CelMapping {
  /** CEL type name of the schema (e.g. `GovernanceRecord`, `list<string>`, `dyn<int>`). */
  type: string;
  convert: Convert;
  /** True when the converter is the identity (no integers inside), so it can be skipped. */
  trivial: boolean;
}

/**
 * Registers message types for every object in `schema` (named `typeName`, nested ones
 * `typeName.field`) and returns the root's CEL type and value converter.
 */
export function registerZodTypes(env: Environment, typeName: string, schema: z.ZodType): CelMapping {
  return map(env, typeName, schema, false);
}

function map(env: Environment, name: string, schema: z.ZodType, nullable: boolean): CelMapping {
  const d = def(schema);
  const scalar = (t: string, convert: Convert = identity): CelMapping => ({ type: nullable ? `dyn<${t}>` : t, convert, trivial: convert === identity });
  switch (d.type) {
    case 'string':
    case 'enum':
      return scalar('string');
    case 'boolean':
      return scalar('bool');
    case 'number':
      return isInt(schema) ? scalar('int', toBigInt) : scalar('double');
    case 'literal': {
      const v = d.values?.[0];
      if (typeof v === 'string') return scalar('string');
      if (typeof v === 'boolean') return scalar('bool');
      if (typeof v === 'number' && Number.isInteger(v)) return scalar('int', toBigInt);
      return scalar('double');
    }
    case 'nullable': {
      if (nullable) throw new Error(`${name}: nullable of nullable`);
      const inner = d.innerType!;
      const innerType = def(inner).type;
      if (innerType === 'object' || innerType === 'array' || innerType === 'record') {
        throw new Error(`${name}: a nullable ${innerType} cannot be type-checked in CEL; make it always present (empty list, or an object with a present flag)`);
      }
      const m = map(env, name, inner, true);
      return m.trivial ? m : { ...m, convert: (v) => (v === null || v === undefined ? null : m.convert(v)) };
    }
    case 'default':
    case 'optional':
    case 'readonly':
      return map(env, name, d.innerType!, nullable);
    case 'array': {
      const el = map(env, name, d.element!, false);
      return { type: `list<${el.type}>`, convert: el.trivial ? identity : (v) => (v as unknown[]).map(el.convert), trivial: el.trivial };
    }
    case 'record': {
      const val = map(env, name, d.valueType!, false);
      const convert: Convert = val.trivial
        ? identity
        : (v) => {
            const out: Record<string, unknown> = {};
            for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = val.convert(x);
            return out;
          };
      return { type: `map<string, ${val.type}>`, convert, trivial: val.trivial };
    }
    case 'unknown':
    case 'any':
      return { type: 'dyn', convert: identity, trivial: true };
    case 'object': {
      const shape = d.shape!;
      const fields: Record<string, string> = {};
      const converters: [string, Convert][] = [];
      for (const [key, fieldSchema] of Object.entries(shape)) {
        const m = map(env, `${name}.${key}`, fieldSchema, false);
        fields[key] = m.type;
        if (!m.trivial) converters.push([key, m.convert]);
      }
      env.registerType(name, { fields });
      const convert: Convert =
        converters.length === 0
          ? identity
          : (v) => {
              const out: Record<string, unknown> = { ...(v as Record<string, unknown>) };
              for (const [k, c] of converters) out[k] = c(out[k]);
              return out;
            };
      return { type: name, convert, trivial: converters.length === 0 };
    }
    default:
      throw new Error(`${name}: zod type "${d.type}" has no CEL mapping`);
  }
}
