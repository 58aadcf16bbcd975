/**
 * @module Subscriptions (mirrors): a saved search filter on one upstream that a repeatable job
 * syncs every `every_minutes`, so a vendor mirror can hold everything of a type from the global
 * catalog. A sync asks the upstream's own catalog (hops 0: what it holds, its cached copies
 * included) for every match, page by page, keeps what this node does not hold yet (same type,
 * name and version, in any state, whoever owns it) and hands that to `pull`.
 *
 * The schedule is a BullMQ job scheduler per subscription (src/jobs), asserted when the
 * subscription is made, again when the process's Redis connection comes back, and for every
 * stored subscription when a worker (or the embedded node) starts; a sync whose subscription is
 * gone removes its own schedule.
 */
import type { Actor } from '../artifacts/actor.js';
import { requireAdmin } from '../artifacts/policy.js';
import { findPeer } from '../db/queries/federation.js';
import {
  coordinateKey,
  deleteSubscription,
  findSubscription,
  heldCoordinates,
  insertSubscription,
  listSubscriptions,
  recordSubscriptionSync,
  type SubscriptionRecord,
  type SyncStatus,
} from '../db/queries/subscriptions.js';
import { NotFound } from '../errors.js';
import type { JobQueue } from '../jobs/queue.js';
import { callUpstream, SEARCH_PATH, SearchAnswer, type NodeRef } from './fan-out.js';
import type { FederationDeps } from './federation.js';

export type { SubscriptionRecord };

export const SYNC_SUBSCRIPTION_JOB = 'sync-subscription';
/** Results asked for per page of the upstream's search. */
const PAGE_SIZE = 100;
/** What a sync's recorded result lists of the new artifacts (the counts are whole). */
const LISTED = 100;

/** The schedule's key: one per subscription. */
export const subscriptionScheduleKey = (id: string) => `subscription_${id}`;

export interface SubscriptionInput {
  upstream: string;
  /** Search filters as query parameters (control parameters, limit and sort already refused). */
  filters: Array<[string, string]>;
  everyMinutes?: number;
  note?: string;
}

async function schedule(fd: FederationDeps, queue: JobQueue, s: SubscriptionRecord): Promise<void> {
  await queue.schedule(SYNC_SUBSCRIPTION_JOB, { subscriptionId: s.id }, s.everyMinutes * 60_000, { key: subscriptionScheduleKey(s.id) });
  fd.log.debug({ subscription: s.id, everyMinutes: s.everyMinutes }, 'subscription sync scheduled');
}

export async function createSubscription(fd: FederationDeps, queue: JobQueue, actor: Actor, input: SubscriptionInput): Promise<SubscriptionRecord> {
  requireAdmin(actor, 'subscribe to an upstream');
  if (!(await findPeer(fd.db, 'upstream', input.upstream))) throw new NotFound(`no upstream node ${input.upstream}`);
  const created = await insertSubscription(fd.db, {
    upstreamNodeId: input.upstream,
    filters: input.filters,
    everyMinutes: input.everyMinutes ?? fd.config.federation.subscriptions.every_minutes,
    note: input.note ?? '',
    createdBy: actor.kind === 'user' ? actor.userId : actor.kind,
    now: fd.clock(),
  });
  await schedule(fd, queue, created);
  return created;
}

export async function subscriptions(fd: FederationDeps, actor: Actor, upstream?: string): Promise<SubscriptionRecord[]> {
  requireAdmin(actor, 'list subscriptions');
  if (upstream !== undefined && !(await findPeer(fd.db, 'upstream', upstream))) throw new NotFound(`no upstream node ${upstream}`);
  return listSubscriptions(fd.db, upstream);
}

export async function subscription(fd: FederationDeps, actor: Actor, id: string): Promise<SubscriptionRecord> {
  requireAdmin(actor, 'read subscriptions');
  const found = await findSubscription(fd.db, id);
  if (!found) throw new NotFound(`no subscription ${id}`);
  return found;
}

export async function removeSubscription(fd: FederationDeps, queue: JobQueue, actor: Actor, id: string): Promise<void> {
  requireAdmin(actor, 'remove subscriptions');
  if (!(await deleteSubscription(fd.db, id))) throw new NotFound(`no subscription ${id}`);
  await queue.unschedule(subscriptionScheduleKey(id));
}

/** A sync now, besides the schedule; answers the job's id. */
export async function syncSubscriptionNow(fd: FederationDeps, queue: JobQueue, actor: Actor, id: string): Promise<{ jobId: string }> {
  await subscription(fd, actor, id);
  return queue.enqueue(SYNC_SUBSCRIPTION_JOB, { subscriptionId: id });
}

/** Every stored subscription's schedule, asserted (a worker's or the embedded node's start). */
export async function assertSubscriptionSchedules(fd: FederationDeps, queue: JobQueue): Promise<number> {
  const all = await listSubscriptions(fd.db);
  for (const s of all) await schedule(fd, queue, s);
  return all.length;
}

/** An upstream artifact a sync found that this node does not hold. */
export interface NewArtifact {
  /** Its id on the upstream. */
  id: string;
  type_name: string;
  name: string;
  version: string;
}

export interface SyncOutcome {
  status: SyncStatus;
  matched: number;
  held: number;
  new: NewArtifact[];
  pages: number;
  message?: string;
  /** What `pull` answered for the new artifacts (job ids). */
  pulled?: unknown;
}

/** How a sync takes what is new (the pull job). */
export type PullNew = (upstream: NodeRef, artifacts: NewArtifact[]) => Promise<unknown>;

/**
 * One sync: the matches on the upstream, what is new of them, pulled. Recorded on the
 * subscription; answers `gone` when the subscription no longer exists (its schedule should go).
 */
export async function syncSubscription(fd: FederationDeps, id: string, opts: { pull?: PullNew; signal?: AbortSignal }): Promise<SyncOutcome | 'gone'> {
  const sub = await findSubscription(fd.db, id);
  if (!sub) return 'gone';
  const outcome = await gatherNew(fd, sub, opts.signal);
  if (outcome.new.length > 0 && opts.pull && outcome.status !== 'error') {
    const upstream = await findPeer(fd.db, 'upstream', sub.upstreamNodeId);
    try {
      outcome.pulled = await opts.pull({ id: sub.upstreamNodeId, name: upstream?.name ?? sub.upstreamNodeId }, outcome.new);
    } catch (err) {
      // Recorded, not thrown: the next sync finds the same artifacts new and tries again.
      outcome.status = 'error';
      outcome.message = `the pull of what is new could not be queued: ${(err as Error).message}`;
    }
  }
  await recordSubscriptionSync(fd.db, sub.id, {
    at: fd.clock(),
    status: outcome.status,
    result: { ...outcome, new_count: outcome.new.length, new: outcome.new.slice(0, LISTED) },
  });
  return outcome;
}

async function gatherNew(fd: FederationDeps, sub: SubscriptionRecord, signal?: AbortSignal): Promise<SyncOutcome> {
  const upstream = (await fd.federation.upstreams()).find((u) => u.nodeId === sub.upstreamNodeId);
  const base: SyncOutcome = { status: 'ok', matched: 0, held: 0, new: [], pages: 0 };
  if (!upstream) return { ...base, status: 'error', message: `upstream ${sub.upstreamNodeId} is not enrolled` };
  if (upstream.status !== 'active') return { ...base, status: 'error', message: `upstream ${upstream.name} is suspended` };
  if (!upstream.url || !upstream.permissions.includes('search')) return { ...base, status: 'error', message: `upstream ${upstream.name} does not grant this node search` };

  const settings = fd.config.federation;
  const identity = await fd.federation.identity();
  const self: NodeRef = { id: identity.nodeId, name: fd.config.node.name };
  const maxResults = settings.subscriptions.max_results;
  const outcome = { ...base };
  let cursor: string | undefined;
  const found: NewArtifact[] = [];
  for (;;) {
    if (signal?.aborted) return { ...outcome, status: 'partial', message: 'stopped: the worker is stopping' };
    const answer = await callUpstream(
      fd,
      upstream,
      // hops 1: the upstream's own catalog (leg.hops is 0 there), not its upstreams.
      { self, via: [], hops: 1, deadline: performance.now() + settings.search.deadline_ms, timeoutMs: settings.search.timeout_ms },
      (leg, baseUrl) => {
        const query = new URLSearchParams([...sub.filters, ['limit', String(PAGE_SIZE)]]);
        if (cursor) query.set('cursor', cursor);
        query.set('hops', String(leg.hops));
        query.set('via', leg.via.join(','));
        query.set('budget_ms', String(leg.budgetMs));
        return { method: 'GET', path: `${new URL(SEARCH_PATH.slice(1), baseUrl).pathname}?${query}` };
      },
      (json) => SearchAnswer.parse(json),
    );
    if (!answer.ok) {
      const why = `${answer.source.status}: ${answer.source.message ?? ''}`;
      const fresh = await onlyNew(fd, found, outcome);
      return { ...outcome, new: fresh, status: outcome.pages === 0 ? 'error' : 'partial', message: `the upstream's search failed (${why})` };
    }
    outcome.pages++;
    for (const r of answer.value.results) {
      const own = r.sources.find((s) => s.path.length === 1 && s.path[0]!.id === upstream.nodeId);
      if (!own) continue;
      found.push({ id: own.id, type_name: r.type_name, name: r.name, version: r.version });
    }
    cursor = answer.value.next_cursor;
    if (!cursor) break;
    if (found.length >= maxResults) {
      const fresh = await onlyNew(fd, found.slice(0, maxResults), outcome);
      return { ...outcome, new: fresh, status: 'partial', message: `stopped at federation.subscriptions.max_results (${maxResults}) matches` };
    }
  }
  const fresh = await onlyNew(fd, found, outcome);
  return { ...outcome, new: fresh };
}

/** The matches this node does not hold; counts matched and held on `outcome` (read it after). */
async function onlyNew(fd: FederationDeps, found: readonly NewArtifact[], outcome: SyncOutcome): Promise<NewArtifact[]> {
  const held = await heldCoordinates(
    fd.db,
    found.map((f) => ({ type: f.type_name, name: f.name, version: f.version })),
  );
  const fresh = found.filter((f) => !held.has(coordinateKey(f.type_name, f.name, f.version)));
  outcome.matched = found.length;
  outcome.held = found.length - fresh.length;
  return fresh;
}
