import { rootDigestOf, type Manifest } from '@steward/attest';
import { StewardError } from '@steward/domain';
import type { ModelVersionsTable } from '../db/schema.js';

/** The version's manifest as recorded at push, checked against its recorded root digest. */
export function storedManifest(v: ModelVersionsTable): Manifest {
  const manifest = JSON.parse(v.manifest_json) as Manifest;
  if (rootDigestOf(manifest.files.map((f) => f.sha256)) !== v.manifest_digest || manifest.rootDigest !== v.manifest_digest) {
    throw new StewardError('integrity_violation', `version ${v.version}: the stored manifest does not hash to its recorded digest sha256:${v.manifest_digest}`);
  }
  return manifest;
}
