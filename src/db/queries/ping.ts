/** @module The cheapest statement that proves the database answers. */
import { sql } from 'drizzle-orm';
import type { Db } from '../client.js';

export async function pingDatabase(db: Db): Promise<void> {
  await db.execute(sql`select 1`);
}
