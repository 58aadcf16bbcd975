/**
 * @module The context every verb takes: who acts, what time it is, the catalog's dependencies,
 * and the transaction the verb runs in, if a caller opened one. `withTransaction` reuses an
 * outer transaction, so a job can run several verbs atomically; events a verb emits inside a
 * transaction are told only once the outermost transaction has committed.
 */
import type { Logger } from 'pino';
import type { BlobStores } from '../blobs/routing.js';
import type { Config } from '../config/schema.js';
import type { Db, Tx } from '../db/client.js';
import type { Actor } from './actor.js';
import { artifactRef, type Artifact, type ArtifactRef } from './artifact.js';
import type { ArtifactType, HookContext } from './artifact-type.js';
import { BadRequest } from '../errors.js';
import type { CatalogEvent, CatalogEvents } from './events.js';
import type { TypeRegistry } from './registry.js';

/** What the domain needs of the node: built once (deps.ts), shared by every context. */
export interface Catalog {
  db: Db;
  types: TypeRegistry;
  blobs: BlobStores;
  config: Config;
  log: Logger;
  events: CatalogEvents;
  clock: () => Date;
  /**
   * Checks a draft must pass, inside the activating transaction, before it becomes active: the
   * features' policies (signatures) hook in here, so the core never imports them.
   */
  activationGuards: readonly ActivationGuard[];
}

/** Refuses (by throwing an AppError) to let `artifact`, about to become active, be activated. */
export type ActivationGuard = (ctx: TxContext, type: ArtifactType, artifact: Artifact) => Promise<void>;

export interface OpContext {
  readonly catalog: Catalog;
  readonly actor: Actor;
  /** The time the operation counts as happening at. */
  now(): Date;
  /** Set inside withTransaction. */
  readonly tx?: Tx;
  /** Events held until the transaction commits (set with tx). */
  readonly pending?: CatalogEvent[];
}

export type TxContext = OpContext & { readonly tx: Tx; readonly pending: CatalogEvent[] };

export function opContext(catalog: Catalog, actor: Actor): OpContext {
  return { catalog, actor, now: catalog.clock };
}

/** The connection a query should use: the open transaction, or the pool. */
export function conn(ctx: OpContext): Db | Tx {
  return ctx.tx ?? ctx.catalog.db;
}

export async function withTransaction<T>(ctx: OpContext, work: (ctx: TxContext) => Promise<T>): Promise<T> {
  if (ctx.tx && ctx.pending) return work(ctx as TxContext);
  const pending: CatalogEvent[] = [];
  const result = await ctx.catalog.db.transaction((tx) => work({ ...ctx, tx, pending }));
  for (const event of pending) ctx.catalog.events.emit(event);
  return result;
}

/** Tells `event` now, or once the context's transaction has committed. */
export function emit(ctx: OpContext, event: CatalogEvent): void {
  if (ctx.pending) ctx.pending.push(event);
  else ctx.catalog.events.emit(event);
}

/** What `type`'s hooks are told about the operation. */
export function hookContext(ctx: OpContext, type: Pick<ArtifactType, 'name'>): HookContext {
  return {
    actor: ctx.actor,
    now: ctx.now(),
    log: ctx.catalog.log,
    refuse(message) {
      throw new BadRequest(`${type.name}: ${message}`);
    },
    openBlob(blob, range) {
      if (blob.store === null || blob.locator === null) throw new Error('openBlob: the blob has no stored bytes (external, or still being uploaded)');
      return ctx.catalog.blobs.byName(blob.store).store.read(blob.locator, range ? { range } : {});
    },
  };
}

/** The reference events and other nodes know an artifact by (this node is its origin). */
export function refFor(ctx: OpContext, artifact: Artifact): ArtifactRef {
  return artifactRef(artifact, ctx.catalog.config.node.name);
}
