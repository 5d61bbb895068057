import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { API_ROUTES } from '../src/http/app.js';
import { renderAuthorizationMarkdown } from '../src/authz/table.js';
import { CedarAuthorizer, loadPolicySource, validatePolicySource } from '../src/authz/cedar.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

it('the shipped Cedar policies validate against the schema, and the schema declares exactly PERMISSIONS', () => {
  expect(validatePolicySource(loadPolicySource())).toEqual([]);
});

it('a policy that does not validate against the schema is refused', () => {
  const src = loadPolicySource();
  const bad = { ...src, policies: { ...src.policies, typo: '@id("typo") permit (principal, action == Action::"model.reed", resource);' }, files: { ...src.files, typo: 'test' } };
  expect(() => new CedarAuthorizer(bad)).toThrow(/model\.reed/);
  const badAttr = { ...src, policies: { ...src.policies, attr: '@id("attr") permit (principal, action, resource) when { principal.isAdmin };' }, files: { ...src.files, attr: 'test' } };
  expect(() => new CedarAuthorizer(badAttr)).toThrow(/isAdmin/);
});

it('docs/authorization.md matches the policies and routes (run `node scripts/gen-authz-docs.js`)', () => {
  const file = fs.readFileSync(path.join(root, 'docs/authorization.md'), 'utf8');
  expect(file).toBe(renderAuthorizationMarkdown(API_ROUTES));
});
