import { describe, expect, it } from 'vitest';
import { renderGpaiForm, toGpaiForm } from '../src/index.js';
import { BASE_MODEL_DIGEST, BASE_MODEL_REF, buildExportInput } from './fixtures.js';

describe('toGpaiForm', () => {
  const input = buildExportInput();
  const { document: form, warnings } = toGpaiForm(input);
  const field = (name: string) => form.fields.find((f) => f.field === name)!;

  it('answers what the registry knows, with sources', () => {
    expect(warnings).toEqual([]);
    expect(field('Provider')).toMatchObject({ value: 'acme', source: 'registry: organisation' });
    expect(field('Model versions').value).toBe('1.0.0 (2024-08-01), 1.1.0 (2024-11-12), 1.2.0 (2025-02-20)');
    expect(field('Model authenticity').value).toContain(`sha256:${input.version!.manifestDigest}`);
    expect(field('Model authenticity').value).toContain('Signatures: key signature by acme-release-key (P-384) (verified).');
    expect(field('Model dependencies').value).toBe(`${BASE_MODEL_REF} (sha256:${BASE_MODEL_DIGEST})`);
    expect(field('Input modalities').value).toBe('text');
    expect(field('Licence').value).toBe('apache-2.0');
    expect(field('Acceptable use policy')).toMatchObject({ source: 'model card: Out-of-Scope Use' });
  });

  it('leaves unknown fields empty and says what is needed', () => {
    expect(field('Total model size')).toMatchObject({ value: null, source: null, needed: 'the number of parameters (the files of this version total 417.7 MiB)' });
    expect(field('Union market release date')).toMatchObject({ value: null, needed: 'the date the model was placed on the Union market' });
    expect(field('Model architecture').value).toBeNull();
  });

  it('renders to Markdown with each empty field marked', () => {
    const md = renderGpaiForm(form, { format: 'markdown' });
    expect(md).toContain('### Total model size\n\n**To be completed by the provider:** the number of parameters');
    expect(md).toContain('### Licence\n\napache-2.0\n\nSource: model card: license.');
    const html = renderGpaiForm(form, { format: 'html' });
    expect(html).toContain('<h3>Total model size</h3>');
  });
});
