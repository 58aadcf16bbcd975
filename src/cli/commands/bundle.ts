/** @module `catalog bundle export|import`: an artifact and its dependency closure as one tar, streamed both ways. */
import type { CommandContext } from '../context.js';
import { bytes } from '../output.js';
import { receiveFile, sendFile } from '../transfer.js';
import { artifactPath } from './artifact.js';

export async function exportBundle(ctx: CommandContext, type: string, id: string, opts: { outputFile?: string }): Promise<void> {
  const client = ctx.client();
  const out = opts.outputFile ?? `${id}.tar`;
  const size = await receiveFile(client, client.url(`${artifactPath(type, id)}/export`), out, { label: 'exporting', progress: ctx.progress });
  if (out === '-') return;
  await ctx.print({ data: { path: out, size }, table: () => `saved ${out}: ${bytes(size)}\n`, quiet: () => [out] });
}

interface Imported {
  id: string;
  type_name: string;
  name: string;
  version: string;
  owner: string;
  created: boolean;
  signatures_verified: number;
}

export async function importBundle(ctx: CommandContext, file: string, opts: { keepOwner?: boolean }): Promise<void> {
  const client = ctx.client();
  const text = await sendFile(client, 'POST', client.url('/import', opts.keepOwner ? [['keep_owner', 'true']] : []), file, {
    headers: { 'content-type': 'application/x-tar' },
    label: 'importing',
    progress: ctx.progress,
  });
  const result = JSON.parse(text) as { root: Imported; artifacts: Imported[] };
  await ctx.print({
    data: result,
    table: () => ({
      columns: ['TYPE', 'NAME', 'VERSION', 'ID', 'OWNER', 'HERE', 'SIGNATURES'],
      rows: result.artifacts.map((a) => [a.type_name, a.name, a.version, a.id, a.owner, a.created ? 'created' : 'already here', String(a.signatures_verified)]),
    }),
    quiet: () => [result.root.id],
  });
}
