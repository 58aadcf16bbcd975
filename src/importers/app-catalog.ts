/**
 * @module The Community App Catalog importer: reads an `assets.yaml` (../shared/app-catalog/
 * FORMAT.md) and makes each asset an active public artifact owned by the import project, acting
 * as the node itself (system actor). It makes no network request: download URLs and icons are
 * registered as external blob locations with their declared md5, never fetched.
 *
 * Assets have no version: each becomes version 1.0.0 of a name made from its display name
 * (`Example Linux 9 (cloud image)` → `example-linux-9-cloud-image`), the display name kept in
 * metadata `display_name` (which search weighs as much as the name). Re-running finds the same
 * artifacts by type, owner, name and version and updates what may still change (description,
 * tags, metadata, supported_by, release, bundle members); it never makes a second copy.
 *
 * `depends` becomes links: a bundle's members; a Murano package's `dependencies` when the named
 * asset is a Murano package too. Other types have no link field for it: the names are kept in
 * metadata `depends` and the report says so.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { fieldValue, type Artifact } from '../artifacts/artifact.js';
import type { ArtifactType } from '../artifacts/artifact-type.js';
import { setExternalBlob } from '../artifacts/blobs.js';
import type { OpContext } from '../artifacts/context.js';
import { createArtifact } from '../artifacts/create.js';
import { listArtifacts } from '../artifacts/read.js';
import type { TypeRegistry } from '../artifacts/registry.js';
import { activateArtifact, publishArtifact, updateArtifact } from '../artifacts/update.js';
import { parseVersion, versionKey } from '../artifacts/versions.js';
import { AppError, BadRequest } from '../errors.js';

export const IMPORT_VERSION = '1.0.0';

const KIND_TYPES = { glance: 'images', heat: 'heat_templates', murano: 'murano_packages', tosca: 'tosca_templates', bundle: 'bundles' } as const;
type Kind = keyof typeof KIND_TYPES;
const KINDS = Object.keys(KIND_TYPES) as [Kind, ...Kind[]];
/** The blob field an asset's download goes to, per type. */
const DOWNLOAD_FIELDS: Readonly<Record<string, string>> = { images: 'image', heat_templates: 'template', murano_packages: 'package', tosca_templates: 'template' };
/** Where the download URL is, by kind (attributes key). */
const URL_KEYS: Readonly<Record<Kind, readonly string[]>> = { glance: ['url'], heat: ['url'], murano: ['Package URL', 'url'], tosca: ['url', 'Package URL'], bundle: [] };

const Text = z.string().trim().min(1);
const HttpUrl = z.string().trim().regex(/^https?:\/\/\S+$/i, 'must be an http(s) URL');
const Person = z.object({ name: Text, href: z.string().trim().optional(), company: z.string().trim().optional() });
const Scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);

const Asset = z.object({
  name: Text.max(255),
  description: z.string(),
  provided_by: Person,
  supported_by: Person.optional(),
  license: Text,
  license_url: HttpUrl.optional(),
  service: z.looseObject({ type: z.enum(KINDS) }),
  tags: z.array(Scalar).optional(),
  release: z.array(Scalar).optional(),
  depends: z.array(z.object({ name: Text })).optional(),
  icon: z.looseObject({ url: HttpUrl }).optional(),
  hash: z.string().regex(/^[0-9a-fA-F]{32}$/, 'must be an md5 of 32 hex digits').optional(),
  hash_url: z.string().optional(),
  attributes: z.record(z.string(), Scalar.nullable()).optional(),
  cloud_user: z.string().optional(),
  active: z.boolean().optional(),
});
type Asset = z.infer<typeof Asset>;

export interface ImportedArtifact {
  name: string;
  type: string;
  id: string;
}

export interface ImportReport {
  created: ImportedArtifact[];
  updated: ImportedArtifact[];
  unchanged: ImportedArtifact[];
  /** Assets not imported, each with the reason. `index` counts from 0 in the file's list. */
  skipped: Array<{ index: number; name?: string; reason: string }>;
  /** Imported, but something of the asset could not be carried over. */
  warnings: Array<{ name: string; message: string }>;
}

export interface ImportOptions {
  types: TypeRegistry;
  /** Told after each asset. */
  onProgress?: (done: number, total: number) => void;
}

/** The artifact name an asset's display name becomes. */
export function artifactNameOf(displayName: string): string {
  const slug = displayName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return (slug || 'asset').slice(0, 255);
}

/** The raw list of assets, or BadRequest naming what is wrong with the file as a whole. */
export function readAssetsFile(text: string): unknown[] {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new BadRequest(`the assets file is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { assets?: unknown }).assets)) {
    throw new BadRequest('the assets file must be a mapping with a list under "assets"');
  }
  return (doc as { assets: unknown[] }).assets;
}

interface Planned {
  index: number;
  asset: Asset;
  kind: Kind;
  type: ArtifactType;
  name: string;
  values: Record<string, unknown>;
  download?: { field: string; url: string };
  artifact?: Artifact;
}

const describeIssues = (error: z.ZodError) => error.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ');
const reasonOf = (err: unknown) => (err instanceof AppError ? err.message : String(err));

export async function importAppCatalog(ctx: OpContext, text: string, opts: ImportOptions): Promise<ImportReport> {
  const raw = readAssetsFile(text);
  const report: ImportReport = { created: [], updated: [], unchanged: [], skipped: [], warnings: [] };
  const warn = (name: string, message: string) => report.warnings.push({ name, message });

  // 1. Read every asset; what cannot be read is skipped with the reason.
  const planned: Planned[] = [];
  const byDisplayName = new Map<string, Planned>();
  raw.forEach((item, index) => {
    const named = typeof item === 'object' && item !== null ? (item as { name?: unknown }).name : undefined;
    const skip = (reason: string) => report.skipped.push({ index, ...(typeof named === 'string' ? { name: named } : {}), reason });
    const parsed = Asset.safeParse(item);
    if (!parsed.success) return skip(`malformed: ${describeIssues(parsed.error)}`);
    const asset = parsed.data;
    if (asset.active === false) return skip('marked inactive (active: false)');
    if (byDisplayName.has(asset.name)) return skip(`another asset of the file is named "${asset.name}"`);
    const plan = planAsset(index, asset, opts.types.get(KIND_TYPES[asset.service.type]), (m) => warn(asset.name, m));
    if (typeof plan === 'string') return skip(plan);
    planned.push(plan);
    byDisplayName.set(asset.name, plan);
  });
  for (const plan of planned) keepUnlinkedDepends(plan, byDisplayName, (m) => warn(plan.asset.name, m));

  // 2. Find or create each artifact, and bring what may change up to date.
  const total = raw.length;
  let done = report.skipped.length;
  opts.onProgress?.(done, total);
  const fail = (plan: Planned, err: unknown) => {
    report.skipped.push({ index: plan.index, name: plan.asset.name, reason: reasonOf(err) });
    for (const list of [report.created, report.updated, report.unchanged]) {
      const at = list.findIndex((e) => e.id === plan.artifact?.id);
      if (at !== -1) list.splice(at, 1);
    }
    plan.artifact = undefined;
  };
  for (const plan of planned) {
    try {
      await upsert(ctx, plan, report);
    } catch (err) {
      fail(plan, err);
    }
  }

  // 3. Links between the artifacts, once they all exist; then downloads, activation, publication.
  for (const plan of planned) {
    if (plan.artifact) {
      try {
        await linkDepends(ctx, plan, byDisplayName);
        await finish(ctx, plan);
      } catch (err) {
        fail(plan, err);
      }
    }
    opts.onProgress?.(++done, total);
  }
  report.skipped.sort((a, b) => a.index - b.index);
  return report;
}

function planAsset(index: number, asset: Asset, type: ArtifactType, warn: (m: string) => void): Planned | string {
  const kind = asset.service.type;
  const attributes = Object.fromEntries(Object.entries(asset.attributes ?? {}).filter((e): e is [string, string] => e[1] !== null));
  const url = URL_KEYS[kind].map((k) => attributes[k]).find((u) => u !== undefined);
  const field = DOWNLOAD_FIELDS[type.name];
  if (field && type.fields.get(field)?.requiredOnActivate && !url) return `no download URL (attributes ${URL_KEYS[kind].join(' or ')}): a ${type.name} artifact needs its ${field}`;
  if (url !== undefined && !/^https?:\/\/\S+$/i.test(url)) return `the download URL "${url.slice(0, 100)}" is not an http(s) URL`;

  const metadata: Record<string, string> = { display_name: asset.name };
  const keep = (key: string, value: string | undefined) => {
    if (value === undefined || value === '') return;
    if (key.length > 255 || /[\s/]/.test(key) || value.length > 255) return warn(`metadata "${key.slice(0, 60)}" left out: keys are at most 255 characters without spaces or "/", values at most 255 characters`);
    metadata[key] = value;
  };
  for (const [k, v] of Object.entries(attributes)) keep(k.replace(/\s+/g, '_'), v);
  keep('cloud_user', asset.cloud_user);
  keep('hash_url', asset.hash_url);
  keep('source', 'community-app-catalog');

  const description = asset.description.trim();
  if (description.length > 4096) warn('description cut to 4096 characters');
  const values: Record<string, unknown> = {
    name: artifactNameOf(asset.name),
    version: IMPORT_VERSION,
    description: description.slice(0, 4096),
    tags: [...new Set((asset.tags ?? []).filter((t) => /^[^,/]+$/.test(t) && t.length <= 255))],
    provided_by: person(asset.provided_by),
    license: asset.license.slice(0, 255),
    release: [...new Set(asset.release ?? [])].slice(0, 64),
    metadata,
  };
  if (asset.supported_by) values.supported_by = person(asset.supported_by);
  if (asset.license_url) values.license_url = asset.license_url;

  const service = asset.service as Record<string, unknown>;
  const fromService = (from: string, to: string, ok: (v: unknown) => boolean) => {
    const v = service[from];
    if (v === undefined || v === null) return;
    if (ok(v)) values[to] = v;
    else warn(`service.${from} "${String(v).slice(0, 60)}" is not a value ${type.name}.${to} takes; left out`);
  };
  const allowed = (f: string) => (v: unknown) => (type.fields.get(f)?.validators.allowedValues ?? []).includes(v as string);
  const wholeNumber = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  const shortText = (v: unknown) => typeof v === 'string' && v.length <= 255;
  if (kind === 'glance') {
    fromService('container_format', 'container_format', allowed('container_format'));
    fromService('disk_format', 'disk_format', allowed('disk_format'));
    fromService('min_ram', 'min_ram', wholeNumber);
    fromService('min_disk', 'min_disk', wholeNumber);
  } else if (kind === 'murano') values.display_name = asset.name;
  else if (kind === 'tosca') fromService('template_format', 'template_format', shortText);
  else if (kind === 'bundle') fromService('murano_package_name', 'murano_package_name', shortText);
  else if (kind === 'heat') {
    const parameters = (service.environment as { parameters?: unknown } | undefined)?.parameters;
    if (parameters && typeof parameters === 'object') {
      values.default_envs = Object.fromEntries(Object.entries(parameters).filter(([, v]) => v !== null && typeof v !== 'object').map(([k, v]) => [k, String(v)]));
    }
  }
  return { index, asset, kind, type, name: values.name as string, values, ...(field && url ? { download: { field, url } } : {}) };
}

function person(p: z.infer<typeof Person>): Record<string, string> {
  return Object.fromEntries(Object.entries(p).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '').map(([k, v]) => [k, v.slice(0, 1024)]));
}

/** The artifact an earlier import made of this asset: same type, owner, name and version. */
async function findImported(ctx: OpContext, plan: Planned): Promise<Artifact | undefined> {
  const owner = ctx.actor.kind === 'system' ? (ctx.actor.projectId ?? '') : '';
  const field = (name: string) => plan.type.fields.get(name)!;
  const page = await listArtifacts(ctx, {
    type: plan.type,
    query: {
      filters: [
        { kind: 'compare', field: field('name'), op: 'eq', values: [plan.name] },
        { kind: 'compare', field: field('owner'), op: 'eq', values: [owner] },
        { kind: 'version', op: 'eq', keys: [versionKey(parseVersion(IMPORT_VERSION))] },
      ],
      latest: false,
      sort: [{ field: field('created_at'), direction: 'desc' }],
      limit: 1,
    },
    counts: { count: (_key, run) => run() },
    exactCountUpTo: 1,
  });
  return page.artifacts[0];
}

const sameValue = (a: unknown, b: unknown) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
function canonical(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (Array.isArray(v)) return v.map(canonical);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, x]) => [k, canonical(x)]));
  return v;
}

async function upsert(ctx: OpContext, plan: Planned, report: ImportReport): Promise<void> {
  const existing = await findImported(ctx, plan);
  const entry = () => ({ name: plan.name, type: plan.type.name, id: plan.artifact!.id });
  if (!existing) {
    plan.artifact = await createArtifact(ctx, { type: plan.type, values: plan.values });
    report.created.push(entry());
    return;
  }
  // Once active, only mutable fields change; the rest stay as the first import set them.
  const changed = Object.fromEntries(
    Object.entries(plan.values).filter(
      ([k, v]) => k !== 'name' && k !== 'version' && (existing.status !== 'active' || plan.type.fields.get(k)?.mutable === true) && !sameValue(fieldValue(plan.type, existing, k), v),
    ),
  );
  const changes = Object.keys(changed).length > 0;
  plan.artifact = changes ? await updateArtifact(ctx, { type: plan.type, id: existing.id, change: () => ({ values: changed }) }) : existing;
  (changes ? report.updated : report.unchanged).push(entry());
}

/** A `depends` entry becomes a link only where the type has a link field that takes its target. */
function linkable(plan: Planned, target: Planned): boolean {
  return plan.kind === 'bundle' || (plan.kind === 'murano' && target.kind === 'murano');
}

/** The `depends` names that cannot become links, kept in metadata `depends` (and reported). */
function keepUnlinkedDepends(plan: Planned, byDisplayName: ReadonlyMap<string, Planned>, warn: (m: string) => void): void {
  const unlinked: string[] = [];
  for (const { name } of plan.asset.depends ?? []) {
    const target = byDisplayName.get(name);
    if (!target) warn(`depends on "${name}", which is not in the file (or was skipped)`);
    else if (!linkable(plan, target)) warn(`depends on "${name}" (${target.type.name}): ${plan.type.name} has no link field for it; kept in metadata "depends"`);
    else continue;
    unlinked.push(name);
  }
  if (unlinked.length > 0) (plan.values.metadata as Record<string, string>).depends = unlinked.join(', ').slice(0, 255);
}

/** Links to the artifacts `depends` names, once they all exist: a bundle's members, a Murano package's dependencies. */
async function linkDepends(ctx: OpContext, plan: Planned, byDisplayName: ReadonlyMap<string, Planned>): Promise<void> {
  const targets = (plan.asset.depends ?? []).map(({ name }) => byDisplayName.get(name)).filter((t): t is Planned => t !== undefined && linkable(plan, t));
  const links = targets.flatMap((t) => (t.artifact ? [`/artifacts/${t.type.name}/${t.artifact.id}`] : []));
  if (links.length === 0) return;
  const field = plan.kind === 'bundle' ? 'members' : 'dependencies';
  const artifact = plan.artifact!;
  if (artifact.status === 'active' && plan.type.fields.get(field)?.mutable !== true) return;
  if (sameValue(fieldValue(plan.type, artifact, field), links)) return;
  plan.artifact = await updateArtifact(ctx, { type: plan.type, id: artifact.id, change: () => ({ values: { [field]: links } }) });
}

/** Registers the download and icon as external locations (not fetched), then activates and publishes. */
async function finish(ctx: OpContext, plan: Planned): Promise<void> {
  const has = (field: string) => plan.artifact!.blobs.some((b) => b.field === field);
  const writable = plan.artifact!.status === 'drafted';
  if (plan.download && writable && !has(plan.download.field)) {
    const md5 = plan.asset.hash?.toLowerCase() ?? null;
    plan.artifact = await setExternalBlob(ctx, { type: plan.type, id: plan.artifact!.id, field: plan.download.field, location: { url: plan.download.url, md5, sha1: null, sha256: null, size: null } });
  }
  if (plan.asset.icon && writable && !has('icon') && plan.type.fields.has('icon')) {
    plan.artifact = await setExternalBlob(ctx, { type: plan.type, id: plan.artifact!.id, field: 'icon', location: { url: plan.asset.icon.url, md5: null, sha1: null, sha256: null, size: null } });
  }
  if (plan.artifact!.status === 'drafted') plan.artifact = await activateArtifact(ctx, { type: plan.type, id: plan.artifact!.id });
  if (plan.artifact!.visibility !== 'public') plan.artifact = await publishArtifact(ctx, { type: plan.type, id: plan.artifact!.id });
}
