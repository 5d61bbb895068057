/**
 * Content detection of the two protobuf model formats that carry no magic number: an ONNX
 * `ModelProto` and a TensorFlow `SavedModel` (`saved_model.pb`). Both start with field 1 as a
 * varint and field 2 as length-delimited, so the decision is made by parsing structure:
 *
 * - ONNX: every top-level field in the head is a ModelProto field with the right wire type, and
 *   either a `graph` (7) is seen whose head parses as a GraphProto, or another ONNX-only field is
 *   seen, or the head ends inside a field that continues in the file.
 * - SavedModel: only fields 1 (varint) and 2 (message), and field 2's head parses as a
 *   MetaGraphDef (fields 1..7, all messages). ONNX's field 2 is the `producer_name` string.
 * - A tie (a field 2 that reads both as a producer name and as a MetaGraphDef, no other field) is
 *   broken by the name: `.onnx` means ONNX, otherwise a MetaGraphDef with a graph_def wins.
 *
 * Random data fails fast: every byte of the head must be a consistent field of the right message.
 */
import { type HeadField, headFields, ProtoError, WIRE_LEN, WIRE_VARINT } from './reader.js';

export type ProtoModelKind = 'onnx' | 'savedmodel' | 'keras-metadata';

/** ModelProto field number -> wire type (onnx.proto, IR version 10). */
const MODEL_FIELDS = new Map<number, number>([
  [1, WIRE_VARINT], // ir_version
  [2, WIRE_LEN], // producer_name
  [3, WIRE_LEN], // producer_version
  [4, WIRE_LEN], // domain
  [5, WIRE_VARINT], // model_version
  [6, WIRE_LEN], // doc_string
  [7, WIRE_LEN], // graph
  [8, WIRE_LEN], // opset_import
  [14, WIRE_LEN], // metadata_props
  [20, WIRE_LEN], // training_info
  [25, WIRE_LEN], // functions
  [26, WIRE_LEN], // configuration
]);

/** GraphProto fields: all length-delimited. */
const GRAPH_FIELDS = new Set([1, 2, 5, 10, 11, 12, 13, 14, 15, 16]);

/** MetaGraphDef fields: meta_info_def, graph_def, saver_def, collection_def, signature_def, asset_file_def, object_graph_def. */
const METAGRAPH_FIELDS = new Set([1, 2, 3, 4, 5, 6, 7]);

function collect(buf: Buffer, start: number, end: number, logicalEnd: number): HeadField[] | null {
  try {
    return [...headFields(buf, start, end, logicalEnd, true)];
  } catch (err) {
    if (err instanceof ProtoError) return null;
    throw err;
  }
}

/**
 * Protobuf parsers skip fields they do not know (and known field numbers with another wire type),
 * so detection tolerates them too: a leading unknown field must not hide a model. Known fields
 * that are messages must parse as the message, or the loader would refuse the file.
 */

/** A GraphProto head: 'no' when it cannot be one, 'yes' when a known graph field is seen, 'weak' otherwise. */
function graphShape(head: Buffer, f: HeadField, size: number): 'no' | 'weak' | 'yes' {
  const end = Math.min(head.length, f.offset + f.length);
  const fields = collect(head, f.offset, end, f.offset + Math.min(f.length, size));
  if (!fields) return 'no';
  return fields.some((g) => GRAPH_FIELDS.has(g.num) && g.wire === WIRE_LEN) ? 'yes' : 'weak';
}

/** An OperatorSetIdProto: 'no', 'yes' (has a version), or 'weak'. */
function opsetShape(head: Buffer, f: HeadField): 'no' | 'weak' | 'yes' {
  if (f.cut) return 'weak';
  const fields = collect(head, f.offset, f.offset + f.length, f.offset + f.length);
  if (!fields) return 'no';
  return fields.some((g) => g.num === 2 && g.wire === WIRE_VARINT) ? 'yes' : 'weak';
}

/** Does a field-2 payload read as a MetaGraphDef? 'graph' when a graph_def is seen. */
function metaGraphShape(head: Buffer, f: HeadField): 'no' | 'yes' | 'graph' {
  if (f.length === 0) return 'no';
  const end = Math.min(head.length, f.offset + f.length);
  const fields = collect(head, f.offset, end, f.offset + f.length);
  if (!fields || fields.length === 0) return 'no';
  const known = fields.filter((g) => METAGRAPH_FIELDS.has(g.num) && g.wire === WIRE_LEN);
  if (known.length === 0) return 'no';
  return known.some((g) => g.num === 2) ? 'graph' : 'yes';
}

/** SavedObject (keras_metadata.pb) fields: node_id, node_path, identifier, metadata, version. */
const SAVED_OBJECT_FIELDS = new Map<number, number>([
  [2, WIRE_VARINT],
  [3, WIRE_LEN],
  [4, WIRE_LEN],
  [5, WIRE_LEN],
  [6, WIRE_LEN],
]);

/**
 * A tf.keras `keras_metadata.pb` (SavedMetadata: repeated SavedObject nodes = 1): every top-level
 * field is field 1, each payload reads as a SavedObject, and a `_tf_keras` identifier is seen.
 */
function isKerasMetadata(head: Buffer, fields: HeadField[]): boolean {
  if (!fields.every((f) => f.num === 1 && f.wire === WIRE_LEN)) return false;
  let sawIdentifier = false;
  for (const f of fields) {
    const end = Math.min(head.length, f.offset + f.length);
    const inner = collect(head, f.offset, end, f.offset + f.length);
    if (!inner) return false;
    for (const g of inner) {
      if (SAVED_OBJECT_FIELDS.get(g.num) !== g.wire) return false;
      if (g.num === 4 && head.subarray(g.offset, Math.min(end, g.offset + g.length)).toString('latin1').startsWith('_tf_keras')) sawIdentifier = true;
    }
  }
  return sawIdentifier;
}

let lastStrength: 'strong' | 'weak' = 'strong';

/** Whether the head shows a graph (or ir_version + opset_import), or only ModelProto-shaped fields. */
export function onnxEvidence(head: Buffer, size: number, nameHint: string): 'strong' | 'weak' | null {
  if (classifyProtoHead(head, size, nameHint) !== 'onnx') return null;
  return lastStrength;
}

/** Classifies the head of a file as an ONNX model, a SavedModel, tf.keras metadata, or neither. */
export function classifyProtoHead(head: Buffer, size: number, nameHint: string): ProtoModelKind | null {
  if (head.length === 0) return null;
  const first = head[0]!;
  // Cheap reject: the first tag's wire type (its low 3 bits) must open a field.
  if ((first & 7) === 4 || (first & 7) > 5) return null;
  const end = Math.min(head.length, size);
  const fields = collect(head, 0, end, size);
  if (!fields || fields.length === 0) return null;
  if (isKerasMetadata(head, fields)) return 'keras-metadata';
  const last = fields[fields.length - 1]!;
  const continues = last.cut || end < size;

  // ONNX: known ModelProto fields with their wire types; message fields must parse.
  let onnxPossible = true;
  let strict = true;
  let graph = false;
  let opset = false;
  let ir = false;
  let onnxOnly = false;
  for (const f of fields) {
    if (MODEL_FIELDS.get(f.num) !== f.wire) {
      strict = false; // skipped by the parser
      continue;
    }
    if (f.num === 1) ir = true;
    else if (f.num === 7) {
      const g = graphShape(head, f, size);
      if (g === 'no') onnxPossible = false;
      else if (g === 'yes') graph = true;
    } else if (f.num === 8) {
      const o = opsetShape(head, f);
      if (o === 'no') onnxPossible = false;
      else if (o === 'yes') opset = true;
    } else if (f.num !== 2) onnxOnly = true;
  }
  const strong = graph || (ir && opset);
  // Weak: only ModelProto fields, the head ends inside one (a huge doc string or name first). The
  // handler then lets the full parse decide (a file protobuf cannot parse is no model at all).
  const onnx = onnxPossible && (strong || (strict && continues && (ir || onnxOnly)));
  lastStrength = strong ? 'strong' : 'weak';

  // SavedModel: field 2 messages must parse as MetaGraphDef; at least one must show its fields.
  let smPossible = true;
  let meta: 'no' | 'yes' | 'graph' = 'no';
  for (const f of fields) {
    if (f.num !== 2 || f.wire !== WIRE_LEN) continue;
    const s = metaGraphShape(head, f);
    if (s === 'no') {
      smPossible = false;
      break;
    }
    if (meta !== 'graph') meta = s;
  }
  const savedModel = smPossible && meta !== 'no';

  if (onnx && !savedModel) return 'onnx';
  if (savedModel && !onnx) return 'savedmodel';
  if (onnx && savedModel) {
    // Both parse: field 2 reads as a producer name and as a MetaGraphDef. The name breaks the tie.
    const name = nameHint.toLowerCase();
    if (name.endsWith('.onnx') || name.endsWith('.ort')) return 'onnx';
    if (name.endsWith('.pb')) return 'savedmodel';
    if (graph) return 'onnx';
    return meta === 'graph' ? 'savedmodel' : 'onnx';
  }
  return null;
}
