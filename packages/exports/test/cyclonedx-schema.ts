/** The official CycloneDX 1.6 JSON schema (with the two schemas it $refs), compiled once. */
import { readFileSync } from 'node:fs';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

const SCHEMAS = new URL('../../../../shared/vectors/schemas/', import.meta.url);
const load = (name: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(name, SCHEMAS), 'utf8')) as Record<string, unknown>;

let validate: ValidateFunction | undefined;

export function cycloneDxValidator(): ValidateFunction {
  if (validate) return validate;
  // Draft-07 is Ajv's default dialect; strict mode off because the schema uses annotations
  // Ajv does not know (meta:enum, deprecated keywords).
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  // Formats the schema uses that ajv-formats lacks. IRIs are URIs that also allow non-ASCII:
  // no spaces, controls or the characters RFC 3987 excludes.
  ajv.addFormat('iri-reference', (s: string) => !/[\u0000-\u0020<>"{}|\\^`\u007f]/.test(s));
  ajv.addFormat('idn-email', (s: string) => /^[^\s@]+@[^\s@]+$/.test(s));
  ajv.addSchema(load('spdx.schema.json'));
  ajv.addSchema(load('jsf-0.82.schema.json'));
  validate = ajv.compile(load('bom-1.6.schema.json'));
  return validate;
}

export function schemaErrors(doc: unknown): ErrorObject[] {
  const v = cycloneDxValidator();
  return v(doc) ? [] : (v.errors ?? []);
}
