import { createHash } from 'node:crypto';
import { buildManifest } from '@steward/attest';
import type { TestServer } from './server.js';

export interface MemFile {
  path: string;
  content: Buffer | string;
}

export function sha256(b: Buffer | string): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Uploads the files' bytes and returns the push body for them (the CLI's protocol, over raw HTTP). */
export async function uploadAndManifest(srv: TestServer, files: MemFile[], org = 'default', token?: string) {
  for (const f of files) {
    const buf = Buffer.from(f.content);
    const r = await srv.api('PUT', `/api/v1/orgs/${org}/blobs/${sha256(buf)}`, { raw: buf, headers: { 'content-type': 'application/octet-stream' }, ...(token ? { token } : {}) });
    if (r.status !== 200) throw new Error(`upload ${f.path}: ${r.status} ${r.text}`);
  }
  return buildManifest(files.map((f) => ({ path: f.path, size: Buffer.byteLength(f.content), sha256: sha256(Buffer.from(f.content)) })));
}

export async function pushFiles(srv: TestServer, model: string, version: string, files: MemFile[], extra: Record<string, unknown> = {}, org = 'default') {
  const manifest = await uploadAndManifest(srv, files, org);
  return srv.api('POST', `/api/v1/orgs/${org}/models/${model}/versions`, { body: { version, manifest, ...extra } });
}
