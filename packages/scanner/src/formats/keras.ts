/**
 * Keras model configs (`kerasConfigHandler`, and `analyzeKerasConfig` used by the HDF5 handler for a
 * legacy `.h5` file's `model_config` attribute).
 *
 * Keras instantiates every object in a config that has a `class_name`: layers, nested models
 * (Functional, Sequential, wrappers such as TimeDistributed/Bidirectional, whose inner `layer` is
 * again such an object), losses, metrics, initializers and functions. The analysis therefore walks
 * every value of the document, iteratively, and judges each such object:
 *
 * - `keras.lambda-layer` (unsafe, critical): a `Lambda` layer. Its `function` is marshalled Python
 *   bytecode or a reference to any importable function (CVE-2024-3660, CVE-2025-1550; CVE-2025-9905
 *   for `.h5`, where safe_mode is ignored; CVE-2025-9906 used a Lambda calling keras.models.load_model).
 * - `keras.lambda-function` (unsafe, critical): serialized bytecode elsewhere (`__lambda__` objects,
 *   `function_type: "lambda"`), e.g. as a Dense layer's activation.
 * - `keras.foreign-module` (unsafe for known-dangerous modules such as builtins/os/subprocess, else
 *   unknown): a `module`, dotted `class_name` or `registered_name` package outside Keras. Keras < 3.9
 *   imported any module named there (CVE-2025-1550); custom objects are code outside the model.
 * - `keras.function-reference` (unknown): a function reference inside Keras but outside its math
 *   modules (activations, losses, metrics, initializers, ops...), or without a module.
 * - `keras.dangerous-function` (unsafe): a reference to Keras' own gadgets (load_model, save_model...).
 * - `keras.tfsm-layer` (unsafe, high): `TFSMLayer` loads an external SavedModel.
 * - `keras.torch-module-wrapper` (unsafe, critical): restores a torch pickle (CVE-2025-49655).
 * - `keras.unsafe-flag` (unsafe, high): `enable_unsafe_deserialization`, `safe_mode_saving`,
 *   `safe_mode: false` anywhere in the config (CVE-2025-9906).
 * - `keras.remote-reference`: a reference to `get_file` (unsafe, CVE-2025-8747) or a URL string
 *   (unknown: a loader or layer that follows it fetches content from outside the model).
 * - `keras.malformed` (unknown): not JSON Python would read; `keras.limit` (inconclusive).
 */
import { createHash } from 'node:crypto';
import { type FormatHandler, LimitExceeded, type ScanContext } from '../context.js';
import type { ByteSource } from '../source.js';
import type { FileReport, Finding } from '../types.js';

// ---------------------------------------------------------------------------------------------
// JSON as Python reads it
// ---------------------------------------------------------------------------------------------
/*
 * JSON the way Python's `json.loads` reads it: bytes decoded like `json.detect_encoding` (UTF-8, UTF-8
 * with BOM, UTF-16/32 by BOM or NUL pattern); `NaN`/`Infinity`/`-Infinity` accepted; the last of
 * duplicate keys wins; iterative parsing with a budget on values; null-prototype objects.
 */

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at character ${offset}`);
    this.name = 'JsonSyntaxError';
  }
}

export class JsonBudgetError extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} JSON values`);
    this.name = 'JsonBudgetError';
  }
}

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export type JsonObject = { [key: string]: JsonValue };

/** Python's json.detect_encoding. */
export function detectJsonEncoding(b: Uint8Array): 'utf-8' | 'utf-8-sig' | 'utf-16le' | 'utf-16be' | 'utf-32le' | 'utf-32be' {
  const at = (i: number) => b[i] ?? -1;
  if (at(0) === 0x00 && at(1) === 0x00 && at(2) === 0xfe && at(3) === 0xff) return 'utf-32be';
  if (at(0) === 0xff && at(1) === 0xfe && at(2) === 0x00 && at(3) === 0x00) return 'utf-32le';
  if (at(0) === 0xfe && at(1) === 0xff) return 'utf-16be';
  if (at(0) === 0xff && at(1) === 0xfe) return 'utf-16le';
  if (at(0) === 0xef && at(1) === 0xbb && at(2) === 0xbf) return 'utf-8-sig';
  if (b.length >= 4) {
    if (at(0) === 0) return at(1) ? 'utf-16be' : 'utf-32be';
    if (at(1) === 0) return at(2) || at(3) ? 'utf-16le' : 'utf-32le';
  } else if (b.length === 2) {
    if (at(0) === 0) return 'utf-16be';
    if (at(1) === 0) return 'utf-16le';
  }
  return 'utf-8';
}

/** Decodes JSON bytes as Python does (lossy on invalid sequences: Python would refuse them; the caller decides). */
export function decodeJsonBytes(b: Buffer, opts: { fatal?: boolean } = {}): string {
  const enc = detectJsonEncoding(b);
  switch (enc) {
    case 'utf-8':
      return new TextDecoder('utf-8', { fatal: opts.fatal ?? false, ignoreBOM: true }).decode(b);
    case 'utf-8-sig':
      return new TextDecoder('utf-8', { fatal: opts.fatal ?? false, ignoreBOM: true }).decode(b.subarray(3));
    case 'utf-16le':
    case 'utf-16be': {
      // Python's 'utf-16' codec (BOM) and the explicit -le/-be ones all drop a leading BOM.
      const body = b.subarray(0, b.length - (b.length % 2));
      return new TextDecoder(enc, { fatal: opts.fatal ?? false }).decode(body);
    }
    default: {
      const le = enc === 'utf-32le';
      let s = '';
      const parts: string[] = [];
      for (let i = 0; i + 4 <= b.length; i += 4) {
        const cp = le ? b.readUInt32LE(i) : b.readUInt32BE(i);
        if (i === 0 && cp === 0xfeff) continue;
        s += cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? String.fromCodePoint(cp) : '\ufffd';
        if (s.length > 65536) {
          parts.push(s);
          s = '';
        }
      }
      parts.push(s);
      return parts.join('');
    }
  }
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** Parses a JSON text like Python's json.loads (see the module comment). */
export function parsePyJson(text: string, maxValues = 5_000_000): JsonValue {
  let i = 0;
  let values = 0;
  const n = text.length;
  const skipWs = () => {
    while (i < n && WS.has(text.charCodeAt(i))) i++;
  };
  const fail = (msg: string): never => {
    throw new JsonSyntaxError(msg, i);
  };
  const count = () => {
    if (++values > maxValues) throw new JsonBudgetError(maxValues);
  };

  const parseString = (): string => {
    // at the opening quote
    i++;
    let out = '';
    let start = i;
    for (;;) {
      if (i >= n) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(start, i);
        i++;
        return out;
      }
      if (c < 0x20) fail('control character in string');
      if (c === 0x5c) {
        out += text.slice(start, i);
        const e = text[i + 1];
        switch (e) {
          case '"':
            out += '"';
            break;
          case '\\':
            out += '\\';
            break;
          case '/':
            out += '/';
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'u': {
            const hex = text.slice(i + 2, i + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
            out += String.fromCharCode(parseInt(hex, 16));
            i += 4;
            break;
          }
          default:
            fail('bad escape');
        }
        i += 2;
        start = i;
        continue;
      }
      i++;
    }
  };

  const NUM = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/y;
  const parseScalar = (): JsonValue => {
    const c = text[i];
    if (c === '"') return parseString();
    if (text.startsWith('true', i)) return (i += 4), true;
    if (text.startsWith('false', i)) return (i += 5), false;
    if (text.startsWith('null', i)) return (i += 4), null;
    if (text.startsWith('NaN', i)) return (i += 3), NaN;
    if (text.startsWith('Infinity', i)) return (i += 8), Infinity;
    if (text.startsWith('-Infinity', i)) return (i += 9), -Infinity;
    NUM.lastIndex = i;
    const m = NUM.exec(text);
    if (!m) return fail('unexpected character');
    i += m[0].length;
    return Number(m[0]);
  };

  type Frame = { kind: 'arr'; v: JsonValue[] } | { kind: 'obj'; v: JsonObject; key: string | null };
  const stack: Frame[] = [];
  let result: JsonValue = null;
  let haveResult = false;

  const emit = (v: JsonValue) => {
    const top = stack[stack.length - 1];
    if (!top) {
      result = v;
      haveResult = true;
    } else if (top.kind === 'arr') top.v.push(v);
    else {
      top.v[top.key!] = v;
      top.key = null;
    }
  };

  skipWs();
  for (;;) {
    // Expect a value.
    skipWs();
    if (i >= n) fail('unexpected end of data');
    count();
    const c = text[i];
    let opened = false;
    if (c === '{') {
      i++;
      const obj = Object.create(null) as JsonObject;
      stack.push({ kind: 'obj', v: obj, key: null });
      skipWs();
      if (text[i] === '}') {
        i++;
        stack.pop();
        emit(obj);
      } else {
        if (text[i] !== '"') fail('expected a key');
        const top = stack[stack.length - 1] as { key: string | null };
        top.key = parseString();
        skipWs();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        opened = true;
      }
    } else if (c === '[') {
      i++;
      const arr: JsonValue[] = [];
      stack.push({ kind: 'arr', v: arr });
      skipWs();
      if (text[i] === ']') {
        i++;
        stack.pop();
        emit(arr);
      } else opened = true;
    } else {
      emit(parseScalar());
    }
    if (opened) continue;
    // After a value: close containers or move to the next element.
    for (;;) {
      const top = stack[stack.length - 1];
      if (!top) break;
      skipWs();
      const d = text[i];
      if (d === ',') {
        i++;
        if (top.kind === 'obj') {
          skipWs();
          if (text[i] !== '"') fail('expected a key');
          top.key = parseString();
          skipWs();
          if (text[i] !== ':') fail("expected ':'");
          i++;
        }
        break;
      }
      if ((top.kind === 'arr' && d === ']') || (top.kind === 'obj' && d === '}')) {
        i++;
        stack.pop();
        emit(top.v);
        continue;
      }
      fail(top.kind === 'arr' ? "expected ',' or ']'" : "expected ',' or '}'");
    }
    if (stack.length === 0 && haveResult) break;
  }
  skipWs();
  if (i < n) fail('extra data');
  return result;
}

// ---------------------------------------------------------------------------------------------
// Keras config analysis
// ---------------------------------------------------------------------------------------------

/** Package roots whose classes Keras resolves from its own registry (not arbitrary imports). */
const KERAS_ROOTS = new Set(['keras', 'tf_keras', 'keras_hub', 'keras_nlp', 'keras_cv', 'keras_rs']);
const KERAS_PREFIXES = ['tensorflow.keras', 'tensorflow.python.keras', 'tf.keras'];

/** Modules whose functions are plain tensor math when a config names them (activations, losses...). */
const SAFE_FUNCTION_MODULES = [
  'keras.activations',
  'keras.losses',
  'keras.metrics',
  'keras.initializers',
  'keras.regularizers',
  'keras.constraints',
  'keras.ops',
  'keras.backend',
  'keras.src.activations',
  'keras.src.losses',
  'keras.src.metrics',
  'keras.src.initializers',
  'keras.src.regularizers',
  'keras.src.constraints',
  'keras.src.ops',
  'tf_keras.activations',
  'tf_keras.losses',
  'tf_keras.metrics',
  'tensorflow.keras.activations',
  'tensorflow.keras.losses',
  'tensorflow.keras.metrics',
];

/**
 * Known-dangerous modules: a reference into them is `unsafe` (CVE-2025-1550 used `builtins`). Any
 * other module outside Keras is `unknown`: the allowlist decides safety, this list only severity.
 */
export const DANGEROUS_MODULE_ROOTS: ReadonlySet<string> = new Set([
  'builtins', '__builtin__', 'os', 'posix', 'nt', 'subprocess', 'sys', 'importlib', 'runpy', 'pty', 'socket',
  'shutil', 'pickle', '_pickle', 'cPickle', 'marshal', 'ctypes', 'code', 'codeop', 'types', 'functools', 'operator', 'io',
  '_io', 'pathlib', 'tempfile', 'webbrowser', 'urllib', 'urllib2', 'http', 'httplib', 'ftplib', 'smtplib', 'telnetlib',
  'requests', 'multiprocessing', 'threading', '_thread', 'signal', 'asyncio', 'pdb', 'bdb', 'timeit', 'profile',
  'cProfile', 'trace', 'doctest', 'pydoc', 'ensurepip', 'pip', 'setuptools', 'distutils', 'torch', 'pandas', 'joblib',
  'dill', 'cloudpickle', 'shelve', 'dbm', 'yaml', 'jinja2', 'commands', 'glob', 'zipfile', 'tarfile', 'inspect', 'gc',
  'sqlite3', 'platform', 'posixpath', 'ntpath', 'fileinput', 'linecache', 'zipimport', 'pkgutil', 'site', 'imp',
  'idlelib', 'lib2to3', 'uuid', 'logging', 'copyreg', 'copy_reg', 'numpy.f2py', 'numpy.distutils', 'numpy.testing',
]);

/** Callables inside Keras that turn a config into code execution, file writes or downloads. */
const KERAS_GADGETS: Record<string, { rule: string; why: string }> = {
  enable_unsafe_deserialization: { rule: 'keras.unsafe-flag', why: 'turns safe mode off for the rest of the load (CVE-2025-9906)' },
  set_global_attribute: { rule: 'keras.unsafe-flag', why: 'can switch safe mode off (CVE-2025-9906 chain)' },
  get_file: { rule: 'keras.remote-reference', why: 'downloads (and can extract) a remote file at load time (CVE-2025-8747)' },
  load_model: { rule: 'keras.dangerous-function', why: 'loads another model, possibly with safe_mode=False (CVE-2025-9906 chain)' },
  load_weights: { rule: 'keras.dangerous-function', why: 'reads an arbitrary file at load time' },
  func_load: { rule: 'keras.lambda-function', why: 'unmarshals Python bytecode' },
  deserialize_keras_object: { rule: 'keras.dangerous-function', why: 'deserializes a nested, attacker-controlled config' },
  save_model: { rule: 'keras.dangerous-function', why: 'writes a file at load time' },
  TFSMLayer: { rule: 'keras.tfsm-layer', why: 'loads an external TensorFlow SavedModel' },
};

const URL_RE = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//;

export interface KerasAnalysis {
  findings: Finding[];
  details: Record<string, unknown>;
}

export interface KerasOrigin {
  /** Where the JSON came from, prefixed to finding paths (e.g. `attrs.model_config`). */
  prefix?: string;
  checkTime?: () => void;
  /** Budget of JSON values walked; past it the analysis is inconclusive. */
  maxValues?: number;
  /**
   * The scan's allowlist (policy, `--allow module.Name`): a reference outside Keras that it lists as
   * safe is not reported. Known-dangerous modules are reported whatever it says.
   */
  allowed?: (module: string, name: string) => boolean;
}

function moduleRoot(m: string): string {
  return m.split('.')[0] ?? m;
}

function isKerasModule(m: string): boolean {
  return KERAS_ROOTS.has(moduleRoot(m)) || KERAS_PREFIXES.some((p) => m === p || m.startsWith(`${p}.`));
}

function isDangerousModule(m: string): boolean {
  const parts = m.split('.');
  for (let k = 1; k <= parts.length; k++) if (DANGEROUS_MODULE_ROOTS.has(parts.slice(0, k).join('.'))) return true;
  return false;
}

function str(v: JsonValue | undefined): string | null {
  return typeof v === 'string' ? v : null;
}

function isObj(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Describes what a Lambda's `function` entry runs. */
function describeLambdaFunction(cfg: JsonObject): string {
  const fn = cfg.function;
  const type = str(cfg.function_type);
  if (type === 'lambda') return 'marshalled Python bytecode (a serialized lambda)';
  if (isObj(fn)) {
    const cn = str(fn.class_name);
    if (cn === '__lambda__') return 'marshalled Python bytecode (a serialized lambda)';
    if (cn === 'function') return `the function ${str(fn.module) ?? '?'}.${str(fn.config) ?? '?'}`;
    return `an object of class ${cn ?? '?'}`;
  }
  if (Array.isArray(fn) || type === 'lambda') return 'marshalled Python bytecode (a serialized lambda)';
  if (typeof fn === 'string') return `the function ${str(cfg.module) ?? '?'}.${fn}`;
  return 'a function';
}

/**
 * Analyzes a Keras model config (Keras 3 `config.json` or legacy `model_config`). Walks every value
 * iteratively: nested models, wrappers and `layers` lists need no special casing, since any object
 * with a `class_name` is something Keras will instantiate.
 */
export function analyzeKerasConfig(root: JsonValue, origin: KerasOrigin = {}): KerasAnalysis {
  const findings: Finding[] = [];
  const prefix = origin.prefix ?? '';
  const maxValues = origin.maxValues ?? 5_000_000;
  const classes = new Map<string, number>();
  const functionRefs = new Set<string>();
  let layers = 0;
  let walked = 0;
  const seen = new Set<string>();
  const add = (ruleId: string, severity: Finding['severity'], verdict: Finding['verdict'], message: string, path: string) => {
    const key = `${ruleId}\0${path}\0${message}`;
    if (seen.has(key) || findings.length >= 500) return;
    seen.add(key);
    findings.push({ ruleId, severity, verdict, message, location: { path: path ? prefix + path : prefix ? prefix.replace(/\.$/, '') : '(root)' } });
  };

  const checkModule = (module: string, what: string, path: string, name: string) => {
    if (isKerasModule(module)) return;
    if (isDangerousModule(module)) add('keras.foreign-module', 'critical', 'unsafe', `${what} imports from module "${module}", a known-dangerous module outside Keras (CVE-2025-1550)`, path);
    else if (!origin.allowed?.(module, name)) add('keras.foreign-module', 'medium', 'unknown', `${what} imports from module "${module}", outside Keras; it cannot be proved safe (allow ${module}.${name} in policy if it is trusted)`, path);
  };

  const checkFunctionRef = (module: string | null, name: string, path: string) => {
    functionRefs.add(`${module ?? '?'}.${name}`);
    const gadget = Object.hasOwn(KERAS_GADGETS, name) ? KERAS_GADGETS[name] : undefined;
    if (gadget && (module === null || isKerasModule(module))) {
      add(gadget.rule, 'high', 'unsafe', `function reference ${module ?? '?'}.${name}: ${gadget.why}`, path);
      return;
    }
    if (module === null || module === '') {
      add('keras.function-reference', 'medium', 'unknown', `function reference "${name}" without a module; resolved from custom objects at load time`, path);
      return;
    }
    if (!isKerasModule(module)) {
      checkModule(module, `function reference ${module}.${name}`, path, name);
      return;
    }
    if (!SAFE_FUNCTION_MODULES.some((m) => module === m || module.startsWith(`${m}.`))) {
      add('keras.function-reference', 'medium', 'unknown', `function reference ${module}.${name} is not in Keras' math modules (activations, losses, metrics, ops...)`, path);
    }
  };

  /** Where a value sits relative to a Lambda layer: outside, in its config, or in its `function` value. */
  const OUT = 0;
  const LAMBDA_CONFIG = 2;
  const LAMBDA_FN = 3;
  type Item = { v: JsonValue; path: string; state: number; key: string };
  const stack: Item[] = [{ v: root, path: '', state: OUT, key: '' }];
  while (stack.length > 0) {
    const { v, path, state, key } = stack.pop()!;
    const inLambdaFn = state === LAMBDA_FN;
    if ((++walked & 0xfff) === 0) origin.checkTime?.();
    if (walked > maxValues) {
      add('keras.limit', 'medium', 'inconclusive', `config has more than ${maxValues} values; the rest was not analyzed`, path);
      break;
    }
    if (typeof v === 'string') {
      if (/enable_unsafe_deserialization|safe_mode_saving/.test(v)) add('keras.unsafe-flag', 'high', 'unsafe', `string ${JSON.stringify(v.slice(0, 200))} refers to switching Keras safe mode off (CVE-2025-9906)`, path);
      else if (URL_RE.test(v) && !inLambdaFn) add('keras.remote-reference', 'medium', 'unknown', `remote reference ${JSON.stringify(v.slice(0, 200))}; a loader that follows it fetches content from outside the model`, path);
      continue;
    }
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i]!, path: `${path}[${i}]`, state: state === LAMBDA_FN ? LAMBDA_FN : OUT, key });
      continue;
    }
    if (!isObj(v)) {
      if (v === false && key === 'safe_mode') add('keras.unsafe-flag', 'high', 'unsafe', 'safe_mode set to false inside the config (passed to a nested load; CVE-2025-9906)', path);
      continue;
    }
    let isLambda = false;
    const className = str(v.class_name);
    const module = str(v.module);
    const registered = str(v.registered_name);
    if (className !== null) {
      classes.set(className, (classes.get(className) ?? 0) + 1);
      const cfg = isObj(v.config) ? v.config : null;
      if (cfg && (Array.isArray(cfg.layers) || cfg.layer !== undefined)) layers += Array.isArray(cfg.layers) ? cfg.layers.length : 1;
      const bare = className.includes('.') ? className.slice(className.lastIndexOf('.') + 1) : className;
      const regBare = registered && registered.includes('>') ? registered.slice(registered.lastIndexOf('>') + 1) : registered;
      if (bare === 'Lambda' || regBare === 'Lambda') {
        add('keras.lambda-layer', 'critical', 'unsafe', `Lambda layer${cfg && str(cfg.name) ? ` "${str(cfg.name)}"` : ''} runs ${cfg ? describeLambdaFunction(cfg) : 'a function'} when the model is loaded or called (CVE-2024-3660, CVE-2025-1550, CVE-2025-9905)`, path);
        isLambda = true;
      } else if (bare === '__lambda__') {
        if (!inLambdaFn) add('keras.lambda-function', 'critical', 'unsafe', 'serialized Python lambda (marshalled bytecode) outside a Lambda layer; it runs when deserialized', path);
      } else if (bare === 'function') {
        const name = str(v.config) ?? '?';
        if (!inLambdaFn) checkFunctionRef(module, name, path);
        else functionRefs.add(`${module ?? '?'}.${name}`);
      } else if (bare === 'TFSMLayer' || regBare === 'TFSMLayer') {
        const fp = cfg ? str(cfg.filepath) : null;
        add('keras.tfsm-layer', 'high', 'unsafe', `TFSMLayer loads the TensorFlow SavedModel at ${JSON.stringify(fp ?? '?')}, whose graph may run arbitrary ops (CVE-2026-1462 class)`, path);
      } else if (bare === 'TorchModuleWrapper' || regBare === 'TorchModuleWrapper') {
        add('keras.torch-module-wrapper', 'critical', 'unsafe', 'TorchModuleWrapper restores a torch module with torch.load (a pickle) when deserialized (CVE-2025-49655)', path);
      } else if (Object.hasOwn(KERAS_GADGETS, bare)) {
        const g = KERAS_GADGETS[bare]!;
        add(g.rule, 'high', 'unsafe', `object of class ${className}: ${g.why}`, path);
      }
      if (className.includes('.') && bare !== className) checkModule(className.slice(0, className.lastIndexOf('.')), `class ${className}`, path, bare);
      if (module !== null && bare !== 'function' && module !== '') checkModule(module, `class ${className}`, path, bare);
      if (registered && registered.includes('>')) {
        const pkg = registered.slice(0, registered.indexOf('>'));
        if (!isKerasModule(pkg) && !(module !== null && !isKerasModule(module))) {
          checkModule(pkg, `custom object "${registered}"`, path, regBare ?? bare);
        }
      }
    }
    if (v.function_type === 'lambda' && state !== LAMBDA_CONFIG && !inLambdaFn) add('keras.lambda-function', 'critical', 'unsafe', 'function_type "lambda": marshalled Python bytecode outside a Lambda layer', path);
    const keys = Object.keys(v);
    for (let k = keys.length - 1; k >= 0; k--) {
      const name = keys[k]!;
      if (/enable_unsafe_deserialization|safe_mode_saving/.test(name)) add('keras.unsafe-flag', 'high', 'unsafe', `key "${name}" refers to switching Keras safe mode off (CVE-2025-9906)`, path);
      const child = v[name]!;
      let next = OUT;
      if (inLambdaFn) next = LAMBDA_FN;
      else if (isLambda) next = name === 'config' ? LAMBDA_CONFIG : OUT;
      else if (state === LAMBDA_CONFIG && (name === 'function' || name === 'module' || name === 'function_type')) next = LAMBDA_FN;
      stack.push({ v: child, path: path ? `${path}.${name}` : name, state: next, key: name });
    }
  }

  const top = isObj(root) ? root : null;
  const details: Record<string, unknown> = {
    modelClass: top ? str(top.class_name) : null,
    module: top ? str(top.module) : null,
    layers,
    classes: Object.fromEntries([...classes].sort((a, b) => b[1] - a[1]).slice(0, 100)),
  };
  if (functionRefs.size > 0) details.functionReferences = [...functionRefs].slice(0, 100);
  return { findings, details };
}

/** The scan allowlist as a Keras reference filter. */
export function allowedBy(ctx: ScanContext): (module: string, name: string) => boolean {
  return (module, name) => ctx.allowlist.classify(module, name).verdict === 'safe';
}

/** True for a JSON object that Keras would deserialize as a model/layer (it has a string class_name). */
export function looksLikeKerasConfig(v: JsonValue): boolean {
  return isObj(v) && typeof v.class_name === 'string';
}

/** Parses and analyzes a config JSON text; parse errors and limits become findings. */
export function analyzeKerasJsonText(text: string, origin: KerasOrigin = {}): KerasAnalysis & { parsed: boolean; keras: boolean } {
  let root: JsonValue;
  try {
    root = parsePyJson(text, origin.maxValues ?? 5_000_000);
  } catch (err) {
    const at = origin.prefix ? origin.prefix.replace(/\.$/, '') : undefined;
    if (err instanceof JsonBudgetError) {
      return { parsed: false, keras: true, details: {}, findings: [{ ruleId: 'keras.limit', severity: 'medium', verdict: 'inconclusive', message: `config JSON has ${err.message}; not analyzed`, ...(at ? { location: { path: at } } : {}) }] };
    }
    if (err instanceof JsonSyntaxError) {
      return { parsed: false, keras: CLASS_NAME_TEXT.test(text), details: {}, findings: [{ ruleId: 'keras.malformed', severity: 'medium', verdict: 'unknown', message: `config is not valid JSON (${err.message}); it cannot be analyzed`, ...(at ? { location: { path: at } } : {}) }] };
    }
    throw err;
  }
  if (!looksLikeKerasConfig(root)) return { parsed: true, keras: false, findings: [], details: {} };
  return { parsed: true, keras: true, ...analyzeKerasConfig(root, origin) };
}

// ---------------------------------------------------------------------------------------------
// The handler: JSON objects (Keras config.json inside a .keras zip, or loose)
// ---------------------------------------------------------------------------------------------

const UTF8_FATAL = new TextDecoder('utf-8', { fatal: true });

/** Does the head look like a JSON object in any encoding Python's json.loads accepts? */
export function looksLikeJsonObject(head: Buffer, size = head.length): boolean {
  if (head.length === 0) return false;
  const enc = detectJsonEncoding(head);
  let sample = head;
  if (enc === 'utf-8' || enc === 'utf-8-sig') {
    if (head.includes(0)) return false;
    // Valid UTF-8, allowing a character cut at the end of the head.
    let ok = false;
    for (let cut = 0; cut < 4 && cut <= head.length && !ok; cut++) {
      try {
        UTF8_FATAL.decode(head.subarray(0, head.length - cut));
        ok = true;
      } catch {
        // try a shorter prefix
      }
    }
    if (!ok) return false;
  }
  if (enc.startsWith('utf-32')) sample = sample.subarray(0, sample.length - (sample.length % 4));
  const text = decodeJsonBytes(sample);
  const t = text.replace(/^[\s\ufeff]+/, '');
  // Only whitespace so far in a longer file: json.loads skips any amount of it, so must we.
  if (t === '' && size > head.length && /^[ \t\n\r\ufeff]*$/.test(text)) return true;
  if (!t.startsWith('{')) return false;
  // After the brace: whitespace, then a key or the closing brace.
  return /^\{\s*(?:"|\}|$)/.test(t);
}

/**
 * `class_name` as it may appear in JSON text: each character literal or as a `\u00XX` escape
 * (`"class\u005fname"` is the same key to Python's json). Case-insensitive, so over-inclusive.
 */
export const CLASS_NAME_TEXT = new RegExp([...'class_name'].map((ch) => `(?:${ch}|\\\\u00${ch.charCodeAt(0).toString(16)})`).join(''), 'i');

/** Streams a (large, UTF-8) JSON document looking for `class_name` in any escaped form. */
async function mentionsClassName(source: ByteSource): Promise<boolean> {
  let tail = '';
  const dec = new TextDecoder('utf-8');
  for await (const chunk of source.chunks()) {
    const text = tail + dec.decode(chunk, { stream: true });
    if (CLASS_NAME_TEXT.test(text)) return true;
    tail = text.slice(-128);
  }
  return false;
}

/**
 * `json` handler for JSON objects, placed before the plain JSON handler. Keras' `config.json` (a
 * `.keras` archive member) and loose Keras model configs are analyzed; any other JSON object is plain
 * data, as for the plain JSON handler. It claims every JSON object, not only those whose first 4 KiB
 * show a `class_name`, because Keras ignores extra keys: padding before `class_name` must not turn a
 * config into unanalyzed data. JSON in UTF-16/32 (which Python's json.loads reads) is included.
 */
export const kerasConfigHandler: FormatHandler = {
  id: 'json',
  detect: (head, size) => looksLikeJsonObject(head, size),
  async scan(ctx: ScanContext, source: ByteSource, report: FileReport): Promise<void> {
    if (source.size > ctx.limits.maxTextBytes) {
      const enc = detectJsonEncoding(await source.read(0, 4));
      if (enc !== 'utf-8' && enc !== 'utf-8-sig') throw new LimitExceeded('maxTextBytes', `${enc} JSON document of ${source.size} bytes is larger than the ${ctx.limits.maxTextBytes}-byte limit`);
      if (await mentionsClassName(source)) {
        throw new LimitExceeded('maxTextBytes', `JSON document of ${source.size} bytes mentions class_name (a possible Keras config) and is larger than the ${ctx.limits.maxTextBytes}-byte limit`);
      }
      return;
    }
    const buf = await source.read(0, source.size);
    const sha = createHash('sha256').update(buf).digest('hex');
    report.sha256 = sha;
    const text = decodeJsonBytes(buf);
    // Keras needs a class_name key: JSON without one (in any escaped form) is plain data, not parsed.
    if (!CLASS_NAME_TEXT.test(text)) return;
    const res = analyzeKerasJsonText(text, { checkTime: () => ctx.checkTime(), allowed: allowedBy(ctx) });
    if (!res.keras) return;
    report.findings.push(...res.findings);
    const enc = detectJsonEncoding(buf);
    report.details = { kind: 'keras-config', ...res.details, ...(enc !== 'utf-8' ? { encoding: enc } : {}) };
  },
};
