/**
 * Content that is not a model format: JSON documents, text, Python source, and the catch-all
 * `data`. These handlers run after every model format had its chance to claim the bytes.
 */
import type { FormatHandler } from '../context.js';
import { findSuperblock } from '../hdf5/reader.js';
import { hdf5Handler } from './hdf5.js';
import { isText } from './jinja-template.js';

const PY_LINE = /^(?:from\s+[\w.]+\s+import\s|import\s+[\w.]+|def\s+\w+\s*\(|class\s+\w+\s*[(:]|@\w+|if\s+__name__\s*==)/m;

/** JSON objects and arrays (configs, vocabularies). Embedded templates are the template handler's job. */
export const jsonHandler: FormatHandler = {
  id: 'json',
  detect: (head) => {
    const t = head.toString('utf8').trimStart();
    return (t.startsWith('{') || t.startsWith('[')) && isText(head);
  },
  async scan() {
    // Plain data for every loader we know; nothing to execute.
  },
};

/**
 * Python source beside the weights runs when a loader trusts remote code (`trust_remote_code=True`
 * in transformers). It cannot be proved safe, so it is `unknown` and reviewed like code.
 */
export const pythonSourceHandler: FormatHandler = {
  id: 'python-source',
  // Content decides; among text files a `.py` name is enough (a tie-break, not a format claim).
  detect: (head, _size, name) => isText(head) && (name.endsWith('.py') || PY_LINE.test(head.toString('utf8'))),
  async scan(_ctx, _source, report) {
    report.findings.push({
      ruleId: 'code.python-source',
      severity: 'medium',
      verdict: 'unknown',
      message: 'Python source in the model; it runs when the model is loaded with trust_remote_code. Review it like code.',
    });
  },
};

export const textHandler: FormatHandler = {
  id: 'text',
  detect: (head) => isText(head),
  async scan() {
    // Text (model cards, vocabularies, licenses) is read, never executed, by model loaders.
  },
};

/** Catch-all: bytes no handler recognized. No known loader executes them as code. */
export const dataHandler: FormatHandler = {
  id: 'data',
  detect: () => true,
  async scan(ctx, source, report) {
    // HDF5 allows a user block before the superblock (512, 1024, 2048... bytes), beyond the head
    // the detectors see; h5py and Keras still open such a file, so look for it before giving up.
    if ((await findSuperblock(source)) !== null) {
      report.format = 'hdf5';
      return hdf5Handler.scan(ctx, source, report);
    }
    report.findings.push({
      ruleId: 'format.unrecognized',
      severity: 'info',
      verdict: 'safe',
      message: 'not a recognized model or archive format (and not a pickle); treated as opaque data',
    });
  },
};
