/** A test node over PGlite in a temporary folder, as `npm start` runs on a bare machine. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPglite } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';
import { createTestNode, type TestNode } from './node.js';

export async function createPgliteTestNode(overrides: Record<string, unknown> = {}): Promise<TestNode> {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-pglite-'));
  const database = await openPglite(join(dir, 'db'));
  await runMigrations(database);
  const node = await createTestNode(overrides, database);
  return {
    ...node,
    async close() {
      await node.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
