/**
 * Reading steward.yaml and steward.lock without the rest of the package (rule compiler, CEL
 * evaluator, renderers): `steward check` parses these first and starts hashing while the rest loads.
 */
export { parseStewardConfig, splitModelName, type LoadedConfig, type ModelDecl, type StewardConfig } from './config.js';
export { parseLock, renderLock, compareWithLock, type LockFile, type LockedModel, type LockMismatch } from './lock.js';
