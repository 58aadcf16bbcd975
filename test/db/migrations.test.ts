import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER } from '../../src/db/client.js';
import { createTestDatabase } from '../support/database.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

async function insertPublic(owner: string, activatedAt: string): Promise<void> {
  await database.db.execute(sql`insert into artifacts (type_name, type_version, name, version, version_major, version_minor, version_patch, version_key, owner, visibility, status, activated_at)
    values ('images', '1.0', 'twin', '1.0.0', 1, 0, 0, 'k', ${owner}, 'public', 'active', ${activatedAt}::timestamptz)`);
}

describe('migration 0002: public twins left by racing publishes', () => {
  it('keeps the first activated one public and makes the others private, so the unique index can be built', async () => {
    // The state before the index: drop it, then publish twins as the race did.
    await database.db.execute(sql`drop index artifacts_public_type_name_version_unique`);
    await insertPublic('late', '2026-01-03T00:00:00Z');
    await insertPublic('first', '2026-01-01T00:00:00Z');
    await insertPublic('middle', '2026-01-02T00:00:00Z');

    const demote = readFileSync(join(MIGRATIONS_FOLDER, '0002_demote_public_twins.sql'), 'utf8');
    await database.db.execute(sql.raw(demote));
    const rows = (await database.db.execute(sql`select owner, visibility from artifacts where name = 'twin' order by owner`)) as unknown as Array<{ owner: string; visibility: string }>;
    expect(rows).toEqual([
      { owner: 'first', visibility: 'public' },
      { owner: 'late', visibility: 'private' },
      { owner: 'middle', visibility: 'private' },
    ]);
    await database.db.execute(sql`create unique index artifacts_public_type_name_version_unique on artifacts (type_name, name, version) where visibility = 'public'`);
  });
});
