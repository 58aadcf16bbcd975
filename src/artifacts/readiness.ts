/** @module Whether the catalog can serve: its database answers. */
import { pingDatabase } from '../db/queries/ping.js';
import type { Catalog } from './context.js';

export async function databaseReady(catalog: Pick<Catalog, 'db'>): Promise<boolean> {
  try {
    await pingDatabase(catalog.db);
    return true;
  } catch {
    return false;
  }
}
