/**
 * A checker for SPDX 3.0.1 JSON-LD documents built from the model itself: the Markdown files of
 * spdx/spdx-3-model (tag 3.0.1) in shared/vectors. It reads each class (parent, instantiability,
 * properties with type/minCount/maxCount, external property restrictions), each property (range),
 * each vocabulary (entries), datatype (pattern) and individual, then checks every node of a graph:
 * the class exists and is concrete, every property is defined on the class or a superclass, every
 * required property is present, cardinalities and value types hold, references resolve, and the
 * AI and Dataset profile conformance rules on licences hold.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MODEL_DIR = fileURLToPath(new URL('../../../../shared/vectors/spdx-3.0.1-model/', import.meta.url));
const PROFILES = ['Core', 'Software', 'AI', 'Dataset', 'SimpleLicensing', 'Build'];

interface PropertyUse {
  /** Qualified property name, e.g. /Core/name. */
  property: string;
  type: string | null;
  minCount: number | null;
  maxCount: number | null;
}
interface ClassDef {
  qname: string;
  profile: string;
  name: string;
  parent: string | null;
  abstract: boolean;
  properties: PropertyUse[];
  /** /Profile/Class/property -> counts that tighten an inherited property. */
  restrictions: { cls: string; property: string; minCount: number | null; maxCount: number | null }[];
}
interface PropertyDef {
  qname: string;
  range: string;
}
interface SpdxModel {
  classes: Map<string, ClassDef>;
  properties: Map<string, PropertyDef>;
  vocabularies: Map<string, Set<string>>;
  datatypes: Map<string, RegExp>;
  /** Compact JSON-LD names of individuals -> qualified class they instantiate. */
  individuals: Map<string, string>;
}

/** JSON-LD term of a class or property: unprefixed for Core, `profile_` otherwise (the 3.0.1 context). */
export function jsonLdTerm(qname: string): string {
  const [, profile, name] = qname.split('/') as [string, string, string];
  return profile === 'Core' ? name : `${profile.toLowerCase()}_${name}`;
}

/** `Name` in a profile's file means /Profile/Name; `/Core/Name` and `xsd:` types stay as they are. */
function qualify(ref: string, profile: string): string {
  return ref.startsWith('/') || ref.startsWith('xsd:') ? ref : `/${profile}/${ref}`;
}

/** `## Heading` -> lines until the next `## `. */
function sectionsOf(md: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const line of md.split('\n')) {
    const h = /^## (.+?)\s*$/.exec(line);
    if (h) {
      current = [];
      out.set(h[1]!, current);
    } else if (current) current.push(line);
  }
  return out;
}

function metadataOf(lines: string[] | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of lines ?? []) {
    const kv = /^- ([\w]+): ?(.*)$/.exec(line);
    if (kv) m.set(kv[1]!, kv[2]!.trim());
  }
  return m;
}

/** `- name` followed by `  - key: value` lines. */
function nestedList(lines: string[] | undefined): { name: string; attrs: Map<string, string> }[] {
  const out: { name: string; attrs: Map<string, string> }[] = [];
  for (const line of lines ?? []) {
    const top = /^- (\S+)\s*$/.exec(line);
    const attr = /^\s+- (\w+): (.+?)\s*$/.exec(line);
    if (top) out.push({ name: top[1]!, attrs: new Map() });
    else if (attr && out.length > 0) out[out.length - 1]!.attrs.set(attr[1]!, attr[2]!);
  }
  return out;
}

const count = (v: string | undefined): number | null => (v === undefined ? null : Number(v));

let cached: SpdxModel | undefined;

export function loadSpdxModel(): SpdxModel {
  if (cached) return cached;
  const model: SpdxModel = { classes: new Map(), properties: new Map(), vocabularies: new Map(), datatypes: new Map(), individuals: new Map() };
  const files = (profile: string, kind: string): [string, string][] => {
    const dir = path.join(MODEL_DIR, profile, kind);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => f.endsWith('.md') && !f.startsWith('_'))
      .map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]);
  };
  for (const profile of PROFILES) {
    for (const [, md] of files(profile, 'Classes')) {
      const s = sectionsOf(md);
      const meta = metadataOf(s.get('Metadata'));
      const name = meta.get('name')!;
      const sub = meta.get('SubclassOf');
      const cls: ClassDef = {
        qname: `/${profile}/${name}`,
        profile,
        name,
        parent: sub && sub !== 'none' ? qualify(sub, profile) : null,
        abstract: meta.get('Instantiability') === 'Abstract',
        properties: nestedList(s.get('Properties')).map(({ name: p, attrs }) => ({
          property: qualify(p, profile),
          type: attrs.has('type') ? qualify(attrs.get('type')!, profile) : null,
          minCount: count(attrs.get('minCount')),
          maxCount: count(attrs.get('maxCount')),
        })),
        restrictions: nestedList(s.get('External properties restrictions')).map(({ name: p, attrs }) => {
          const parts = p.split('/'); // ['', Profile, Class, property]
          return { cls: `/${parts[1]}/${parts[2]}`, property: `/${parts[1]}/${parts[3]}`, minCount: count(attrs.get('minCount')), maxCount: count(attrs.get('maxCount')) };
        }),
      };
      model.classes.set(cls.qname, cls);
    }
    for (const [, md] of files(profile, 'Properties')) {
      const meta = metadataOf(sectionsOf(md).get('Metadata'));
      const name = meta.get('name')!;
      const range = meta.get('Range')!;
      model.properties.set(`/${profile}/${name}`, { qname: `/${profile}/${name}`, range: qualify(range, profile) });
    }
    for (const [, md] of files(profile, 'Vocabularies')) {
      const s = sectionsOf(md);
      const name = metadataOf(s.get('Metadata')).get('name')!;
      const entries = new Set<string>();
      for (const line of s.get('Entries') ?? []) {
        const e = /^- (\w+):/.exec(line);
        if (e) entries.add(e[1]!);
      }
      model.vocabularies.set(`/${profile}/${name}`, entries);
    }
    for (const [, md] of files(profile, 'Datatypes')) {
      const s = sectionsOf(md);
      const name = metadataOf(s.get('Metadata')).get('name')!;
      const pattern = metadataOf(s.get('Format')).get('pattern');
      model.datatypes.set(`/${profile}/${name}`, new RegExp(pattern ?? '^[\\s\\S]*$'));
    }
    for (const [, md] of files(profile, 'Individuals')) {
      const meta = metadataOf(sectionsOf(md).get('Metadata'));
      const type = meta.get('type')!;
      // IndividualElement is not a class of its own in the files: an individual element is an Element.
      model.individuals.set(jsonLdTerm(`/${profile}/${meta.get('name')!}`), type === 'IndividualElement' ? '/Core/Element' : qualify(type, profile));
    }
  }
  // ExpandedLicensing is not among the shipped profiles, but its two licence individuals are how
  // SPDX 3 says "no assertion" / "none" for a licence; both are AnyLicenseInfo.
  model.individuals.set('expandedlicensing_NoAssertionLicense', '/SimpleLicensing/AnyLicenseInfo');
  model.individuals.set('expandedlicensing_NoneLicense', '/SimpleLicensing/AnyLicenseInfo');
  cached = model;
  return model;
}

function ancestry(model: SpdxModel, qname: string): ClassDef[] {
  const chain: ClassDef[] = [];
  for (let c = model.classes.get(qname); c; c = c.parent ? model.classes.get(c.parent) : undefined) chain.push(c);
  return chain;
}

function isSubclass(model: SpdxModel, qname: string, of: string): boolean {
  return ancestry(model, qname).some((c) => c.qname === of);
}

interface EffectiveProperty {
  property: string;
  term: string;
  range: string;
  minCount: number;
  maxCount: number | null;
  definedOn: string;
  /**
   * Whether JSON carries an array: decided by the defining class's maxCount, as in the SPDX JSON
   * schema; a subclass restriction (DatasetPackage's originatedBy maxCount 1) limits the count only.
   */
  list: boolean;
}

/** Properties of a class and its superclasses, with restrictions of the nearest class applied. */
export function effectiveProperties(model: SpdxModel, qname: string): Map<string, EffectiveProperty> {
  const chain = ancestry(model, qname);
  const out = new Map<string, EffectiveProperty>();
  for (const cls of [...chain].reverse()) {
    for (const use of cls.properties) {
      const def = model.properties.get(use.property);
      const range = use.type ?? def?.range;
      if (!range) throw new Error(`model: property ${use.property} of ${cls.qname} has no type`);
      out.set(jsonLdTerm(use.property), {
        property: use.property,
        term: jsonLdTerm(use.property),
        range,
        minCount: use.minCount ?? 0,
        maxCount: use.maxCount,
        definedOn: cls.qname,
        list: use.maxCount === null || use.maxCount > 1,
      });
    }
  }
  // Restrictions listed on subclasses override the inherited counts (nearest class wins).
  for (const cls of [...chain].reverse()) {
    for (const r of cls.restrictions) {
      const p = out.get(jsonLdTerm(r.property));
      if (!p) throw new Error(`model: ${cls.qname} restricts ${r.property}, which ${qname} does not have`);
      if (r.minCount !== null) p.minCount = r.minCount;
      if (r.maxCount !== null) p.maxCount = r.maxCount;
    }
  }
  return out;
}

const XSD: Record<string, (v: unknown) => boolean> = {
  'xsd:string': (v) => typeof v === 'string',
  'xsd:anyURI': (v) => typeof v === 'string' && /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(v),
  'xsd:boolean': (v) => typeof v === 'boolean',
  'xsd:decimal': (v) => typeof v === 'number' && Number.isFinite(v),
  'xsd:positiveInteger': (v) => Number.isInteger(v) && (v as number) > 0,
  'xsd:nonNegativeInteger': (v) => Number.isInteger(v) && (v as number) >= 0,
  'xsd:dateTimeStamp': (v) => typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(v),
};

export interface SpdxProblem {
  node: string;
  message: string;
}

/** Every problem in the document; an empty list means it conforms to the model. */
export function checkSpdxDocument(doc: unknown): SpdxProblem[] {
  const model = loadSpdxModel();
  const problems: SpdxProblem[] = [];
  const d = doc as { '@context'?: unknown; '@graph'?: unknown };
  if (d['@context'] !== 'https://spdx.org/rdf/3.0.1/spdx-context.jsonld') problems.push({ node: '(document)', message: '@context is not the SPDX 3.0.1 context' });
  if (!Array.isArray(d['@graph'])) return [...problems, { node: '(document)', message: '@graph is not an array' }];
  const graph = d['@graph'] as Record<string, unknown>[];

  const classByTerm = new Map<string, ClassDef>();
  for (const c of model.classes.values()) classByTerm.set(jsonLdTerm(c.qname), c);
  const byId = new Map<string, ClassDef>();
  for (const node of graph) {
    const nodeId = (node.spdxId ?? node['@id']) as string | undefined;
    const cls = classByTerm.get(String(node.type));
    if (!nodeId || !cls) continue;
    if (byId.has(nodeId)) problems.push({ node: nodeId, message: 'duplicate identifier' });
    byId.set(nodeId, cls);
  }

  const checkValue = (where: string, prop: EffectiveProperty, value: unknown): void => {
    const { range } = prop;
    const say = (message: string) => problems.push({ node: where, message: `${prop.term}: ${message}` });
    if (range.startsWith('xsd:')) {
      const check = XSD[range];
      if (!check) say(`no checker for ${range}`);
      else if (!check(value)) say(`${JSON.stringify(value)} is not an ${range}`);
      return;
    }
    const vocab = model.vocabularies.get(range);
    if (vocab) {
      if (typeof value !== 'string' || !vocab.has(value)) say(`${JSON.stringify(value)} is not an entry of ${range}`);
      return;
    }
    const datatype = model.datatypes.get(range);
    if (datatype) {
      if (typeof value !== 'string' || !datatype.test(value)) say(`${JSON.stringify(value)} does not match the ${range} pattern`);
      return;
    }
    const target = model.classes.get(range);
    if (!target) {
      say(`range ${range} is not in the model`);
      return;
    }
    if (typeof value === 'string') {
      // A reference: to a node of the graph, or to an individual the model defines.
      const cls = byId.get(value);
      const individual = model.individuals.get(value);
      if (cls) {
        if (!isSubclass(model, cls.qname, range)) say(`${value} is a ${cls.qname}, not a ${range}`);
      } else if (individual) {
        if (!isSubclass(model, individual, range) && individual !== '/Core/Element') say(`individual ${value} is not a ${range}`);
      } else {
        say(`reference ${value} resolves to nothing in the graph`);
      }
      return;
    }
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      checkNode(`${where}/${prop.term}`, value as Record<string, unknown>, range);
      return;
    }
    say(`${JSON.stringify(value)} is neither a reference nor an object`);
  };

  const checkNode = (where: string, node: Record<string, unknown>, expected: string | null): void => {
    const cls = classByTerm.get(String(node.type));
    if (!cls) {
      problems.push({ node: where, message: `type ${JSON.stringify(node.type)} is not a class of the model` });
      return;
    }
    if (cls.abstract) problems.push({ node: where, message: `${cls.qname} is abstract` });
    if (expected && !isSubclass(model, cls.qname, expected)) problems.push({ node: where, message: `${cls.qname} is not a ${expected}` });
    const props = effectiveProperties(model, cls.qname);
    for (const [key, value] of Object.entries(node)) {
      if (key === 'type' || (key === '@id' && !props.has('spdxId'))) continue;
      const prop = props.get(key);
      if (!prop) {
        problems.push({ node: where, message: `property ${key} is not defined on ${cls.qname} or its superclasses` });
        continue;
      }
      const many = prop.list;
      if (many && !Array.isArray(value)) {
        problems.push({ node: where, message: `${key}: must be an array (maxCount ${prop.maxCount ?? 'unbounded'})` });
        continue;
      }
      if (!many && Array.isArray(value)) {
        problems.push({ node: where, message: `${key}: must be a single value (maxCount 1 on ${prop.definedOn})` });
        continue;
      }
      const values = many ? (value as unknown[]) : [value];
      if (prop.maxCount !== null && values.length > prop.maxCount) problems.push({ node: where, message: `${key}: ${values.length} values, maxCount ${prop.maxCount}` });
      for (const v of values) checkValue(where, prop, v);
    }
    for (const prop of props.values()) {
      const v = node[prop.term];
      const n = v === undefined ? 0 : Array.isArray(v) ? v.length : 1;
      if (n < prop.minCount) problems.push({ node: where, message: `required ${prop.term} (${prop.definedOn}) has ${n} values, minCount ${prop.minCount}` });
    }
  };

  for (const node of graph) checkNode(String(node.spdxId ?? node['@id'] ?? node.type), node, null);

  // Profile conformance (AI.md, Dataset.md): exactly one declared and one concluded licence relationship per package.
  const documents = graph.filter((n) => n.type === 'SpdxDocument');
  const profiles = new Set(documents.flatMap((n) => (Array.isArray(n.profileConformance) ? (n.profileConformance as string[]) : [])));
  const licenceRule = (packageType: string, profile: string) => {
    if (!profiles.has(profile)) return;
    for (const pkg of graph.filter((n) => n.type === packageType)) {
      for (const rel of ['hasDeclaredLicense', 'hasConcludedLicense']) {
        const rels = graph.filter((n) => n.type === 'Relationship' && n.relationshipType === rel && n.from === pkg.spdxId);
        const targetsOk = rels.every((r) => (r.to as string[]).every((t) => {
          const cls = byId.get(t);
          const ind = model.individuals.get(t);
          return (cls && isSubclass(model, cls.qname, '/SimpleLicensing/AnyLicenseInfo')) || ind === '/SimpleLicensing/AnyLicenseInfo';
        }));
        if (rels.length !== 1 || !targetsOk) {
          problems.push({ node: String(pkg.spdxId), message: `${profile} profile: needs exactly one ${rel} relationship to an AnyLicenseInfo, found ${rels.length}` });
        }
      }
    }
  };
  licenceRule('ai_AIPackage', 'ai');
  licenceRule('dataset_DatasetPackage', 'dataset');
  return problems;
}
