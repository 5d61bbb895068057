import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

it('docs/api.md, docs/openapi.json and docs/cli.md match the code (run `npm run docs` after changing routes or commands)', () => {
  let out = '';
  try {
    execFileSync(process.execPath, ['scripts/gen-docs.js', '--check'], { cwd: root, stdio: 'pipe' });
  } catch (err) {
    out = String((err as { stderr?: Buffer }).stderr ?? err);
  }
  expect(out).toBe('');
});
