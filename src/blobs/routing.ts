/**
 * @module Which configured store holds each artifact type's blobs. Operators name stores in
 * node-config (`blobs.stores`), pick a default and override it per type (`blobs.type_stores`).
 */
import type { BlobStore } from './blob-store.js';

export interface NamedStore {
  name: string;
  store: BlobStore;
  /** Answer downloads with a redirect to a short-lived direct URL when the store offers one. */
  redirectDownloads: boolean;
}

export interface BlobStores {
  forType(typeName: string): NamedStore;
  /** The store a blob row names; throws when the operator removed it from the config. */
  byName(name: string): NamedStore;
  all(): readonly NamedStore[];
  close(): Promise<void>;
}

export function createBlobStores(stores: readonly NamedStore[], routing: { defaultStore: string; typeStores: Record<string, string> }): BlobStores {
  const byName = new Map(stores.map((s) => [s.name, s]));
  const resolve = (name: string, why: string): NamedStore => {
    const found = byName.get(name);
    if (!found) throw new Error(`${why} names blob store "${name}", which is not configured (stores: ${[...byName.keys()].join(', ')})`);
    return found;
  };
  const fallback = resolve(routing.defaultStore, 'blobs.default_store');
  const perType = new Map(Object.entries(routing.typeStores).map(([type, name]) => [type, resolve(name, `blobs.type_stores.${type}`)]));
  return {
    forType: (typeName) => perType.get(typeName) ?? fallback,
    byName: (name) => resolve(name, 'a stored blob'),
    all: () => stores,
    async close() {
      await Promise.all(stores.map((s) => s.store.close?.()));
    },
  };
}
