/**
 * ONNX models (`onnx` handler). An ONNX file is a protobuf `ModelProto` with no magic number; it is
 * recognized by parsing its structure (protobuf/detect.ts) and then walked with the streaming
 * protobuf reader: tensor payloads (`raw_data`, typed data arrays) are skipped by offset, so a
 * multi-GB model is scanned by reading only its tags and small fields.
 *
 * What is checked (see docs/scanner.md, "ONNX"):
 * - Every TensorProto reachable from the model: graph initializers, sparse initializers (values
 *   and indices), node attribute tensors (`t`, `tensors`, `sparse_tensor(s)`), subgraphs
 *   (`g`, `graphs`: If/Loop/Scan bodies, recursively), training-info graphs, model-local functions
 *   (their nodes and attribute defaults). External data `location`s that are absolute, contain a
 *   `..` component, backslashes, a drive letter or URL scheme, NUL, or ONNX Runtime's in-memory
 *   address tag are `onnx.external-data-traversal` (unsafe; CVE-2022-25882, CVE-2024-27318).
 * - Nodes in operator domains that are not built into ONNX / ONNX Runtime and not model-local
 *   functions: `onnx.custom-op-domain` (unknown: custom ops are native code the runtime loads).
 * - Malformed protobuf: `onnx.malformed` (unknown); nesting deeper than protobuf's own limit:
 *   `onnx.limit` (inconclusive). Findings made before the error are kept.
 */
import type { FormatHandler, ScanContext } from '../context.js';
import { classifyProtoHead, onnxEvidence } from '../protobuf/detect.js';
import { asInt64, expectLen, type PbField, PbReader, ProtoError, ProtoLimit, visitFields, WIRE_LEN, WIRE_VARINT } from '../protobuf/reader.js';
import type { ByteSource } from '../source.js';
import { CappedFindings } from '../findings.js';
import type { FileReport, Finding } from '../types.js';

/** Operator domains whose kernels ship with ONNX and ONNX Runtime (no library is loaded for them). */
export const BUILTIN_ONNX_DOMAINS: ReadonlySet<string> = new Set([
  '',
  'ai.onnx',
  'ai.onnx.ml',
  'ai.onnx.training',
  'ai.onnx.preview.training',
  // ONNX Runtime's contrib operators, compiled into the runtime.
  'com.microsoft',
  'com.microsoft.nchwc',
  'com.microsoft.experimental',
  'com.ms.internal.nhwc',
]);

/** ONNX Runtime reads external data at a process memory address when the location is this tag. */
const ORT_MEM_ADDR_TAG = '*/_ORT_MEM_ADDR_/*';
/** Per-rule cap on findings; the rest are counted in one summary finding. */
const MAX_FINDINGS_PER_RULE = 100;
const MAX_EXTERNAL_DETAILS = 1000;

/**
 * Why an external-data location escapes the model directory, or null when it is a plain relative
 * path inside it. Loaders join it to the model's directory (onnx: os.path.join; ONNX Runtime:
 * std::filesystem), so an absolute path replaces the directory and `..` climbs out of it.
 */
export function unsafeLocationReason(loc: string): string | null {
  if (loc === ORT_MEM_ADDR_TAG || loc.includes('_ORT_MEM_ADDR_')) return 'ONNX Runtime memory-address tag (reads process memory)';
  if (loc.includes('\0')) return 'contains a NUL byte';
  if (loc.startsWith('/')) return 'absolute path';
  if (loc.includes('\\')) return 'contains a backslash (a Windows path separator)';
  if (/^[A-Za-z]:/.test(loc)) return 'Windows drive letter';
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(loc)) return 'URL scheme';
  const parts = loc.split('/');
  if (parts.includes('..')) {
    // Report whether it also escapes after normalization (a/../../x does; a/../x does not, still refused).
    let depth = 0;
    let escapes = false;
    for (const p of parts) {
      if (p === '..') depth--;
      else if (p !== '' && p !== '.') depth++;
      if (depth < 0) escapes = true;
    }
    return escapes ? "'..' components climb out of the model directory" : "contains a '..' component";
  }
  return null;
}

interface ExternalRef {
  tensor: string;
  location: string;
  offset?: string;
  length?: string;
  path: string;
}

class OnnxWalk {
  nodes = 0;
  initializers = 0;
  sparseInitializers = 0;
  functions = 0;
  graphs = 0;
  irVersion: number | string | null = null;
  producer = '';
  producerVersion = '';
  opsets: { domain: string; version: number | string }[] = [];
  externals: ExternalRef[] = [];
  externalCount = 0;
  /** domain -> {count, first node path, op types} for nodes outside the built-in domains. */
  domainUses = new Map<string, { count: number; first: string; ops: Map<string, number> }>();
  /** `domain\0name` of model-local functions. */
  localFunctions = new Set<string>();
  private readonly fieldsSeen = { n: 0 };
  private readonly findings: CappedFindings;

  constructor(
    readonly ctx: ScanContext,
    readonly report: FileReport,
  ) {
    this.findings = new CappedFindings(report.findings, MAX_FINDINGS_PER_RULE);
  }

  add(f: Finding): void {
    this.findings.add(f);
  }

  /** Summaries for findings beyond the per-rule cap. */
  flushCaps(): void {
    this.findings.flush();
  }

  fields(r: PbReader, visit: (f: PbField) => Promise<void>): Promise<void> {
    return visitFields(r, visit, () => this.ctx.checkTime(), this.fieldsSeen);
  }

  async model(r: PbReader): Promise<void> {
    let graphs = 0;
    let trainings = 0;
    await this.fields(r, async (f) => {
      switch (f.num) {
        case 1:
          if (f.wire === WIRE_VARINT) this.irVersion = intValue(f.varint);
          break;
        case 2:
          if (f.wire === WIRE_LEN) this.producer = await r.string(f, 256);
          break;
        case 3:
          if (f.wire === WIRE_LEN) this.producerVersion = await r.string(f, 256);
          break;
        case 7:
          expectLen(f, 'ModelProto.graph');
          await this.graph(r.sub(f), graphs++ === 0 ? 'graph' : `graph#${graphs}`);
          break;
        case 8:
          expectLen(f, 'ModelProto.opset_import');
          this.opsets.push(await opset(r.sub(f)));
          break;
        case 20: {
          expectLen(f, 'ModelProto.training_info');
          const t = r.sub(f);
          const base = `training_info[${trainings++}]`;
          await this.fields(t, async (g) => {
            if (g.num === 1) await this.graph(t.sub(expectLen(g, 'TrainingInfoProto.initialization')), `${base}.initialization`);
            else if (g.num === 2) await this.graph(t.sub(expectLen(g, 'TrainingInfoProto.algorithm')), `${base}.algorithm`);
          });
          break;
        }
        case 25:
          expectLen(f, 'ModelProto.functions');
          await this.func(r.sub(f), `functions[${this.functions++}]`);
          break;
        default:
          break;
      }
    });
  }

  async graph(r: PbReader, path: string): Promise<void> {
    this.graphs++;
    let nodes = 0;
    let inits = 0;
    let sparse = 0;
    await this.fields(r, async (f) => {
      switch (f.num) {
        case 1:
          await this.node(r.sub(expectLen(f, 'GraphProto.node')), `${path}.node[${nodes++}]`);
          break;
        case 5:
          this.initializers++;
          await this.tensor(r.sub(expectLen(f, 'GraphProto.initializer')), `${path}.initializer[${inits++}]`);
          break;
        case 15:
          this.sparseInitializers++;
          await this.sparse(r.sub(expectLen(f, 'GraphProto.sparse_initializer')), `${path}.sparse_initializer[${sparse++}]`);
          break;
        default:
          break;
      }
    });
  }

  async node(r: PbReader, path: string): Promise<void> {
    this.nodes++;
    let opType = '';
    let domain = '';
    let name = '';
    let attrs = 0;
    await this.fields(r, async (f) => {
      switch (f.num) {
        case 3:
          name = await r.string(expectLen(f, 'NodeProto.name'), 256);
          break;
        case 4:
          opType = await r.string(expectLen(f, 'NodeProto.op_type'), 256);
          break;
        case 7:
          domain = await r.string(expectLen(f, 'NodeProto.domain'), 1024);
          break;
        case 5:
          await this.attribute(r.sub(expectLen(f, 'NodeProto.attribute')), `${path}.attribute[${attrs++}]`);
          break;
        default:
          break;
      }
    });
    if (!BUILTIN_ONNX_DOMAINS.has(domain)) {
      const where = `${path}${name ? ` (${name})` : ''}`;
      let u = this.domainUses.get(domain);
      if (!u) this.domainUses.set(domain, (u = { count: 0, first: where, ops: new Map() }));
      u.count++;
      u.ops.set(opType, (u.ops.get(opType) ?? 0) + 1);
    }
  }

  async attribute(r: PbReader, path: string): Promise<void> {
    let tensors = 0;
    let graphs = 0;
    let sparse = 0;
    let name = '';
    const named = () => (name ? path.replace(/\[\d+\]$/, `[${name}]`) : path);
    await this.fields(r, async (f) => {
      switch (f.num) {
        case 1:
          name = (await r.string(expectLen(f, 'AttributeProto.name'), 256)).replace(/[[\]]/g, '');
          break;
        case 5:
          await this.tensor(r.sub(expectLen(f, 'AttributeProto.t')), `${named()}.t`);
          break;
        case 10:
          await this.tensor(r.sub(expectLen(f, 'AttributeProto.tensors')), `${named()}.tensors[${tensors++}]`);
          break;
        case 6:
          await this.graph(r.sub(expectLen(f, 'AttributeProto.g')), `${named()}.g`);
          break;
        case 11:
          await this.graph(r.sub(expectLen(f, 'AttributeProto.graphs')), `${named()}.graphs[${graphs++}]`);
          break;
        case 22:
          await this.sparse(r.sub(expectLen(f, 'AttributeProto.sparse_tensor')), `${named()}.sparse_tensor`);
          break;
        case 23:
          await this.sparse(r.sub(expectLen(f, 'AttributeProto.sparse_tensors')), `${named()}.sparse_tensors[${sparse++}]`);
          break;
        default:
          break;
      }
    });
  }

  async sparse(r: PbReader, path: string): Promise<void> {
    await this.fields(r, async (f) => {
      if (f.num === 1) await this.tensor(r.sub(expectLen(f, 'SparseTensorProto.values')), `${path}.values`);
      else if (f.num === 2) await this.tensor(r.sub(expectLen(f, 'SparseTensorProto.indices')), `${path}.indices`);
    });
  }

  async func(r: PbReader, path: string): Promise<void> {
    let name = '';
    let domain = '';
    let nodes = 0;
    let attrs = 0;
    await this.fields(r, async (f) => {
      switch (f.num) {
        case 1:
          name = await r.string(expectLen(f, 'FunctionProto.name'), 256);
          break;
        case 10:
          domain = await r.string(expectLen(f, 'FunctionProto.domain'), 1024);
          break;
        case 7:
          await this.node(r.sub(expectLen(f, 'FunctionProto.node')), `${path}.node[${nodes++}]`);
          break;
        case 11:
          await this.attribute(r.sub(expectLen(f, 'FunctionProto.attribute_proto')), `${path}.attribute_proto[${attrs++}]`);
          break;
        default:
          break;
      }
    });
    this.localFunctions.add(`${domain}\0${name}`);
  }

  async tensor(r: PbReader, path: string): Promise<void> {
    let name = '';
    let dataLocation: number | null = null;
    const entries: { key: string; value: string; offset: number }[] = [];
    await this.fields(r, async (f) => {
      switch (f.num) {
        case 8:
          name = await r.string(expectLen(f, 'TensorProto.name'), 512);
          break;
        case 13: {
          const e = r.sub(expectLen(f, 'TensorProto.external_data'));
          let key = '';
          let value = '';
          await this.fields(e, async (g) => {
            if (g.num === 1) key = await e.string(expectLen(g, 'StringStringEntryProto.key'), 256);
            else if (g.num === 2) value = await e.string(expectLen(g, 'StringStringEntryProto.value'), 4096);
          });
          entries.push({ key, value, offset: f.tagOffset });
          break;
        }
        case 14:
          if (f.wire === WIRE_VARINT) dataLocation = Number(asInt64(f.varint ?? 0));
          break;
        default:
          break; // raw_data (9) and typed arrays are skipped without being read
      }
    });
    const external = dataLocation === 1;
    if (!external && entries.length === 0) return;
    const where = name ? `${path}(${name})` : path;
    const locations = entries.filter((e) => e.key === 'location');
    if (external && locations.length === 0) {
      this.add({ ruleId: 'onnx.malformed', severity: 'medium', verdict: 'unknown', message: `tensor "${name}" has data_location EXTERNAL but no location`, location: { path: where } });
      return;
    }
    for (const loc of locations) {
      const reason = loc.value === '' ? 'empty location' : unsafeLocationReason(loc.value);
      if (reason) {
        this.add({
          ruleId: 'onnx.external-data-traversal',
          severity: 'critical',
          verdict: 'unsafe',
          message: `tensor "${name}" reads external data from ${JSON.stringify(loc.value)}: ${reason}${external ? '' : ' (data_location is not EXTERNAL, but a loader that honours the entry would follow it)'}; the loader would read a file outside the model directory (CVE-2022-25882, CVE-2024-27318)`,
          location: { path: where, offset: loc.offset },
        });
      }
    }
    for (const e of entries) {
      if ((e.key === 'offset' || e.key === 'length') && !/^\d+$/.test(e.value)) {
        this.add({ ruleId: 'onnx.malformed', severity: 'medium', verdict: 'unknown', message: `tensor "${name}" external data ${e.key} ${JSON.stringify(e.value)} is not a non-negative integer`, location: { path: where, offset: e.offset } });
      }
    }
    this.externalCount++;
    const last = (k: string) => [...entries].reverse().find((e) => e.key === k)?.value;
    if (this.externals.length < MAX_EXTERNAL_DETAILS) {
      const ref: ExternalRef = { tensor: name, location: last('location') ?? '', path: where };
      const off = last('offset');
      const len = last('length');
      if (off !== undefined) ref.offset = off;
      if (len !== undefined) ref.length = len;
      this.externals.push(ref);
    }
  }

  finish(): void {
    for (const [domain, u] of this.domainUses) {
      const ops = [...u.ops].filter(([op]) => !this.localFunctions.has(`${domain}\0${op}`));
      if (ops.length === 0) continue; // every use is a model-local function: expanded from the model's own graph
      const count = ops.reduce((a, [, n]) => a + n, 0);
      this.add({
        ruleId: 'onnx.custom-op-domain',
        severity: 'medium',
        verdict: 'unknown',
        message: `${count} node(s) in custom operator domain ${JSON.stringify(domain)} (${ops
          .slice(0, 10)
          .map(([op, n]) => `${op}×${n}`)
          .join(', ')}); custom operators are native code the runtime loads from a library`,
        location: { path: u.first },
      });
    }
    this.flushCaps();
  }

  details(): Record<string, unknown> {
    const files = new Map<string, number>();
    for (const e of this.externals) files.set(e.location, (files.get(e.location) ?? 0) + 1);
    return {
      irVersion: this.irVersion,
      producer: this.producerVersion ? `${this.producer} ${this.producerVersion}` : this.producer,
      opsets: this.opsets,
      nodes: this.nodes,
      initializers: this.initializers,
      sparseInitializers: this.sparseInitializers,
      functions: this.functions,
      graphs: this.graphs,
      customDomains: [...this.domainUses.keys()],
      externalTensors: this.externalCount,
      externalFiles: [...files.keys()],
      externalData: this.externals.map((e) => ({ tensor: e.tensor, location: e.location, offset: e.offset, length: e.length })),
    };
  }
}

function intValue(v: number | bigint | undefined): number | string {
  if (v === undefined) return 0;
  return typeof v === 'number' ? v : asInt64(v).toString();
}


async function opset(r: PbReader): Promise<{ domain: string; version: number | string }> {
  let domain = '';
  let version: number | string = 0;
  for (let f = await r.next(); f; f = await r.next()) {
    if (f.num === 1 && f.wire === WIRE_LEN) domain = await r.string(f, 256);
    else if (f.num === 2 && f.wire === WIRE_VARINT) version = intValue(f.varint);
  }
  return { domain, version };
}

/**
 * The head showed only ModelProto-shaped fields (no graph yet) and the full parse says this is no
 * ONNX model: protobuf cannot parse it, or it has no graph. ONNX loaders refuse such a file, so it is
 * reported as unrecognized data, like the catch-all handler does, instead of a malformed model.
 */
function notAModel(report: FileReport, why: string): void {
  report.format = 'data';
  report.findings.length = 0;
  report.details = undefined;
  report.findings.push({ ruleId: 'format.unrecognized', severity: 'info', verdict: 'safe', message: `not a recognized model or archive format (looked like an ONNX protobuf, but ${why}); treated as opaque data` });
}

/** Scans an ONNX ModelProto in `source`, adding findings and details to `report`. */
export async function scanOnnx(ctx: ScanContext, source: ByteSource, report: FileReport): Promise<void> {
  const head = await source.read(0, 4096);
  const weak = onnxEvidence(head, source.size, '') === 'weak';
  const walk = new OnnxWalk(ctx, report);
  try {
    await walk.model(PbReader.open(source));
    if (walk.graphs === 0) {
      if (weak) return notAModel(report, 'it has no graph');
      report.findings.push({ ruleId: 'onnx.malformed', severity: 'medium', verdict: 'unknown', message: 'ModelProto without a graph' });
    }
  } catch (err) {
    if (err instanceof ProtoError && weak && walk.graphs === 0) return notAModel(report, `protobuf cannot parse it: ${err.message}`);
    if (err instanceof ProtoError) {
      report.findings.push({ ruleId: 'onnx.malformed', severity: 'medium', verdict: 'unknown', message: `malformed ONNX protobuf: ${err.message}; findings before it are listed`, location: { offset: err.offset } });
    } else if (err instanceof ProtoLimit) {
      report.findings.push({ ruleId: 'onnx.limit', severity: 'medium', verdict: 'inconclusive', message: `${err.message}; the rest of the model was not analyzed`, location: { offset: err.offset } });
    } else {
      walk.finish();
      report.details = walk.details();
      throw err;
    }
  }
  walk.finish();
  report.details = walk.details();
}

export const onnxHandler: FormatHandler = {
  id: 'onnx',
  detect: (head, size, nameHint) => classifyProtoHead(head, size, nameHint) === 'onnx',
  scan: scanOnnx,
};
