/** @module Applies the committed drizzle-kit migrations (src/db/migrations) with the handle's own driver. */
import type { DatabaseHandle } from './client.js';

export async function runMigrations(handle: DatabaseHandle): Promise<void> {
  await handle.migrate();
}
