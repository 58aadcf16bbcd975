/**
 * @module `catalog artifact create -f artifact.yaml`: one file lists an artifact's type, fields,
 * tags, requirements and the local files to upload into its blobs; one command creates it,
 * uploads every file (checksummed), and activates or publishes it. A draft left half-made by a
 * failure is deleted, so the same command can simply be run again.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { assignmentsToObject } from './assignments.js';
import { artifactPath, lifecycleOps, type Artifact } from './commands/artifact.js';
import type { CommandContext } from './context.js';
import { usageError } from './exit.js';
import { uploadFile } from './transfer.js';

const BlobFile = z.union([z.string().min(1), z.object({ file: z.string().min(1), content_type: z.string().optional() }).strict()]);

export const Manifest = z
  .object({
    type: z.string().min(1).optional(),
    name: z.string().min(1),
    version: z.string().optional(),
    /** Other fields of the artifact (generic or type-specific), as the node's schema names them. */
    fields: z.record(z.string(), z.unknown()).optional(),
    /** Local files for blob fields: `field: path`, or `field: {key: path}` for a blob dict. */
    blobs: z.record(z.string(), z.union([BlobFile, z.record(z.string(), BlobFile)])).optional(),
    activate: z.boolean().optional(),
    publish: z.boolean().optional(),
  })
  // Any other key (description, tags, metadata, requirements, license...) is an artifact field too.
  .catchall(z.unknown());
export type Manifest = z.infer<typeof Manifest>;

interface Upload {
  field: string;
  key?: string;
  file: string;
  contentType?: string;
}

export function readManifest(path: string): { manifest: Manifest; uploads: Upload[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw usageError(`cannot read the manifest ${path}`);
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw usageError(`${path} is not YAML or JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  const parsed = Manifest.safeParse(raw);
  if (!parsed.success) {
    throw usageError(`${path}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'the file'}: ${i.message}`).join('; ')}`);
  }
  const base = dirname(resolve(path));
  const uploads: Upload[] = [];
  const add = (field: string, key: string | undefined, f: z.infer<typeof BlobFile>) => {
    const spec = typeof f === 'string' ? { file: f } : f;
    const file = resolve(base, spec.file);
    let ok: boolean;
    try {
      ok = statSync(file).isFile();
    } catch {
      ok = false;
    }
    if (!ok) throw usageError(`${path}: blobs.${field}${key ? `.${key}` : ''} names ${spec.file}, which is not a readable file`);
    uploads.push({ field, ...(key !== undefined ? { key } : {}), file, ...(spec.content_type ? { contentType: spec.content_type } : {}) });
  };
  for (const [field, value] of Object.entries(parsed.data.blobs ?? {})) {
    if (typeof value === 'string' || 'file' in value) add(field, undefined, value as z.infer<typeof BlobFile>);
    else for (const [key, f] of Object.entries(value)) add(field, key, f);
  }
  return { manifest: parsed.data, uploads };
}

export async function publishManifest(
  ctx: CommandContext,
  path: string,
  over: { type?: string; assignments: string[]; activate?: boolean; publish?: boolean },
): Promise<Artifact> {
  const { manifest, uploads } = readManifest(path);
  const type = over.type ?? manifest.type;
  if (!type) throw usageError(`${path} names no type: add "type: <type>" or give it on the command line`);
  const { type: _t, fields, blobs: _b, activate, publish, ...generic } = manifest;
  const body = assignmentsToObject(over.assignments, { ...generic, ...fields });
  const client = ctx.client();
  const created = await client.json<Artifact>('POST', artifactPath(type), { json: body });
  const id = String(created.id);
  ctx.note(`created ${type}/${id}`);
  try {
    let artifact = created;
    for (const u of uploads) {
      const name = u.key === undefined ? u.field : `${u.field}/${u.key}`;
      ctx.note(`uploading ${u.file} into ${name}`);
      artifact = await uploadFile(client, { type, id, field: u.field, ...(u.key !== undefined ? { key: u.key } : {}) }, u.file, { contentType: u.contentType, progress: ctx.progress });
    }
    const wantPublish = over.publish ?? publish;
    const ops = lifecycleOps({ activate: over.activate ?? activate ?? wantPublish, publish: wantPublish });
    if (ops.length > 0) artifact = await client.json<Artifact>('PATCH', artifactPath(type, id), { patch: ops });
    return artifact;
  } catch (err) {
    await client.send('DELETE', artifactPath(type, id)).then(
      () => ctx.note(`deleted the draft ${type}/${id} again, as it could not be completed`),
      () => ctx.note(`the draft ${type}/${id} is left behind: delete it with \`catalog artifact delete ${type} ${id}\``),
    );
    throw err;
  }
}
