/**
 * Records built by this package's builders are validated once, when built; any other record is
 * validated when it reaches evaluate() (it may come from a JSON file or another process).
 */
import { StewardError } from '@steward/domain/core';
import { GovernanceRecordSchema, type GovernanceRecord } from './record.js';

const validated = new WeakSet<object>();

/** Parses a record against the schema; errors name the field path. */
export function parseGovernanceRecord(value: unknown): GovernanceRecord {
  const r = GovernanceRecordSchema.safeParse(value);
  if (!r.success) {
    const text = r.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(record)'}: ${i.message}`)
      .join('; ');
    throw new StewardError('validation_failed', `invalid governance record: ${text}`, { issues: r.error.issues });
  }
  validated.add(r.data);
  return r.data;
}

export function validatedRecord(record: GovernanceRecord): GovernanceRecord {
  return validated.has(record) ? record : parseGovernanceRecord(record);
}
