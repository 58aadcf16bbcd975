/** @module `catalog blob upload|download|delete`: streamed, checksummed, resumable transfers. */
import { basename } from 'node:path';
import type { CommandContext } from '../context.js';
import { bytes } from '../output.js';
import { blobOf, blobPath, downloadBlob, parseBlobName, uploadFile } from '../transfer.js';
import { printArtifact } from './artifact.js';

export async function upload(ctx: CommandContext, type: string, id: string, name: string, file: string, opts: { contentType?: string }): Promise<void> {
  const target = { type, id, ...parseBlobName(name) };
  const artifact = await uploadFile(ctx.client(), target, file, { contentType: opts.contentType, progress: ctx.progress });
  const blob = blobOf(artifact, target);
  await ctx.print({
    data: artifact,
    table: () => `uploaded ${file} into ${type}/${id} ${name}: ${bytes(blob?.size ?? 0)}, sha256 ${blob?.sha256 ?? '?'}\n`,
    quiet: () => [blob?.sha256 ?? ''],
  });
}

export async function download(ctx: CommandContext, type: string, id: string, name: string, opts: { output?: string }): Promise<void> {
  const parsed = parseBlobName(name);
  const out = opts.output ?? basename(parsed.key ?? parsed.field);
  const result = await downloadBlob(ctx.client(), { type, id, ...parsed }, out, { progress: ctx.progress, note: ctx.note });
  if (out === '-') return; // stdout carries the bytes: nothing else goes there
  if (!result.verified) ctx.note(`warning: the record holds no sha256 for ${name}; the bytes were not verified`);
  await ctx.print({
    data: { path: result.path, size: result.size, sha256: result.sha256, verified: result.verified, resumed_from: result.resumedFrom },
    table: () => `saved ${result.path}: ${bytes(result.size)}, sha256 ${result.sha256}${result.verified ? ' (verified)' : ''}\n`,
    quiet: () => [result.path],
  });
}

export async function remove(ctx: CommandContext, type: string, id: string, name: string): Promise<void> {
  await ctx.client().send('DELETE', blobPath({ type, id, ...parseBlobName(name) }));
  const artifact = await ctx.client().json('GET', `/artifacts/${encodeURIComponent(type)}/${encodeURIComponent(id)}`);
  ctx.note(`removed ${name} from ${type}/${id}`);
  await printArtifact(ctx, artifact);
}
