/**
 * SLSA provenance v1 for a trained model: the training run is the build, the model (its
 * model_signing root digest) is the subject, datasets, base models and the code commit are the
 * resolved dependencies, evaluation results are byproducts.
 *
 * buildType https://steward.dev/buildtypes/model-training/v1 means:
 * - externalParameters: { model: { name, version, org? }, source?: { repository, commit, path? },
 *   training?: <the run's hyperparameters / config as given> }
 * - resolvedDependencies: datasets (uri, sha256 when known, name), base model versions
 *   (steward://ORG/NAME@VERSION with their root digest), the code (git+URL@COMMIT, gitCommit)
 * - byproducts: evaluation results (name, uri / sha256, or the metrics inline as JSON content)
 */
import { createHash } from 'node:crypto';
import { StewardError } from '@steward/domain/core';
import { IN_TOTO_STATEMENT_TYPE, isSha256Hex } from './manifest.js';
import type { InTotoStatement } from './bundle.js';

export const SLSA_PROVENANCE_PREDICATE_TYPE = 'https://slsa.dev/provenance/v1';
export const MODEL_TRAINING_BUILD_TYPE = 'https://steward.dev/buildtypes/model-training/v1';

/** in-toto ResourceDescriptor v1: at least one of uri, digest, content. */
export interface InTotoResourceDescriptor {
  name?: string;
  uri?: string;
  digest?: Record<string, string>;
  /** Base64. */
  content?: string;
  downloadLocation?: string;
  mediaType?: string;
  annotations?: Record<string, unknown>;
}

export interface SlsaProvenancePredicate {
  buildDefinition: {
    buildType: string;
    externalParameters: Record<string, unknown>;
    internalParameters?: Record<string, unknown>;
    resolvedDependencies?: InTotoResourceDescriptor[];
  };
  runDetails: {
    builder: { id: string; version?: Record<string, string>; builderDependencies?: InTotoResourceDescriptor[] };
    metadata?: { invocationId?: string; startedOn?: string; finishedOn?: string };
    byproducts?: InTotoResourceDescriptor[];
  };
}

export type SlsaProvenanceStatement = InTotoStatement<SlsaProvenancePredicate>;

export interface ProvenanceInput {
  /** The trained model version; rootDigest is its model_signing root digest (hex SHA-256). */
  model: { org?: string; name: string; version: string; rootDigest: string };
  /** The training code. commit is the full hex commit id. */
  source?: { repository: string; commit: string; path?: string };
  datasets?: { name: string; uri: string; sha256?: string }[];
  /** Model versions this one was trained from (fine-tuning, distillation). */
  baseModels?: { org: string; name: string; version: string; rootDigest: string }[];
  /** Hyperparameters and run configuration, recorded as externalParameters.training. */
  training?: Record<string, unknown>;
  /** Recorded as buildDefinition.internalParameters. */
  internalParameters?: Record<string, unknown>;
  /** Who ran the training: builder.id is a URI naming the platform or pipeline. */
  builder: { id: string; version?: Record<string, string> };
  run?: { invocationId?: string; startedOn?: Date | string; finishedOn?: Date | string };
  /** Evaluation results: a report by uri and/or sha256, or just metrics (carried inline). */
  evaluations?: { name: string; uri?: string; sha256?: string; mediaType?: string; metrics?: Record<string, number | string> }[];
}

function bad(field: string, message: string): never {
  throw new StewardError('bad_request', `provenance: ${field} ${message}`, { field });
}

function text(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.trim() === '') bad(field, 'must be a non-empty string');
  return v;
}

function uri(v: unknown, field: string): string {
  const s = text(v, field);
  if (!/^[a-z][a-z0-9+.-]*:\S+$/i.test(s)) bad(field, `must be a URI, got ${JSON.stringify(s)}`);
  return s;
}

function sha256(v: unknown, field: string): string {
  const s = typeof v === 'string' ? v.toLowerCase() : v;
  if (!isSha256Hex(s)) bad(field, 'must be 64 hex digits (SHA-256)');
  return s;
}

function timestamp(v: Date | string | undefined, field: string): string | undefined {
  if (v === undefined) return undefined;
  const d = v instanceof Date ? v : new Date(v);
  if (Number.isNaN(d.getTime())) bad(field, `is not a date: ${JSON.stringify(v)}`);
  return d.toISOString();
}

/** `git+<url>@<commit>`, the SLSA convention for a source dependency. */
export function gitDependencyUri(repository: string, commit: string): string {
  return `${repository.startsWith('git+') ? '' : 'git+'}${repository}@${commit}`;
}

export function stewardModelUri(org: string, name: string, version: string): string {
  return `steward://${org}/${name}@${version}`;
}

/** An in-toto Statement v1 with a SLSA provenance v1 predicate for one training run. */
export function buildSlsaProvenance(input: ProvenanceInput): SlsaProvenanceStatement {
  const m = input.model;
  const model = { ...(m.org === undefined ? {} : { org: text(m.org, 'model.org') }), name: text(m.name, 'model.name'), version: text(m.version, 'model.version') };
  const rootDigest = sha256(m.rootDigest, 'model.rootDigest');

  const externalParameters: Record<string, unknown> = { model };
  const dependencies: InTotoResourceDescriptor[] = [];
  if (input.source) {
    const repository = text(input.source.repository, 'source.repository');
    const commit = text(input.source.commit, 'source.commit').toLowerCase();
    if (!/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(commit)) bad('source.commit', 'must be a full hex commit id (40 or 64 digits)');
    externalParameters.source = { repository, commit, ...(input.source.path === undefined ? {} : { path: text(input.source.path, 'source.path') }) };
    dependencies.push({ uri: gitDependencyUri(repository, commit), digest: { gitCommit: commit } });
  }
  if (input.training !== undefined) externalParameters.training = input.training;
  (input.datasets ?? []).forEach((d, i) => {
    dependencies.push({
      name: text(d.name, `datasets[${i}].name`),
      uri: uri(d.uri, `datasets[${i}].uri`),
      ...(d.sha256 === undefined ? {} : { digest: { sha256: sha256(d.sha256, `datasets[${i}].sha256`) } }),
    });
  });
  (input.baseModels ?? []).forEach((b, i) => {
    const org = text(b.org, `baseModels[${i}].org`);
    const name = text(b.name, `baseModels[${i}].name`);
    dependencies.push({
      name: `${org}/${name}`,
      uri: stewardModelUri(org, name, text(b.version, `baseModels[${i}].version`)),
      digest: { sha256: sha256(b.rootDigest, `baseModels[${i}].rootDigest`) },
    });
  });

  const byproducts = (input.evaluations ?? []).map((e, i): InTotoResourceDescriptor => {
    const out: InTotoResourceDescriptor = { name: text(e.name, `evaluations[${i}].name`) };
    if (e.uri !== undefined) out.uri = uri(e.uri, `evaluations[${i}].uri`);
    if (e.sha256 !== undefined) out.digest = { sha256: sha256(e.sha256, `evaluations[${i}].sha256`) };
    if (e.mediaType !== undefined) out.mediaType = text(e.mediaType, `evaluations[${i}].mediaType`);
    if (e.metrics !== undefined) {
      out.annotations = { metrics: e.metrics };
      // A descriptor needs uri, digest or content: metrics alone travel as JSON content.
      if (out.uri === undefined && out.digest === undefined) {
        const json = Buffer.from(JSON.stringify(e.metrics), 'utf8');
        out.content = json.toString('base64');
        out.digest = { sha256: createHash('sha256').update(json).digest('hex') };
        out.mediaType ??= 'application/json';
      }
    }
    if (out.uri === undefined && out.digest === undefined) bad(`evaluations[${i}]`, 'needs a uri, a sha256 or metrics');
    return out;
  });

  const run = input.run ?? {};
  const metadata = {
    ...(run.invocationId === undefined ? {} : { invocationId: text(run.invocationId, 'run.invocationId') }),
    ...(run.startedOn === undefined ? {} : { startedOn: timestamp(run.startedOn, 'run.startedOn')! }),
    ...(run.finishedOn === undefined ? {} : { finishedOn: timestamp(run.finishedOn, 'run.finishedOn')! }),
  };
  if (metadata.startedOn && metadata.finishedOn && metadata.finishedOn < metadata.startedOn) bad('run.finishedOn', 'is before run.startedOn');

  const builder = {
    id: uri(input.builder?.id, 'builder.id'),
    ...(input.builder.version === undefined ? {} : { version: input.builder.version }),
  };
  return {
    _type: IN_TOTO_STATEMENT_TYPE,
    subject: [{ name: model.name, digest: { sha256: rootDigest } }],
    predicateType: SLSA_PROVENANCE_PREDICATE_TYPE,
    predicate: {
      buildDefinition: {
        buildType: MODEL_TRAINING_BUILD_TYPE,
        externalParameters,
        ...(input.internalParameters === undefined ? {} : { internalParameters: input.internalParameters }),
        resolvedDependencies: dependencies,
      },
      runDetails: {
        builder,
        ...(Object.keys(metadata).length === 0 ? {} : { metadata }),
        byproducts,
      },
    },
  };
}
