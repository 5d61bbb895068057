#!/usr/bin/env node
// Writes docs/governance-record.schema.json from the zod schema (build the package first:
// npx tsc -b packages/policy). test/record-schema.test.ts fails when the committed file is stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { governanceRecordJsonSchemaText } from '../dist/index.js';

const out = fileURLToPath(new URL('../../../docs/governance-record.schema.json', import.meta.url));
writeFileSync(out, governanceRecordJsonSchemaText());
console.log(`wrote ${out}`);
