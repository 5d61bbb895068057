/**
 * TensorFlow SavedModel (`tf-savedmodel` handler): `saved_model.pb`, a protobuf `SavedModel`
 * (`saved_model_schema_version` = 1, `meta_graphs` = 2). Recognized by structure (see
 * protobuf/detect.ts), never by name. Every NodeDef is checked, in each MetaGraphDef's
 * `graph_def.node` and in every `graph_def.library.function[].node_def` (tf.function bodies, which
 * TF2 SavedModels run through StatefulPartitionedCall). Tensor payloads are skipped by offset.
 *
 * Ops and why (a SavedModel's graph runs in the serving process with its privileges):
 * - `savedmodel.py-func` (unsafe, critical): PyFunc, PyFuncStateless, EagerPyFunc call a Python
 *   callable by token in the loading process (tf.py_function / tf.numpy_function).
 * - `savedmodel.file-access` (unsafe, high): ops that read or write host files or send data out:
 *   ReadFile, WriteFile, ImmutableConst (memory-maps a file), the file reader ops and file-reading
 *   datasets (TFRecord/TextLine/FixedLengthRecord/LMDB/SQL/CSV/LoadDataset), dataset and summary
 *   writers, Debug* ops (they send tensors to `debug_urls`: file:// or grpc://), and PrintV2 with a
 *   `file://` output stream. Reading /etc/passwd into an output tensor or overwriting a file needs
 *   nothing else.
 * - `savedmodel.file-listing` (unknown, medium): MatchingFiles and its datasets list host
 *   directories; alone they read no content, but they are reconnaissance with no place in a model.
 * - `savedmodel.hardcoded-checkpoint-path` (unsafe, high): Save/SaveV2/SaveSlices/Restore/RestoreV2/
 *   RestoreSlice/MergeV2Checkpoints whose path input is built only from constants. Every SavedModel
 *   has these ops for its variables, fed with the checkpoint prefix at load time (TF1: through the
 *   `saver_def.filename_tensor_name` feed, a Const the loader overrides; TF2: a function argument);
 *   they are not flagged then. A constant path reads or writes a file the model author chose.
 * - `savedmodel.malformed` (unknown), `savedmodel.limit` (inconclusive).
 * - tf.keras SavedModels keep each layer's Keras config as JSON: in `keras_metadata.pb` (its own
 *   handler below) or, in older ones, in `object_graph_def.nodes[].user_object.metadata`. The
 *   tf.keras loader revives layers from it (a Lambda's bytecode included), so that JSON goes
 *   through the Keras config analysis (formats/keras.ts: `keras.lambda-layer` etc.).
 * Not flagged: InitializeTableFromTextFile (vocabulary assets, path fed from the assets folder),
 * image/audio decoders, and ops of custom op libraries (a SavedModel that needs one fails to load
 * unless the user loads the library).
 */
import type { FormatHandler, ScanContext } from '../context.js';
import { classifyProtoHead } from '../protobuf/detect.js';
import { expectLen as len, type PbField, PbReader, ProtoError, ProtoLimit, visitFields, WIRE_LEN } from '../protobuf/reader.js';
import type { ByteSource } from '../source.js';
import { CappedFindings } from '../findings.js';
import type { FileReport, Finding } from '../types.js';
import { allowedBy, analyzeKerasJsonText } from './keras.js';

interface OpRule {
  rule: string;
  verdict: Finding['verdict'];
  severity: Finding['severity'];
  why: string;
}

const PY_FUNC: OpRule = { rule: 'savedmodel.py-func', verdict: 'unsafe', severity: 'critical', why: 'calls a Python function in the loading process' };
const READS: OpRule = { rule: 'savedmodel.file-access', verdict: 'unsafe', severity: 'high', why: 'reads files on the host' };
const WRITES: OpRule = { rule: 'savedmodel.file-access', verdict: 'unsafe', severity: 'high', why: 'writes files on the host' };
const DEBUG: OpRule = { rule: 'savedmodel.file-access', verdict: 'unsafe', severity: 'high', why: 'sends tensors to debug URLs (file:// or grpc://)' };
const LISTS: OpRule = { rule: 'savedmodel.file-listing', verdict: 'unknown', severity: 'medium', why: 'lists files on the host' };

export const DANGEROUS_TF_OPS: Readonly<Record<string, OpRule>> = {
  PyFunc: PY_FUNC,
  PyFuncStateless: PY_FUNC,
  EagerPyFunc: PY_FUNC,
  ReadFile: READS,
  ImmutableConst: { ...READS, why: 'memory-maps a file on the host' },
  WholeFileReader: READS,
  WholeFileReaderV2: READS,
  TextLineReader: READS,
  TextLineReaderV2: READS,
  FixedLengthRecordReader: READS,
  FixedLengthRecordReaderV2: READS,
  TFRecordReader: READS,
  TFRecordReaderV2: READS,
  LMDBReader: READS,
  TFRecordDataset: READS,
  TFRecordDatasetV2: READS,
  TextLineDataset: READS,
  FixedLengthRecordDataset: READS,
  FixedLengthRecordDatasetV2: READS,
  LMDBDataset: READS,
  ExperimentalLMDBDataset: READS,
  SqlDataset: READS,
  ExperimentalSqlDataset: READS,
  CSVDataset: READS,
  CSVDatasetV2: READS,
  ExperimentalCSVDataset: READS,
  LoadDataset: READS,
  WriteFile: WRITES,
  SaveDataset: WRITES,
  SaveDatasetV2: WRITES,
  DatasetToTFRecord: WRITES,
  ExperimentalDatasetToTFRecord: WRITES,
  CreateSummaryFileWriter: WRITES,
  CreateSummaryDbWriter: WRITES,
  DebugIdentity: DEBUG,
  DebugIdentityV2: DEBUG,
  DebugIdentityV3: DEBUG,
  DebugNanCount: DEBUG,
  DebugNumericSummary: DEBUG,
  DebugNumericSummaryV2: DEBUG,
  MatchingFiles: LISTS,
  MatchingFilesDataset: LISTS,
  ExperimentalMatchingFilesDataset: LISTS,
};

/** Checkpoint ops and which inputs are paths. */
const CHECKPOINT_OPS: Readonly<Record<string, number[]>> = {
  Save: [0],
  SaveV2: [0],
  SaveSlices: [0],
  Restore: [0],
  RestoreV2: [0],
  RestoreSlice: [0],
  MergeV2Checkpoints: [0, 1],
};

/** Ops a constant path may flow through unchanged. */
const PASS_THROUGH = new Set(['Identity', 'StringJoin', 'ShardedFilename', 'Snapshot', 'StopGradient']);

interface NodeInfo {
  name: string;
  /** Findings about this node, emitted once its path is final (function names may come after nodes). */
  pending: Finding[];
  op: string;
  inputs: string[];
  /** First string value of a Const node's `value` tensor, when small. */
  constString?: string;
  /** PrintV2 output_stream. */
  outputStream?: string;
  path: string;
  offset: number;
}

const MAX_FINDINGS_PER_RULE = 100;

class SavedModelWalk {
  nodes = 0;
  functions = 0;
  metaGraphs = 0;
  kerasObjects = 0;
  tags: string[][] = [];
  tfVersion = '';
  saverFilenameTensors = new Set<string>();
  opCounts = new Map<string, number>();
  private readonly fieldsSeen = { n: 0 };
  private readonly findings: CappedFindings;
  private pendingGraphs: { nodes: NodeInfo[]; inFunction: boolean }[] = [];

  constructor(
    readonly ctx: ScanContext,
    readonly report: FileReport,
  ) {
    this.findings = new CappedFindings(report.findings, MAX_FINDINGS_PER_RULE);
  }

  add(f: Finding): void {
    this.findings.add(f);
  }

  fields(r: PbReader, visit: (f: PbField) => Promise<void>): Promise<void> {
    return visitFields(r, visit, () => this.ctx.checkTime(), this.fieldsSeen);
  }

  async savedModel(r: PbReader): Promise<void> {
    await this.fields(r, async (f) => {
      if (f.num === 2) await this.metaGraph(r.sub(len(f, 'SavedModel.meta_graphs')), `meta_graphs[${this.metaGraphs++}]`);
    });
  }

  async metaGraph(r: PbReader, path: string): Promise<void> {
    const tags: string[] = [];
    let graphs = 0;
    await this.fields(r, async (f) => {
      switch (f.num) {
        case 1: {
          const m = r.sub(len(f, 'MetaGraphDef.meta_info_def'));
          await this.fields(m, async (g) => {
            if (g.num === 4 && g.wire === WIRE_LEN) tags.push(await m.string(g, 256));
            else if (g.num === 5 && g.wire === WIRE_LEN) this.tfVersion = await m.string(g, 64);
          });
          break;
        }
        case 2:
          await this.graphDef(r.sub(len(f, 'MetaGraphDef.graph_def')), `${path}.graph_def${graphs++ ? `#${graphs}` : ''}`);
          break;
        case 7:
          await this.objectGraph(r.sub(len(f, 'MetaGraphDef.object_graph_def')), `${path}.object_graph_def`);
          break;
        case 3: {
          const s = r.sub(len(f, 'MetaGraphDef.saver_def'));
          await this.fields(s, async (g) => {
            if (g.num === 1 && g.wire === WIRE_LEN) this.saverFilenameTensors.add(normalizeTensorName(await s.string(g, 1024)));
          });
          break;
        }
        default:
          break;
      }
    });
    this.tags.push(tags);
  }

  /** SavedObjectGraph.nodes[].user_object {identifier, metadata}: legacy tf.keras layer configs. */
  async objectGraph(r: PbReader, path: string): Promise<void> {
    let i = 0;
    await this.fields(r, async (f) => {
      if (f.num !== 1) return;
      const nodePath = `${path}.nodes[${i++}]`;
      const n = r.sub(len(f, 'SavedObjectGraph.nodes'));
      await this.fields(n, async (g) => {
        if (g.num !== 4) return;
        const u = n.sub(len(g, 'SavedObject.user_object'));
        let identifier = '';
        let metadata: PbField | null = null;
        await this.fields(u, async (h) => {
          if (h.num === 1 && h.wire === WIRE_LEN) identifier = await u.string(h, 256);
          else if (h.num === 3) metadata = len(h, 'SavedUserObject.metadata');
        });
        if (metadata) await this.kerasMetadata(u, metadata, identifier, `${nodePath}.user_object.metadata`);
      });
    });
  }

  /** Runs the Keras config analysis on a layer/model metadata JSON string. */
  async kerasMetadata(r: PbReader, field: PbField, identifier: string, path: string): Promise<void> {
    this.kerasObjects++;
    if (field.length > this.ctx.limits.maxTextBytes) {
      this.add({ ruleId: 'savedmodel.limit', severity: 'medium', verdict: 'inconclusive', message: `Keras metadata of ${field.length} bytes is over the text limit; not analyzed`, location: { path, offset: field.offset } });
      return;
    }
    const text = (await r.bytes(field, this.ctx.limits.maxTextBytes))?.toString('utf8') ?? '';
    if (text.trim() === '') return;
    const res = analyzeKerasJsonText(text, { prefix: `${path}.`, checkTime: () => this.ctx.checkTime(), allowed: allowedBy(this.ctx) });
    for (const f of res.findings) this.add({ ...f, location: { ...f.location, offset: field.offset } });
    void identifier;
  }

  async graphDef(r: PbReader, path: string): Promise<void> {
    const nodes: NodeInfo[] = [];
    let libs = 0;
    await this.fields(r, async (f) => {
      if (f.num === 1) {
        const n = await this.nodeDef(r.sub(len(f, 'GraphDef.node')), `${path}.node[${nodes.length}]`, f.tagOffset);
        this.emit(n);
        nodes.push(n);
      }
      else if (f.num === 2) await this.library(r.sub(len(f, 'GraphDef.library')), `${path}.library${libs++ ? `#${libs}` : ''}`);
    });
    this.pendingGraphs.push({ nodes, inFunction: false });
  }

  async library(r: PbReader, path: string): Promise<void> {
    let i = 0;
    await this.fields(r, async (f) => {
      if (f.num === 1) await this.functionDef(r.sub(len(f, 'FunctionDefLibrary.function')), `${path}.function[${i++}]`);
    });
  }

  async functionDef(r: PbReader, path: string): Promise<void> {
    this.functions++;
    let name = '';
    const nodes: NodeInfo[] = [];
    try {
      await this.fields(r, async (f) => {
        if (f.num === 1) {
          const s = r.sub(len(f, 'FunctionDef.signature'));
          await this.fields(s, async (g) => {
            if (g.num === 1 && g.wire === WIRE_LEN) name = await s.string(g, 512);
          });
        } else if (f.num === 3) nodes.push(await this.nodeDef(r.sub(len(f, 'FunctionDef.node_def')), `\0.node_def[${nodes.length}]`, f.tagOffset));
      });
    } finally {
      // Also on a parse error: what was seen is reported.
      const base = `${path}${name ? `(${name})` : ''}`;
      for (const n of nodes) {
        n.path = base + n.path.slice(1);
        this.emit(n);
      }
      this.pendingGraphs.push({ nodes, inFunction: true });
    }
  }

  async nodeDef(r: PbReader, path: string, offset: number): Promise<NodeInfo> {
    this.nodes++;
    const node: NodeInfo = { name: '', op: '', inputs: [], path, offset, pending: [] };
    await this.fields(r, async (f) => {
      switch (f.num) {
        case 1:
          node.name = await r.string(len(f, 'NodeDef.name'), 1024);
          break;
        case 2:
          node.op = await r.string(len(f, 'NodeDef.op'), 256);
          break;
        case 3:
          if (node.inputs.length < 8) node.inputs.push(await r.string(len(f, 'NodeDef.input'), 1024));
          break;
        case 5: {
          const e = r.sub(len(f, 'NodeDef.attr'));
          let key = '';
          let value: PbField | null = null;
          await this.fields(e, async (g) => {
            if (g.num === 1 && g.wire === WIRE_LEN) key = await e.string(g, 256);
            else if (g.num === 2) value = len(g, 'AttrValue');
          });
          if (value && (key === 'value' || key === 'output_stream') && (value as PbField).length <= 64 * 1024) {
            const s = await attrString(e.sub(value), key === 'value');
            if (s !== null) {
              if (key === 'value') node.constString = s;
              else node.outputStream = s;
            }
          }
          break;
        }
        default:
          break;
      }
    });
    this.opCounts.set(node.op, (this.opCounts.get(node.op) ?? 0) + 1);
    const rule = Object.hasOwn(DANGEROUS_TF_OPS, node.op) ? DANGEROUS_TF_OPS[node.op] : undefined;
    if (rule) {
      node.pending.push({ ruleId: rule.rule, severity: rule.severity, verdict: rule.verdict, message: `op ${node.op} (node "${node.name}") ${rule.why}`, location: { offset } });
    }
    if (node.op === 'PrintV2' && node.outputStream?.startsWith('file://')) {
      node.pending.push({ ruleId: 'savedmodel.file-access', severity: 'high', verdict: 'unsafe', message: `op PrintV2 (node "${node.name}") writes to ${JSON.stringify(node.outputStream)}`, location: { offset } });
    }
    return node;
  }

  /** Emits a node's findings with its final path. */
  emit(node: NodeInfo): void {
    for (const f of node.pending) this.add({ ...f, location: { path: node.path, ...f.location } });
    node.pending = [];
  }

  /** Checkpoint ops whose path is made only of constants (other than the saver's filename feed). */
  resolveCheckpoints(): void {
    for (const g of this.pendingGraphs) {
      const byName = new Map<string, NodeInfo>();
      for (const n of g.nodes) byName.set(n.name, n);
      for (const n of g.nodes) {
        const paths = Object.hasOwn(CHECKPOINT_OPS, n.op) ? CHECKPOINT_OPS[n.op]! : [];
        for (const i of paths) {
          const input = n.inputs[i];
          if (input === undefined) continue;
          const consts = constantSources(input, byName, g.inFunction, this.saverFilenameTensors);
          if (consts) {
            this.add({
              ruleId: 'savedmodel.hardcoded-checkpoint-path',
              severity: 'high',
              verdict: 'unsafe',
              message: `op ${n.op} (node "${n.name}") ${n.op.startsWith('Restore') ? 'reads' : 'writes'} a checkpoint at a constant path ${JSON.stringify(consts.join(''))}, not the prefix the loader feeds`,
              location: { path: n.path, offset: n.offset },
            });
          }
        }
      }
    }
    this.pendingGraphs = [];
  }

  /** Summaries for findings beyond the per-rule cap. */
  flushCaps(): void {
    this.findings.flush();
  }

  details(): Record<string, unknown> {
    const flagged = [...this.opCounts].filter(([op]) => Object.hasOwn(DANGEROUS_TF_OPS, op) || Object.hasOwn(CHECKPOINT_OPS, op));
    return {
      metaGraphs: this.metaGraphs,
      tags: this.tags,
      tensorflowVersion: this.tfVersion || undefined,
      nodes: this.nodes,
      functions: this.functions,
      distinctOps: this.opCounts.size,
      ...(this.kerasObjects ? { kerasObjects: this.kerasObjects } : {}),
      sensitiveOps: Object.fromEntries(flagged),
    };
  }
}

/** `name:0` / `^name` / `name:out:0` (function bodies) -> node name. */
function normalizeTensorName(t: string): string {
  return t.replace(/^\^/, '').split(':')[0] ?? t;
}

/**
 * When `input` is computed only from Const nodes (through pass-through ops), their string values;
 * null when any source is not a constant (a placeholder, a function argument, another op) or is the
 * saver's filename feed.
 */
function constantSources(input: string, byName: Map<string, NodeInfo>, inFunction: boolean, saverFeeds: Set<string>): string[] | null {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (inp: string, depth: number): boolean => {
    if (depth > 32 || inp.startsWith('^')) return false;
    const name = normalizeTensorName(inp);
    if (seen.has(name)) return false;
    seen.add(name);
    const n = byName.get(name);
    if (!n) return false; // a function argument or unknown producer: fed at run time
    if (!inFunction && saverFeeds.has(name)) return false;
    if (n.op === 'Const') {
      out.push(n.constString ?? '?');
      return true;
    }
    if (!PASS_THROUGH.has(n.op)) return false;
    const data = n.inputs.filter((x) => !x.startsWith('^'));
    if (data.length === 0) return false;
    return data.every((x) => visit(x, depth + 1));
  };
  return visit(input, 0) ? out : null;
}

/** AttrValue -> its string: `s` (2) directly, or for a Const's `tensor` (8) the first string_val (8). */
async function attrString(r: PbReader, tensor: boolean): Promise<string | null> {
  let out: string | null = null;
  for (let f = await r.next(); f; f = await r.next()) {
    if (!tensor && f.num === 2 && f.wire === WIRE_LEN) out = await r.string(f, 4096);
    if (tensor && f.num === 8 && f.wire === WIRE_LEN) {
      const t = r.sub(f);
      for (let g = await t.next(); g; g = await t.next()) {
        if (g.num === 8 && g.wire === WIRE_LEN) return t.string(g, 4096);
      }
    }
  }
  return out;
}


export async function scanSavedModel(ctx: ScanContext, source: ByteSource, report: FileReport): Promise<void> {
  const walk = new SavedModelWalk(ctx, report);
  try {
    const r = PbReader.open(source);
    await walk.savedModel(r);
    walk.resolveCheckpoints();
  } catch (err) {
    if (err instanceof ProtoError) {
      report.findings.push({ ruleId: 'savedmodel.malformed', severity: 'medium', verdict: 'unknown', message: `malformed SavedModel protobuf: ${err.message}; findings before it are listed`, location: { offset: err.offset } });
    } else if (err instanceof ProtoLimit) {
      report.findings.push({ ruleId: 'savedmodel.limit', severity: 'medium', verdict: 'inconclusive', message: `${err.message}; the rest was not analyzed`, location: { offset: err.offset } });
    } else {
      walk.resolveCheckpoints();
      walk.flushCaps();
      report.details = walk.details();
      throw err;
    }
    walk.resolveCheckpoints();
  }
  walk.flushCaps();
  report.details = walk.details();
}

export const savedModelHandler: FormatHandler = {
  id: 'tf-savedmodel',
  detect: (head, size, nameHint) => classifyProtoHead(head, size, nameHint) === 'savedmodel',
  scan: scanSavedModel,
};

/**
 * tf.keras `keras_metadata.pb` (SavedMetadata: nodes[] {node_id, node_path, identifier, metadata})
 * beside `saved_model.pb`: every node's metadata JSON goes through the Keras config analysis.
 */
export async function scanKerasMetadata(ctx: ScanContext, source: ByteSource, report: FileReport): Promise<void> {
  const walk = new SavedModelWalk(ctx, report);
  try {
    const r = PbReader.open(source);
    let i = 0;
    await walk.fields(r, async (f) => {
      if (f.num !== 1) return;
      const n = r.sub(len(f, 'SavedMetadata.nodes'));
      const base = `nodes[${i++}]`;
      let path = '';
      let identifier = '';
      let metadata: PbField | null = null;
      await walk.fields(n, async (g) => {
        if (g.num === 3 && g.wire === WIRE_LEN) path = await n.string(g, 256);
        else if (g.num === 4 && g.wire === WIRE_LEN) identifier = await n.string(g, 256);
        else if (g.num === 5) metadata = len(g, 'SavedObject.metadata');
      });
      if (metadata) await walk.kerasMetadata(n, metadata, identifier, `${base}${path ? `(${path})` : ''}.metadata`);
    });
  } catch (err) {
    if (err instanceof ProtoError) {
      report.findings.push({ ruleId: 'savedmodel.malformed', severity: 'medium', verdict: 'unknown', message: `malformed keras_metadata.pb: ${err.message}; findings before it are listed`, location: { offset: err.offset } });
    } else if (err instanceof ProtoLimit) {
      report.findings.push({ ruleId: 'savedmodel.limit', severity: 'medium', verdict: 'inconclusive', message: err.message, location: { offset: err.offset } });
    } else throw err;
  }
  walk.flushCaps();
  report.details = { kind: 'keras-metadata', kerasObjects: walk.kerasObjects };
}

export const kerasMetadataHandler: FormatHandler = {
  id: 'tf-savedmodel',
  detect: (head, size, nameHint) => classifyProtoHead(head, size, nameHint) === 'keras-metadata',
  scan: scanKerasMetadata,
};
