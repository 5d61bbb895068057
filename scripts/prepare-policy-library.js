#!/usr/bin/env node
// Parses the built-in policy library once, at build time, into packages/policy/dist/library-index.json
// (preparePolicyFile): `steward check` lints the library on every run, and parsing its YAML was
// most of that. Run by `npm run build` after tsc and before the CLI bundles (their code cache is
// trained with the index in place).
import { writeFileSync, renameSync } from 'node:fs';
import { builtinPolicyFiles, preparePolicyFile, PREPARED_LIBRARY_FILE } from '@steward/policy';

const files = builtinPolicyFiles().map((source) => {
  const prepared = preparePolicyFile(source.text);
  if (!prepared) throw new Error(`built-in policy file ${source.path} has YAML errors or warnings: run \`steward policy lint\` on it`);
  return prepared;
});
const tmp = `${PREPARED_LIBRARY_FILE}.tmp`;
writeFileSync(tmp, JSON.stringify({ files }));
renameSync(tmp, PREPARED_LIBRARY_FILE);
