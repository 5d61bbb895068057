import { readFileSync } from 'node:fs';

/** The server's own name and version, as documents it signs or exports name their producer. */
export const TOOL = {
  name: 'steward',
  version: (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version,
} as const;
