/**
 * The export formats the server renders, one entry each: how to render, the media type, the file
 * name suffix. A new format is one more entry (and its name in EXPORT_FORMATS, domain).
 */
import type { ExportFormatName } from '@steward/domain';
import { renderGpaiForm, toAnnexIv, toCycloneDx, toGpaiForm, toModelCard, toSpdx, type ExportInputData } from '@steward/exports';

export interface RenderedExport {
  body: string;
  warnings: string[];
}

export interface ExportFormatDef {
  render(input: ExportInputData): RenderedExport;
  contentType: string;
  /** Appended to `NAME-VERSION` for the suggested file name. */
  suffix: string;
}

const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

export const EXPORT_FORMAT_DEFS: Record<ExportFormatName, ExportFormatDef> = {
  cyclonedx: {
    render: (i) => {
      const r = toCycloneDx(i);
      return { body: json(r.document), warnings: r.warnings };
    },
    contentType: 'application/vnd.cyclonedx+json; version=1.6; charset=utf-8',
    suffix: '.cdx.json',
  },
  spdx: {
    render: (i) => {
      const r = toSpdx(i);
      return { body: json(r.document), warnings: r.warnings };
    },
    contentType: 'application/spdx+json; charset=utf-8',
    suffix: '.spdx.json',
  },
  'model-card': {
    render: (i) => {
      const r = toModelCard(i);
      return { body: r.document, warnings: r.warnings };
    },
    contentType: 'text/markdown; charset=utf-8',
    suffix: '.README.md',
  },
  'annex-iv': {
    render: (i) => {
      const r = toAnnexIv(i, { format: 'markdown' });
      return { body: r.document, warnings: r.warnings };
    },
    contentType: 'text/markdown; charset=utf-8',
    suffix: '.annex-iv.md',
  },
  'annex-iv-html': {
    render: (i) => {
      const r = toAnnexIv(i, { format: 'html' });
      return { body: r.document, warnings: r.warnings };
    },
    contentType: 'text/html; charset=utf-8',
    suffix: '.annex-iv.html',
  },
  'gpai-form': {
    render: (i) => {
      const r = toGpaiForm(i);
      return { body: renderGpaiForm(r.document, { format: 'markdown' }), warnings: r.warnings };
    },
    contentType: 'text/markdown; charset=utf-8',
    suffix: '.gpai-form.md',
  },
  'gpai-form-html': {
    render: (i) => {
      const r = toGpaiForm(i);
      return { body: renderGpaiForm(r.document, { format: 'html' }), warnings: r.warnings };
    },
    contentType: 'text/html; charset=utf-8',
    suffix: '.gpai-form.html',
  },
};
