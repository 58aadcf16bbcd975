/** @module What importing a bundle needs beyond the artifact and blob queries: lookups by identity, and stored blob rows written whole. */
import { and, eq } from 'drizzle-orm';
import type { Db, Tx } from '../client.js';
import { artifactBlobs, artifacts } from '../schema/index.js';

type Conn = Db | Tx;

/** The id of the artifact with this identity (a project's type, name and version), if there is one. */
export async function findArtifactIdByIdentity(db: Conn, q: { typeName: string; owner: string; name: string; version: string }): Promise<string | undefined> {
  const [row] = await db
    .select({ id: artifacts.id })
    .from(artifacts)
    .where(and(eq(artifacts.typeName, q.typeName), eq(artifacts.owner, q.owner), eq(artifacts.name, q.name), eq(artifacts.version, q.version)))
    .limit(1);
  return row?.id;
}

/** A blob row for bytes already in a store (an import verified them before this). */
export async function insertStoredBlob(
  db: Conn,
  values: {
    artifactId: string;
    field: string;
    key: string;
    store: string;
    locator: string;
    size: number;
    md5: string;
    sha1: string;
    sha256: string;
    contentType: string | null;
    now: Date;
  },
): Promise<void> {
  const { now, ...rest } = values;
  await db.insert(artifactBlobs).values({ ...rest, status: 'active', external: false, createdAt: now, updatedAt: now });
}
