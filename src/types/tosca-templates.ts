/**
 * @module TOSCA templates (Glare's `tosca_templates`). An uploaded template is either a YAML
 * service template or a CSAR archive (a zip, read where it is stored with the same limits as a
 * Murano package) whose TOSCA-Metadata/TOSCA.meta names the entry template. The template must
 * state its tosca_definitions_version; that and the node types it defines or uses are stored.
 */
import { defineArtifactType, type HookContext } from '../artifacts/artifact-type.js';
import type { BlobInfo } from '../artifacts/artifact.js';
import { readBlobRange } from './bounded-read.js';
import { isMapping, parseMapping, readBlobText, sectionKeys, type Mapping } from './documents.js';
import { openZip } from './zip-archive.js';

const MAX_TEMPLATE_BYTES = 10 * 1024 * 1024;
const MAX_META_BYTES = 64 * 1024;
const ZIP_MAGIC = Buffer.from('PK\x03\x04', 'latin1');
const derived = { requiredOnActivate: false, system: true } as const;

export const toscaTemplates = defineArtifactType({
  name: 'tosca_templates',
  version: '1.0',
  displayName: 'TOSCA template',
  description: 'A TOSCA service template.',
  authorship: true,
  fields: {
    template_format: { kind: 'string', requiredOnActivate: false, sortable: true, description: 'TOSCA template format (e.g. tosca_simple_yaml_1_3).', validators: { maxLength: 255 } },
    template: { kind: 'blob', description: 'The template body: a YAML service template or a CSAR archive.', maxBlobSize: MAX_TEMPLATE_BYTES },
    node_types: { kind: 'string_list', ...derived, description: 'Node types the template defines or its node templates use.', validators: { maxItems: 1000, uniqueItems: true, maxLength: 255 } },
    entry_definitions: { kind: 'string', ...derived, description: "A CSAR's entry template (Entry-Definitions in TOSCA-Metadata/TOSCA.meta).", validators: { maxLength: 1024 } },
  },
  hooks: {
    async afterUpload(_artifact, blob, ctx) {
      if (blob.field !== 'template') return undefined;
      if ((await readBlobRange(ctx, blob, 0, ZIP_MAGIC.length)).equals(ZIP_MAGIC)) return readCsar(ctx, blob);
      const what = 'the template';
      return { ...summarise(ctx, parseMapping(ctx, await readBlobText(ctx, blob, MAX_TEMPLATE_BYTES, what), what), what), entry_definitions: null };
    },
  },
});

async function readCsar(ctx: HookContext, blob: BlobInfo) {
  const zip = await openZip(ctx, blob, 'the CSAR');
  try {
    const metaFile = 'TOSCA-Metadata/TOSCA.meta';
    if (!zip.has(metaFile)) ctx.refuse(`the CSAR has no ${metaFile}`);
    const meta = new Map<string, string>();
    for (const line of (await zip.readText(metaFile, MAX_META_BYTES)).split(/\r?\n/)) {
      const m = /^([A-Za-z0-9-]+):\s*(.*?)\s*$/.exec(line);
      if (m) meta.set(m[1]!, m[2]!);
    }
    const entry = meta.get('Entry-Definitions');
    if (!entry) ctx.refuse(`the CSAR's ${metaFile} names no Entry-Definitions`);
    if (!zip.has(entry)) ctx.refuse(`the CSAR's Entry-Definitions is ${entry.slice(0, 200)}, and the archive does not hold it`);
    return { ...summarise(ctx, parseMapping(ctx, await zip.readText(entry, MAX_TEMPLATE_BYTES), entry), entry), entry_definitions: entry };
  } finally {
    zip.close();
  }
}

/** The template's definitions version and node types; refused when it is no TOSCA template. */
function summarise(ctx: HookContext, doc: Mapping, what: string) {
  const version = doc.tosca_definitions_version;
  if (typeof version !== 'string' || version === '') ctx.refuse(`${what} is not a TOSCA template: it has no tosca_definitions_version`);
  const nodeTypes = new Set(sectionKeys(ctx, doc, 'node_types', what));
  const topology = doc.topology_template;
  if (topology !== undefined && topology !== null && !isMapping(topology)) ctx.refuse(`${what}: topology_template must be a mapping`);
  const templates = topology ? topology.node_templates : undefined;
  if (templates !== undefined && templates !== null && !isMapping(templates)) ctx.refuse(`${what}: topology_template.node_templates must be a mapping`);
  for (const [name, template] of Object.entries(templates ?? {})) {
    const type = isMapping(template) ? template.type : undefined;
    if (typeof type !== 'string' || type === '') ctx.refuse(`${what}: node template "${name.slice(0, 100)}" has no type`);
    nodeTypes.add(type);
  }
  return { template_format: version, node_types: [...nodeTypes].sort() };
}
