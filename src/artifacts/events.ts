/**
 * @module What happened to the catalog, told after it is committed. Verbs emit these; side
 * effects hang on them (forgetting remembered list counts today; download counters, search
 * indexing and federation notices later), never on URLs. A listener that throws is logged and
 * does not undo the change or stop other listeners.
 */
import type { Logger } from 'pino';
import type { ArtifactRef } from './artifact.js';

export type CatalogEvent =
  | { kind: 'artifact.created'; id: string; ref: ArtifactRef }
  | { kind: 'artifact.updated'; id: string; ref: ArtifactRef; changed: readonly string[] }
  | { kind: 'artifact.deleted'; id: string; ref: ArtifactRef }
  | { kind: 'blob.changed'; id: string; ref: ArtifactRef; field: string; key: string }
  | { kind: 'shares.changed'; id: string; ref: ArtifactRef }
  | { kind: 'quotas.changed'; projects: readonly string[] };

export type CatalogListener = (event: CatalogEvent) => void;

export interface CatalogEvents {
  /** Returns the function that removes the listener. */
  on(listener: CatalogListener): () => void;
  emit(event: CatalogEvent): void;
}

export function createCatalogEvents(log: Logger): CatalogEvents {
  const listeners = new Set<CatalogListener>();
  return {
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(event) {
      for (const listener of listeners) {
        try {
          listener(event);
        } catch (err) {
          log.error({ err, event: event.kind }, 'a catalog event listener failed');
        }
      }
    },
  };
}

/** Whether an event may change what a list of artifacts holds or counts. */
export function changesListings(event: CatalogEvent): boolean {
  return event.kind !== 'quotas.changed';
}
