/**
 * The CEL environment rules run in. Variables:
 * - `record`: the governance record (type GovernanceRecord, see record.ts), fully type-checked;
 * - `params`: the policy's parameters, one typed field per declared parameter;
 * - `ring`: the target ring under evaluation (a string, or null when unknown);
 * - `now`: the evaluation time (timestamp).
 * Built once per process (environment construction is the expensive part of cel-js); each policy
 * gets a cheap clone with its own `params` type.
 */
import { Environment } from '@marcbachmann/cel-js';
import { registerZodTypes, type Convert } from './cel-types.js';
import { RECORD_TYPE, registerHelperFunctions } from './functions.js';
import type { ParamType } from './policy-file.js';
import { GovernanceRecordSchema } from './record.js';

interface BaseEnvironment {
  env: Environment;
  convertRecord: Convert;
}

let base: BaseEnvironment | null = null;

function baseEnvironment(): BaseEnvironment {
  if (base) return base;
  const env = new Environment({ homogeneousAggregateLiterals: true, limits: { maxAstNodes: 10_000, maxDepth: 64 } });
  const mapping = registerZodTypes(env, RECORD_TYPE, GovernanceRecordSchema);
  registerHelperFunctions(env);
  env.registerVariable('record', RECORD_TYPE, { description: 'The governance record of the model version' });
  env.registerVariable('ring', 'dyn<string>', { description: 'The target ring under evaluation, or null' });
  env.registerVariable('now', 'google.protobuf.Timestamp', { description: 'The evaluation time' });
  base = { env, convertRecord: mapping.convert };
  return base;
}

let wrapRecord: ((ctx: Record<string, unknown>) => unknown) | null = null;

/**
 * The record converted to CEL runtime values (BigInt integers) and wrapped once in cel-js's typed
 * message values, so the rules share one wrapped record (and its lazily converted fields) instead
 * of each wrapping it again.
 */
export function recordToCel(record: unknown): unknown {
  const b = baseEnvironment();
  wrapRecord ??= b.env.clone().parse('record');
  return wrapRecord({ record: b.convertRecord(record), ring: null, now: new Date(0) });
}

/** An environment for one policy: the base plus `params` typed from the policy's declarations. */
export function policyEnvironment(params: Record<string, ParamType>): Environment {
  const env = baseEnvironment().env.clone();
  env.registerType('PolicyParams', { fields: params });
  env.registerVariable('params', 'PolicyParams', { description: "The policy's parameters (defaults, overridden per repository)" });
  return env;
}

/** Variables rules and templates may name, for documentation and read tracking. */
export const ROOT_VARIABLES = ['record', 'params', 'ring', 'now'] as const;
