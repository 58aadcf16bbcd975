/**
 * @module Murano application packages (Glare's `murano_packages`). An uploaded package zip is
 * read where it is stored (zip-archive.ts: bounded, never extracted), and its manifest.yaml
 * fills the package's fields: display name, type, full name, description, author, tags,
 * categories, the classes it defines, and the packages it requires with their version ranges.
 */
import semver from 'semver';
import { defineArtifactType, type HookContext } from '../artifacts/artifact-type.js';
import type { Requirement } from '../dependencies/requirements.js';
import { BadRequest } from '../errors.js';
import { isMapping, parseMapping, type Mapping } from './documents.js';
import { openZip, type ZipArchive } from './zip-archive.js';

const optional = { requiredOnActivate: false } as const;
const MAX_MANIFEST_BYTES = 1024 * 1024;
/** A MuranoPL full name: dotted identifiers (io.murano.apps.Apache). */
const FULL_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

const MURANO_PACKAGES = 'murano_packages';

export const muranoPackages = defineArtifactType({
  name: MURANO_PACKAGES,
  version: '1.0',
  displayName: 'Murano package',
  description: 'A Murano application or library package.',
  authorship: true,
  fields: {
    package: { kind: 'blob', description: 'The package zip.', maxBlobSize: 100 * 1024 * 1024 },
    type: { kind: 'string', ...optional, sortable: true, default: 'Application', nullable: false, description: 'Package type.', validators: { allowedValues: ['Application', 'Library'] } },
    display_name: { kind: 'string', ...optional, mutable: true, sortable: true, description: 'Name shown to users.', validators: { maxLength: 255 } },
    full_name: { kind: 'string', ...optional, system: true, sortable: true, description: "The package's full name (FullName in its manifest).", validators: { maxLength: 255, pattern: FULL_NAME.source } },
    author: { kind: 'string', ...optional, system: true, sortable: true, description: 'Author as the manifest names it.', validators: { maxLength: 255 } },
    categories: { kind: 'string_list', ...optional, mutable: true, description: 'Categories the package belongs to.', validators: { maxItems: 255, uniqueItems: true, maxLength: 255 } },
    class_definitions: { kind: 'string_list', ...optional, description: 'MuranoPL classes the package defines.', validators: { maxItems: 255, uniqueItems: true, maxLength: 255 } },
    inherits: { kind: 'string_dict', ...optional, description: 'Parent classes of the defined classes.' },
    keywords: { kind: 'string_list', ...optional, mutable: true, description: 'Search keywords.', validators: { maxItems: 255, maxLength: 255 } },
    dependencies: { kind: 'link_list', linkType: 'murano_packages', ...optional, description: 'Other murano packages this one requires.', validators: { maxItems: 255, uniqueItems: true } },
  },
  hooks: {
    beforeActivate(artifact) {
      const classes = artifact.fields.class_definitions as string[] | undefined;
      if (artifact.fields.type === 'Library' && (!classes || classes.length === 0)) {
        throw new BadRequest('a Library package must define at least one class in class_definitions before activation');
      }
    },
    async afterUpload(artifact, blob, ctx) {
      if (blob.field !== 'package') return undefined;
      const zip = await openZip(ctx, blob, 'the package');
      try {
        if (!zip.has('manifest.yaml')) ctx.refuse('the package has no manifest.yaml at its root');
        const manifest = parseMapping(ctx, await zip.readText('manifest.yaml', MAX_MANIFEST_BYTES), 'manifest.yaml');
        const fields = fieldsFromManifest(ctx, manifest, zip);
        return { ...fields, tags: [...new Set([...artifact.tags, ...(fields.tags ?? [])])] };
      } finally {
        zip.close();
      }
    },
  },
});

function optionalString(ctx: HookContext, manifest: Mapping, key: string): string | undefined {
  const value = manifest[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') ctx.refuse(`manifest.yaml: ${key} must be a string`);
  return value;
}

function stringList(ctx: HookContext, manifest: Mapping, key: string): string[] | undefined {
  const value = manifest[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) ctx.refuse(`manifest.yaml: ${key} must be a list of strings`);
  return [...new Set(value as string[])];
}

function mapping(ctx: HookContext, manifest: Mapping, key: string): Mapping {
  const value = manifest[key];
  if (value === undefined || value === null) return {};
  if (!isMapping(value)) ctx.refuse(`manifest.yaml: ${key} must be a mapping`);
  return value;
}

/** The package's fields as its manifest states them; refused where the manifest is malformed. */
function fieldsFromManifest(ctx: HookContext, manifest: Mapping, zip: ZipArchive) {
  const fullName = optionalString(ctx, manifest, 'FullName');
  if (fullName === undefined) ctx.refuse('manifest.yaml has no FullName');
  if (!FULL_NAME.test(fullName)) ctx.refuse(`manifest.yaml: FullName "${fullName.slice(0, 100)}" must be dotted identifiers, e.g. io.murano.apps.Apache`);
  const type = optionalString(ctx, manifest, 'Type') ?? 'Application';
  if (type !== 'Application' && type !== 'Library') ctx.refuse(`manifest.yaml: Type must be Application or Library, not "${type.slice(0, 100)}"`);

  const classes = mapping(ctx, manifest, 'Classes');
  for (const [name, file] of Object.entries(classes)) {
    if (!FULL_NAME.test(name)) ctx.refuse(`manifest.yaml: class name "${name.slice(0, 100)}" must be dotted identifiers`);
    if (typeof file !== 'string') ctx.refuse(`manifest.yaml: the file of class ${name} must be a path`);
    if (!zip.has(`Classes/${file}`)) ctx.refuse(`manifest.yaml names Classes/${file.slice(0, 200)} for class ${name}, and the package does not hold it`);
  }

  // The manifest's Require becomes the generic `requires`: real requirements the resolver
  // follows, naming murano packages by their full name.
  const requires: Requirement[] = [];
  for (const [name, spec] of Object.entries(mapping(ctx, manifest, 'Require'))) {
    if (!FULL_NAME.test(name)) ctx.refuse(`manifest.yaml: required package "${name.slice(0, 100)}" must be a full name (dotted identifiers)`);
    requires.push({ type: MURANO_PACKAGES, name, range: versionRange(ctx, name, spec) });
  }

  const present = <T>(key: string, value: T | undefined) => (value === undefined ? {} : { [key]: value });
  return {
    full_name: fullName,
    type,
    ...present('display_name', optionalString(ctx, manifest, 'Name')),
    ...present('description', optionalString(ctx, manifest, 'Description')?.trim()),
    ...present('author', optionalString(ctx, manifest, 'Author')),
    ...present('categories', stringList(ctx, manifest, 'Categories')),
    class_definitions: Object.keys(classes),
    requires,
    tags: stringList(ctx, manifest, 'Tags'),
  };
}

/**
 * A Require entry's version spec as a semver range: none means any version; Murano writes
 * several constraints with commas (">=1.0.0,<2.0.0"), which semver writes with spaces.
 */
function versionRange(ctx: HookContext, name: string, spec: unknown): string {
  if (spec === null || spec === undefined || spec === '') return '*';
  if (typeof spec !== 'string' && typeof spec !== 'number') ctx.refuse(`manifest.yaml: the version of required package ${name} must be a version range`);
  const range = String(spec).split(',').map((s) => s.trim()).join(' ');
  const valid = semver.validRange(range);
  if (valid === null) ctx.refuse(`manifest.yaml: "${String(spec).slice(0, 100)}", the version of required package ${name}, is not a semver range`);
  return range;
}
