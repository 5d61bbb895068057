/**
 * HDF5 files (`hdf5` handler): plain HDF5 data, or a legacy Keras model (`keras-h5`) when the root
 * group has a `model_config` attribute, which Keras' `.h5` loader deserializes with safe_mode ignored
 * (CVE-2025-9905). The config (and `training_config`, which the loader compiles with) goes through
 * the same analysis as a Keras 3 `config.json` (formats/keras.ts).
 *
 * Detected by the HDF5 signature at 0, 512, 1024 or 2048 (a user block before the superblock);
 * superblocks further in are found when the file is scanned, not at detection (the head is 4 KiB).
 *
 * Findings of its own:
 * - `hdf5.malformed` (unknown, medium): the root group cannot be read (offsets outside the file,
 *   bad signatures, unsupported versions). h5py would likely refuse the file too, but a parser
 *   differential must not read as safe, so it fails the default gate.
 * - `hdf5.unread-attributes` (unknown, medium): root attributes exist that could not be read
 *   (shared messages, dense storage whose objects could not all be enumerated), so the absence of
 *   a `model_config` cannot be proved.
 * - `hdf5.limit` is never emitted: a string over maxTextBytes raises LimitExceeded (inconclusive).
 * Plain HDF5 (no model_config) is `safe`: h5py reads arrays; nothing in it is executed.
 */
import type { FormatHandler, ScanContext } from '../context.js';
import { LimitExceeded } from '../context.js';
import { findSuperblock, type Hdf5Attribute, Hdf5Error, type Hdf5RootInfo, Hdf5TooLarge, hdf5SignatureInHead, readRootAttributes } from '../hdf5/reader.js';
import type { ByteSource } from '../source.js';
import type { FileReport } from '../types.js';
import { allowedBy, analyzeKerasConfig, analyzeKerasJsonText, JsonBudgetError, JsonSyntaxError, parsePyJson } from './keras.js';

/** Root attributes Keras' legacy loader deserializes. */
const KERAS_CONFIG_ATTRS = ['model_config', 'training_config'];

function attr(info: Hdf5RootInfo, name: string): Hdf5Attribute | undefined {
  // Several attributes of one name cannot be made by the HDF5 library; if present, check every one.
  return info.attributes.find((a) => a.name === name);
}

export async function scanHdf5(ctx: ScanContext, source: ByteSource, report: FileReport): Promise<void> {
  const head = await source.read(0, 4096);
  const sb = hdf5SignatureInHead(head) ?? (await findSuperblock(source));
  if (sb === null) {
    report.findings.push({ ruleId: 'hdf5.malformed', severity: 'medium', verdict: 'unknown', message: 'no HDF5 superblock found' });
    return;
  }
  let info: Hdf5RootInfo;
  try {
    info = await readRootAttributes(source, { superblockOffset: sb, maxStringBytes: ctx.limits.maxTextBytes, checkTime: () => ctx.checkTime() });
  } catch (err) {
    if (err instanceof Hdf5Error) {
      report.findings.push({ ruleId: 'hdf5.malformed', severity: 'medium', verdict: 'unknown', message: `cannot read the HDF5 root group: ${err.message}`, ...(err.offset !== undefined ? { location: { offset: err.offset } } : {}) });
      report.details = { superblockOffset: sb };
      return;
    }
    if (err instanceof Hdf5TooLarge) throw new LimitExceeded('maxTextBytes', `${err.message} exceeds the ${ctx.limits.maxTextBytes}-byte text limit`);
    throw err;
  }
  const details: Record<string, unknown> = {
    superblockVersion: info.superblockVersion,
    objectHeaderVersion: info.objectHeaderVersion,
    rootAttributes: info.attributes.map((a) => a.name),
  };
  if (sb > 0) details.userBlockBytes = sb;
  if (info.denseAttributes) details.denseAttributes = true;
  for (const k of ['keras_version', 'backend']) {
    const a = attr(info, k);
    if (a?.kind === 'string') details[k === 'keras_version' ? 'kerasVersion' : 'backend'] = a.value;
  }

  const modelConfig = info.attributes.filter((a) => a.name === 'model_config');
  if (modelConfig.length > 0) report.format = 'keras-h5';
  for (const name of KERAS_CONFIG_ATTRS) {
    for (const a of info.attributes.filter((x) => x.name === name)) {
      const path = `attrs.${name}`;
      if (a.kind !== 'string' || a.value === undefined) {
        report.findings.push({ ruleId: 'hdf5.unread-attributes', severity: 'medium', verdict: 'unknown', message: `root attribute ${name} could not be read as a string (${a.note ?? a.kind}); it cannot be analyzed`, location: { path, offset: a.offset } });
        continue;
      }
      if (name === 'model_config') {
        const res = analyzeKerasJsonText(a.value, { prefix: `${path}.`, checkTime: () => ctx.checkTime(), allowed: allowedBy(ctx) });
        report.findings.push(...res.findings);
        if (res.parsed && !res.keras) report.findings.push({ ruleId: 'keras.malformed', severity: 'medium', verdict: 'unknown', message: 'model_config is JSON but not a Keras model config (no class_name)', location: { path } });
        if (res.keras) details.keras = res.details;
      } else {
        // training_config is not itself a Keras object, but everything in it is deserialized.
        try {
          const v = parsePyJson(a.value);
          report.findings.push(...analyzeKerasConfig(v, { prefix: `${path}.`, checkTime: () => ctx.checkTime(), allowed: allowedBy(ctx) }).findings);
        } catch (err) {
          if (err instanceof JsonSyntaxError || err instanceof JsonBudgetError) {
            report.findings.push({ ruleId: 'keras.malformed', severity: 'medium', verdict: 'unknown', message: `training_config is not valid JSON (${err.message})`, location: { path } });
          } else throw err;
        }
      }
    }
  }
  // Attributes whose name could not be read (shared messages) or that dense storage hid: one of
  // them could be a model_config or training_config the loader would deserialize.
  const nameless = info.attributes.filter((a) => a.kind === 'unreadable' && a.name === '?');
  if (nameless.length > 0 || info.denseUnread !== 0) {
    const why = nameless.length > 0 ? `${nameless.length} root attribute(s) could not be read (${nameless[0]!.note ?? ''})` : info.denseUnread > 0 ? `${info.denseUnread} root attribute(s) in dense storage could not be enumerated` : 'root attributes in dense storage could not be counted';
    report.findings.push({ ruleId: 'hdf5.unread-attributes', severity: 'medium', verdict: 'unknown', message: `${why}; a Keras model_config or training_config among them cannot be ruled out` });
  }
  report.details = details;
}

export const hdf5Handler: FormatHandler = {
  id: 'hdf5',
  detect: (head) => hdf5SignatureInHead(head) !== null,
  scan: scanHdf5,
};
