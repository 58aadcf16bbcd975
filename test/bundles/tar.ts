/** Reading and writing small tars in memory, so the bundle tests can look inside a bundle and tamper with it. */
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import type { Body } from '../support/json.js';

export interface TarEntry {
  name: string;
  data: Buffer;
}

export async function readTar(bytes: Buffer): Promise<TarEntry[]> {
  const extract = tar.extract();
  Readable.from([bytes]).pipe(extract);
  const entries: TarEntry[] = [];
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry as AsyncIterable<Buffer>) chunks.push(chunk);
    entries.push({ name: entry.header.name, data: Buffer.concat(chunks) });
  }
  return entries;
}

export async function writeTar(entries: readonly TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) pack.entry({ name: e.name, size: e.data.length }, e.data);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** A bundle's entries with `manifest` in place of its manifest (the first entry). */
export function withManifest(entries: readonly TarEntry[], manifest: unknown): TarEntry[] {
  return [{ name: 'manifest.json', data: Buffer.from(JSON.stringify(manifest)) }, ...entries.slice(1)];
}

/** A bundle's entries and its parsed manifest, to look at or tamper with. */
export async function openBundle(bytes: Buffer): Promise<{ entries: TarEntry[]; manifest: Body }> {
  const entries = await readTar(bytes);
  return { entries, manifest: JSON.parse(entries[0]!.data.toString()) };
}
