#!/usr/bin/env node
// Writes docs/authorization.md from the Cedar policies and the route table (run after `tsc -b`);
// `--check` exits 1 when the file is stale (packages/server/test/authz-docs.test.ts checks the same).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_ROUTES } from '../packages/server/dist/http/app.js';
import { renderAuthorizationMarkdown } from '../packages/server/dist/authz/table.js';

const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../docs/authorization.md');
const want = renderAuthorizationMarkdown(API_ROUTES);
if (process.argv.includes('--check')) {
  if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== want) {
    console.error('docs/authorization.md is out of date; run: node scripts/gen-authz-docs.js');
    process.exit(1);
  }
} else {
  fs.writeFileSync(file, want);
  console.log('wrote docs/authorization.md');
}
