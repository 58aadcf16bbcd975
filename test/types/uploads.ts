/**
 * What the type-hook tests share: uploading a blob over HTTP, and checking that a refused
 * upload answered 400 with the problem named and kept nothing (no blob set, no new bytes in any store).
 */
import type { Readable } from 'node:stream';
import JSZip from 'jszip';
import { expect } from 'vitest';
import type { ByteRange } from '../../src/blobs/blob-store.js';
import type { TestNode } from '../support/node.js';

export async function storedLocators(node: TestNode): Promise<string[]> {
  const out: string[] = [];
  for (const named of node.deps.blobs.all()) for await (const o of named.store.list()) out.push(`${named.name}:${o.locator}`);
  return out.sort();
}

export function upload(node: TestNode, as: Record<string, string>, path: string, body: string | Uint8Array, contentType = 'application/octet-stream') {
  return node.request('PUT', path, { as, headers: { 'content-type': contentType }, body: body as RequestInit['body'] });
}

/** Uploads `body` into `field` of a fresh draft of `type`; expects 400 naming `problem`, and nothing kept. */
export async function expectRefused(
  node: TestNode,
  as: Record<string, string>,
  target: { type: string; field: string; create?: Record<string, unknown> },
  body: string | Uint8Array,
  problem: RegExp,
): Promise<void> {
  const created = await node.request('POST', `/artifacts/${target.type}`, { as, json: { name: `refused-${Math.random().toString(36).slice(2)}`, ...target.create } });
  expect(created.status).toBe(201);
  const { id } = await created.json();
  const before = await storedLocators(node);
  const res = await upload(node, as, `/artifacts/${target.type}/${id}/${target.field}`, body);
  const answer = await res.json();
  expect(res.status, JSON.stringify(answer)).toBe(400);
  expect(answer.explanation).toMatch(problem);
  const after = await (await node.request('GET', `/artifacts/${target.type}/${id}`, { as })).json();
  expect(after[target.field]).toBeNull();
  expect(await storedLocators(node)).toEqual(before);
}

/**
 * Runs `work` while recording every read of `type`'s blob store; answers how many bytes the
 * reads asked for (Infinity when one read a whole blob, without a range).
 */
export async function bytesReadDuring(node: TestNode, type: string, work: () => Promise<void>): Promise<number> {
  const store = node.deps.blobs.forType(type).store;
  const read = store.read.bind(store);
  let total = 0;
  store.read = (locator: string, opts?: { range?: ByteRange; signal?: AbortSignal }): Promise<Readable> => {
    total += opts?.range ? opts.range.end - opts.range.start + 1 : Infinity;
    return read(locator, opts);
  };
  try {
    await work();
  } finally {
    store.read = read;
  }
  return total;
}

/** A zip of `files` (path → content), built as an archiver would, paths kept exactly as given. */
export function zipOf(files: Record<string, string | Uint8Array>, compression: 'DEFLATE' | 'STORE' = 'DEFLATE'): Promise<Buffer> {
  const zip = new JSZip();
  for (const [name, content] of Object.entries(files)) zip.file(name, content, { createFolders: false });
  return zip.generateAsync({ type: 'nodebuffer', compression });
}

/** Uploads `body` into `field` of a fresh draft of `type`, expects 200, and answers the artifact as shown. */
export async function uploadedInto(node: TestNode, as: Record<string, string>, type: string, field: string, body: string | Uint8Array) {
  const created = await (await node.request('POST', `/artifacts/${type}`, { as, json: { name: `t-${Math.random().toString(36).slice(2)}` } })).json();
  const res = await upload(node, as, `/artifacts/${type}/${created.id}/${field}`, body);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await node.request('GET', `/artifacts/${type}/${created.id}`, { as })).json();
}
