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

function parsesAsGraph(head: Buffer, f: HeadField, size: number): boolean {
  const end = Math.min(head.length, f.offset + f.length);
  const fields = collect(head, f.offset, end, f.offset + Math.min(f.length, size));
  if (!fields) return false;
  return fields.every((g) => GRAPH_FIELDS.has(g.num) && g.wire === WIRE_LEN);
}

function parsesAsOpset(head: Buffer, f: HeadField): boolean {
  if (f.cut) return true;
  const fields = collect(head, f.offset, f.offset + f.length, f.offset + f.length);
  return fields !== null && fields.every((g) => (g.num === 1 && g.wire === WIRE_LEN) || (g.num === 2 && g.wire === WIRE_VARINT));
}

/** Does a field-2 payload read as a MetaGraphDef? Returns 'graph' when a graph_def is seen. */
function metaGraphShape(head: Buffer, f: HeadField): 'no' | 'yes' | 'graph' {
  if (f.length === 0) return 'no';
  const end = Math.min(head.length, f.offset + f.length);
  const fields = collect(head, f.offset, end, f.offset + f.length);
  if (!fields || fields.length === 0) return 'no';
  if (!fields.every((g) => METAGRAPH_FIELDS.has(g.num) && g.wire === WIRE_LEN)) return 'no';
  return fields.some((g) => g.num === 2) ? 'graph' : 'yes';
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

/** Classifies the head of a file as an ONNX model, a SavedModel, tf.keras metadata, or neither. */
export function classifyProtoHead(head: Buffer, size: number, nameHint: string): ProtoModelKind | null {
  if (head.length === 0) return null;
  const first = head[0]!;
  // Cheap reject: the first tag must be a varint or LEN field with a small field number.
  if ((first & 7) !== WIRE_VARINT && (first & 7) !== WIRE_LEN) return null;
  const end = Math.min(head.length, size);
  const fields = collect(head, 0, end, size);
  if (!fields || fields.length === 0) return null;
  if (isKerasMetadata(head, fields)) return 'keras-metadata';
  const last = fields[fields.length - 1]!;
  const continues = last.cut || end < size;

  // SavedModel shape: fields 1 (varint) and 2 (MetaGraphDef) only.
  const onlyOneTwo = fields.every((f) => (f.num === 1 && f.wire === WIRE_VARINT) || (f.num === 2 && f.wire === WIRE_LEN));
  let meta: 'no' | 'yes' | 'graph' = 'no';
  if (onlyOneTwo) {
    for (const f of fields) {
      if (f.num !== 2) continue;
      const s = metaGraphShape(head, f);
      if (s === 'no') {
        meta = 'no';
        break;
      }
      if (meta !== 'graph') meta = s;
    }
  }

  // ONNX shape.
  let onnx = fields.every((f) => MODEL_FIELDS.get(f.num) === f.wire);
  let sawOnnxOnly = false;
  let sawGraph = false;
  if (onnx) {
    for (const f of fields) {
      if (f.num === 7) {
        if (!parsesAsGraph(head, f, size)) {
          onnx = false;
          break;
        }
        sawGraph = true;
      } else if (f.num === 8) {
        if (!parsesAsOpset(head, f)) {
          onnx = false;
          break;
        }
      }
      if (f.num !== 1 && f.num !== 2) sawOnnxOnly = true;
    }
    if (onnx && !sawGraph && !sawOnnxOnly && !continues) onnx = false;
    if (onnx && !sawGraph && !continues && !fields.some((f) => f.num === 8)) onnx = false;
  }

  if (onnx && sawOnnxOnly) return 'onnx';
  if (meta !== 'no' && !onnx) return 'savedmodel';
  if (meta !== 'no' && onnx) {
    // Both read: only fields 1 and 2, field 2 both a string and a MetaGraphDef. The name breaks the tie.
    const name = nameHint.toLowerCase();
    if (name.endsWith('.onnx') || name.endsWith('.ort')) return 'onnx';
    if (name.endsWith('.pb') || meta === 'graph') return 'savedmodel';
    return 'onnx';
  }
  return onnx ? 'onnx' : null;
}
