import { describe, expect, it } from 'vitest';
import { ANNEX_IV_POINTS, toAnnexIv } from '../src/index.js';
import { BASE_MODEL_DIGEST, BASE_MODEL_REF, buildExportInput, cardText, MODEL_RECORD } from './fixtures.js';

const TODO = '**To be completed by the provider:**';

/** Markdown split into the nine points: heading -> body. */
function points(md: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of md.split(/^## /m).slice(1)) out.set(part.slice(0, part.indexOf('\n')), part.slice(part.indexOf('\n') + 1));
  return out;
}

describe('toAnnexIv (markdown)', () => {
  const input = buildExportInput();
  const { document: md, warnings } = toAnnexIv(input, { format: 'markdown' });
  const p = points(md);
  const point = (n: number) => p.get(ANNEX_IV_POINTS[n - 1]!)!;

  it('has the nine points of Annex IV as headings, in order', () => {
    expect([...p.keys()]).toEqual([...ANNEX_IV_POINTS]);
    expect(warnings).toEqual([]);
  });

  it('point 1: identity, intended purpose from the card, the version line', () => {
    expect(point(1)).toContain('- **Provider:** acme');
    expect(point(1)).toContain(`- **Manifest root digest:** \`sha256:${input.version!.manifestDigest}\``);
    expect(point(1)).toContain('> Routing customer reviews to the support queue by sentiment.');
    expect(point(1)).toContain('Library: transformers.');
    expect(point(1)).toMatch(/\(b\) Interaction[\s\S]*?\*\*To be completed by the provider:\*\* the systems and interfaces/);
  });

  it('point 2: base model, files, datasheets, metrics, cybersecurity evidence', () => {
    const two = point(2);
    expect(two).toContain(`| ${BASE_MODEL_REF} | \`sha256:${BASE_MODEL_DIGEST}\` |`);
    for (const f of input.version!.manifest.files) expect(two).toContain(`| ${f.path} | ${f.size} | \`${f.sha256}\` |`);
    expect(two).toContain('#### Datasheet: acme-reviews@2024-06');
    expect(two).toContain('- **Motivation:** Product reviews from acme.example, June 2024');
    expect(two).toContain('- **Preprocessing, cleaning, labelling:** transform script clean_reviews.py');
    expect(two).toContain('- **Uses:** used for training of acme/sentiment-bert@1.2.0');
    expect(two).toContain('#### Datasheet: imdb@plain_text-1.0');
    expect(two).toContain('- **Maintenance:** registry version label plain_text-1.0; approved by (no approver recorded)');
    expect(two).toContain('| Sentiment Analysis | IMDb (config plain_text, split test, revision e6281661ce1c48d982bc483cf8a173c1bbeb5d31) | Accuracy | 0.931 | no | ACME CI evaluation, https://ci.acme.example/runs/4211 |');
    expect(two).toContain('| licence-allowlist | pass | 2025-02-20T08:46:00.000Z |  |');
    expect(two).toMatch(/- \*\*Model scan:\*\* safe \(scanner 0\.1\.0/);
    expect(two).toContain('| key | acme-release-key (P-384) | yes |');
    expect(two).toContain('| promotion of 1.2.0 to staging | approved | erin |');
  });

  it('point 6: the version line, this version\'s changes and the ring history', () => {
    const six = point(6);
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) expect(six).toMatch(new RegExp(`^\\| ${v.replace(/\./g, '\\.')} \\|`, 'm'));
    expect(six).toContain('### Changes in 1.2.0 since 1.1.0');
    expect(six).toContain('- Licence: mit → apache-2.0');
    expect(six).toContain('| 4 | prod | 1.1.0 | 1.0.0 | set | 2024-11-20T09:00:00.000Z | erin | passed staging soak |');
  });

  it('marks what the registry cannot know, plainly, in every point it cannot fill', () => {
    for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9]) expect(point(n)).toContain(TODO);
    expect(point(7).trim()).toMatch(/^\*\*To be completed by the provider:\*\* the harmonised standards applied/);
    expect(point(8).trim()).toBe(`${TODO} a copy of the EU declaration of conformity (Article 47).`);
    expect(md).toContain('The registry records the risk tier of this model as limited');
  });

  it('is deterministic', () => {
    expect(toAnnexIv(buildExportInput(), { format: 'markdown' }).document).toBe(md);
  });

  it('fills less and says more when the registry knows less', () => {
    const base = buildExportInput();
    const bare = toAnnexIv({ ...base, version: { ...base.version!, card: null }, cardText: undefined, previousVersion: undefined, signatures: undefined }, { format: 'markdown' });
    const bp = points(bare.document);
    expect(bp.get(ANNEX_IV_POINTS[0])).toContain(`${TODO} the intended purpose`);
    expect(bp.get(ANNEX_IV_POINTS[1])).toContain('No signature of this version is recorded.');
    expect(bare.warnings).toContain('previousVersion not given: the Annex IV change history lists versions without their file and card changes');
  });
});

describe('toAnnexIv (html)', () => {
  const hostile = '<script>alert("card")</script>';
  const input = buildExportInput({ card: cardText({ extraLimitations: hostile }) });
  const withHostileModel = { ...input, model: { ...MODEL_RECORD, description: 'Reviews <img src=x onerror=alert(1)> & more' } };
  const { document: html } = toAnnexIv(withHostileModel, { format: 'html' });

  it('is a standalone page with the nine points', () => {
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">')).toBe(true);
    expect(html).toContain('<title>Annex IV technical documentation: acme/sentiment-bert@1.2.0</title>');
    expect([...html.matchAll(/<h2>(.*?)<\/h2>/g)].map((m) => m[1])).toEqual([...ANNEX_IV_POINTS]);
    expect(html.trimEnd().endsWith('</body>\n</html>')).toBe(true);
  });

  it('escapes card and registry text: no script, image or link reaches the page', () => {
    // Every tag on the page is one the renderer writes, with only the attributes it writes.
    const tags = [...html.matchAll(/<\/?([a-zA-Z][\w-]*)([^>]*)>/g)];
    const allowed = new Set(['html', 'head', 'meta', 'title', 'style', 'body', 'h1', 'h2', 'h3', 'h4', 'p', 'ul', 'li', 'strong', 'em', 'code', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'blockquote', 'pre']);
    expect(tags.map((t) => t[1]!.toLowerCase()).filter((t) => !allowed.has(t))).toEqual([]);
    const attrs = tags.flatMap((t) => [...t[2]!.replace(/"[^"]*"/g, '""').matchAll(/([\w-]+)=/g)].map((a) => a[1]));
    expect([...new Set(attrs)].sort()).toEqual(['charset', 'class', 'content', 'lang', 'name']);
    expect(html).toContain('&lt;script&gt;alert(&quot;card&quot;)&lt;/script&gt;');
    expect(html).toContain('Reviews &lt;img src=x onerror=alert(1)&gt; &amp; more');
    expect(html).toContain('<p class="todo"><strong>To be completed by the provider:</strong>');
    expect(html).toContain(`<code>sha256:${input.version!.manifestDigest}</code>`);
  });

  it('the markdown variant keeps the card text inside a quote', () => {
    const md = toAnnexIv(input, { format: 'markdown' }).document;
    expect(md).toContain(`> ${hostile}`);
  });
});
