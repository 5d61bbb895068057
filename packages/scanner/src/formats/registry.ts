/**
 * Every format handler, in detection order. Content decides, never the name (a name only breaks a
 * tie between formats that both parse; see docs/scanner.md):
 * 1. magic numbers (archives, compressed streams, safetensors, GGUF, numpy, HDF5);
 * 2. pickles (torch legacy and joblib are pickles with a signature, so they come first);
 * 3. protobuf models (no magic; a structural parse decides, so before anything textual);
 * 4. JSON objects (tokenizer configs with chat templates, Keras configs), Jinja templates;
 * 5. plain JSON, Python source, text, and the catch-all `data` (which still probes for HDF5 user blocks).
 */
import type { FormatHandler } from '../context.js';
import { gzipHandler, unsupportedCompressionHandler, zlibHandler } from './gzip.js';
import { ggufHandler } from './gguf.js';
import { hdf5Handler } from './hdf5.js';
import { jinjaTemplateHandler } from './jinja-template.js';
import { joblibHandler } from './joblib.js';
import { kerasConfigHandler } from './keras.js';
import { numpyNpyHandler } from './numpy-npy.js';
import { onnxHandler } from './onnx.js';
import { pickleHandler } from './pickle.js';
import { dataHandler, jsonHandler, pythonSourceHandler, textHandler } from './plain.js';
import { safetensorsHandler } from './safetensors.js';
import { kerasMetadataHandler, savedModelHandler } from './savedmodel.js';
import { damagedTarHandler, tarHandler } from './tar.js';
import { tokenizerConfigHandler } from './tokenizer-config.js';
import { torchLegacyHandler } from './torch-legacy.js';
import { zipHandler } from './zip.js';

/**
 * Any JSON object may carry a chat template (its key can sit past the head) and any may be a Keras
 * config (Keras ignores extra keys), so one handler claims JSON objects and runs both analyses.
 */
export const jsonObjectHandler: FormatHandler = {
  id: 'json',
  detect: (head, size, name) => startsLikeJson(head) && (tokenizerConfigHandler.detect(head, size, name) || kerasConfigHandler.detect(head, size, name)),
  async scan(ctx, source, report) {
    await tokenizerConfigHandler.scan(ctx, source, report);
    // The tokenizer analysis relabels what it recognizes (configs, templates that look like JSON).
    if (report.format !== 'json') return;
    report.format = 'json';
    await kerasConfigHandler.scan(ctx, source, report);
  },
};

/**
 * Cheap pre-check before the JSON detectors: the first byte that is not whitespace, a byte-order
 * mark or a UTF-16/32 zero is `{`. Every binary head fails here in a few comparisons.
 */
function startsLikeJson(head: Buffer): boolean {
  for (const b of head) {
    if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x00 || b === 0xef || b === 0xbb || b === 0xbf || b === 0xfe || b === 0xff) continue;
    return b === 0x7b;
  }
  return head.length > 0;
}

export const HANDLERS: readonly FormatHandler[] = [
  zipHandler,
  // joblib's compressed pickles are zlib/gzip streams; it claims them before the generic inflaters.
  joblibHandler,
  gzipHandler,
  zlibHandler,
  unsupportedCompressionHandler,
  safetensorsHandler,
  ggufHandler,
  numpyNpyHandler,
  hdf5Handler,
  torchLegacyHandler,
  pickleHandler,
  // After the pickles: a file that is both a tar and a pickle is read the more dangerous way.
  tarHandler,
  damagedTarHandler,
  onnxHandler,
  savedModelHandler,
  kerasMetadataHandler,
  jsonObjectHandler,
  jinjaTemplateHandler,
  jsonHandler,
  pythonSourceHandler,
  textHandler,
  dataHandler,
];
