import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ScanEngine } from '../../src/scan.js';
import { scanBuffer } from '../../src/scan.js';
import { createAllowlist } from '../../src/pickle/allowlist.js';
import { PickleMachine, type MachineResult } from '../../src/pickle/machine.js';
import { BufferSource } from '../../src/source.js';
import { DEFAULT_LIMITS, type FileReport, type ScanOptions } from '../../src/types.js';
import { pickleHandler } from '../../src/formats/pickle.js';
import { torchLegacyHandler } from '../../src/formats/torch-legacy.js';
import { numpyNpyHandler } from '../../src/formats/numpy-npy.js';
import { joblibHandler } from '../../src/formats/joblib.js';
import { dataHandler, jsonHandler, pythonSourceHandler, textHandler } from '../../src/formats/plain.js';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** The pickle-family handlers in their required order, then the plain-content ones. */
export const engine: ScanEngine = {
  handlers: [numpyNpyHandler, torchLegacyHandler, joblibHandler, pickleHandler, jsonHandler, pythonSourceHandler, textHandler, dataHandler],
  allowlist: createAllowlist,
};

export function scan(buf: Buffer, name = 'model.pkl', options: ScanOptions = {}): Promise<FileReport> {
  return scanBuffer(engine, buf, name, options);
}

export function fixture(kind: 'benign' | 'malicious', name: string): Buffer {
  return readFileSync(`${FIXTURES}${kind}/${name}`);
}

export function fixtureNames(kind: 'benign' | 'malicious'): string[] {
  return readdirSync(`${FIXTURES}${kind}`).sort();
}

/** Runs the machine alone over a buffer. */
export function machine(buf: Buffer, extra: Partial<ConstructorParameters<typeof PickleMachine>[1]> = {}): Promise<MachineResult> {
  return new PickleMachine(new BufferSource(buf), { allowlist: createAllowlist(), limits: DEFAULT_LIMITS, ...extra }).scanAll();
}

export function ruleIds(r: { findings: { ruleId: string }[] }): string[] {
  return [...new Set(r.findings.map((f) => f.ruleId))].sort();
}

export function importPaths(r: { imports?: { module: string; name: string }[] }): string[] {
  return (r.imports ?? []).map((i) => `${i.module}.${i.name}`);
}
