/**
 * The samples in docs/exports.md, rendered from the test fixture so that they stay true.
 * The doc marks each sample with `<!-- sample:NAME -->` ... `<!-- /sample:NAME -->`; prose
 * outside the markers is written by hand. gen-exports-doc.ts writes them; a test checks them.
 */
import { changelog, renderGpaiForm, toAnnexIv, toCycloneDx, toGpaiForm, toModelCard, toSpdx } from '../src/index.js';
import { buildExportInput, versionLine } from '../test/fixtures.js';

const json = (v: unknown) => '```json\n' + JSON.stringify(v, null, 2) + '\n```';
const markdown = (v: string) => '````markdown\n' + v.trimEnd() + '\n````';

/** The part of a Markdown document from the heading `from` up to the next heading of that level or higher. */
function excerpt(md: string, from: string): string {
  const lines = md.split('\n');
  const start = lines.findIndex((l) => l === from);
  if (start < 0) throw new Error(`sample: heading "${from}" not found`);
  const level = /^#+/.exec(from)![0].length;
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    const h = /^(#+) /.exec(lines[i]!);
    if (h && h[1]!.length <= level) {
      end = i;
      break;
    }
  }
  return lines.slice(start, end).join('\n').trimEnd();
}

export function exportSamples(): Record<string, string> {
  const input = buildExportInput();
  const bom = toCycloneDx(input).document;
  const model = bom.metadata.component;
  const spdx = toSpdx(input);
  const graph = spdx.document['@graph'];
  const card = toModelCard(input).document;
  const annex = toAnnexIv(input, { format: 'markdown' }).document;
  const gpai = renderGpaiForm(toGpaiForm(input).document, { format: 'markdown' });

  return {
    cyclonedx: json({
      bomFormat: bom.bomFormat,
      specVersion: bom.specVersion,
      serialNumber: bom.serialNumber,
      metadata: {
        timestamp: bom.metadata.timestamp,
        component: {
          type: model.type,
          'bom-ref': model['bom-ref'],
          name: model.name,
          version: model.version,
          hashes: model.hashes,
          licenses: model.licenses,
          pedigree: { ancestors: model.pedigree?.ancestors?.map((a) => ({ 'bom-ref': a['bom-ref'], name: a.name, version: a.version, hashes: a.hashes })) },
          components: ['… one component of type file per file, with its SHA-256 …'],
          modelCard: { ...model.modelCard, properties: ['… out-of-scope use, training text, library, language …'] },
          properties: ['… steward:scan, steward:signature, steward:policy, steward:approval, owners, rings …'],
        },
      },
      components: bom.components.slice(0, 1).map((c) => ({ type: c.type, 'bom-ref': c['bom-ref'], name: c.name, version: c.version, licenses: c.licenses, data: c.data })),
    }),
    spdx: json({
      '@context': spdx.document['@context'],
      '@graph': [
        graph.find((n) => n.type === 'ai_AIPackage'),
        graph.find((n) => n.type === 'dataset_DatasetPackage'),
        graph.find((n) => n.type === 'Relationship' && n.relationshipType === 'trainedOn'),
        '… CreationInfo, SpdxDocument, Organization, Tool, files, licences, base model, annotations …',
      ],
    }),
    'spdx-warnings': markdown(spdx.warnings.map((w) => `- ${w}`).join('\n')),
    'model-card': markdown(`${card.slice(0, card.indexOf('## Model Details')).trimEnd()}\n\n…\n\n${excerpt(card, '## Steward Provenance')}`),
    'annex-iv': markdown(
      [
        excerpt(annex, '### (a) Intended purpose, provider, version'),
        '…',
        excerpt(annex, '#### Datasheet: acme-reviews@2024-06'),
        '…',
        excerpt(annex, '### (h) Cybersecurity measures'),
        '…',
        excerpt(annex, '## 7. Harmonised standards and other specifications applied'),
      ].join('\n\n'),
    ),
    'gpai-form': markdown(excerpt(gpai, '## General information')),
    changelog: markdown(changelog(versionLine())),
  };
}

/** The doc with every sample block replaced by its current rendering. */
export function withSamples(doc: string): string {
  const samples = exportSamples();
  for (const [name, body] of Object.entries(samples)) {
    const re = new RegExp(`(<!-- sample:${name} -->)[\\s\\S]*?(<!-- /sample:${name} -->)`);
    if (!re.test(doc)) throw new Error(`docs/exports.md has no sample block "${name}"`);
    doc = doc.replace(re, (_m, open: string, close: string) => `${open}\n${body}\n${close}`);
  }
  return doc;
}
