/**
 * @module /federation/v1/admin subscriptions (mirrors): a saved search filter per upstream, synced
 * by a repeatable job. Admin users only (the domain checks).
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { ALL_TYPES } from '../../artifacts/names.js';
import type { Deps } from '../../deps.js';
import { BadRequest } from '../../errors.js';
import { SEARCH_CONTROL_PARAMS } from '../../federation/fan-out.js';
import {
  createSubscription,
  removeSubscription,
  subscription,
  subscriptions,
  syncSubscriptionNow,
  type SubscriptionRecord,
} from '../../federation/subscriptions.js';
import { opContextOf, type AppEnv } from '../env.js';
import { errorResponses, onInvalidInput } from '../errors.js';
import { parseListQuery } from '../glare/filters.js';
import { isoOrNull, jsonResponse } from '../params.js';

/** A sync pages through everything that matches: a subscription sets none of these. */
const NOT_FILTERS: ReadonlySet<string> = new Set([...SEARCH_CONTROL_PARAMS, 'limit', 'sort', 'marker']);

const NodeParam = z.string().min(1).max(255).openapi({ param: { name: 'node', in: 'path' } });
const IdParam = z.uuid().openapi({ param: { name: 'id', in: 'path' } });
const FilterValue = z.union([z.string().max(4096), z.array(z.string().max(4096)).min(1).max(100)]);
const SubscriptionRequest = z
  .object({
    /** The filters of GET /federation/v1/search, e.g. {"type": "images", "tags": "ubuntu"}; a list repeats a filter. */
    filters: z.record(z.string().min(1).max(255), FilterValue),
    every_minutes: z.number().int().min(1).max(7 * 24 * 60).optional(),
    note: z.string().max(1024).optional(),
  })
  .strict()
  .openapi('SubscriptionRequest');
const SubscriptionView = z
  .object({
    id: z.string(),
    upstream: z.string(),
    filters: z.record(z.string(), FilterValue),
    every_minutes: z.number(),
    note: z.string(),
    created_by: z.string(),
    created_at: z.string(),
    last_sync_at: z.string().nullable(),
    last_status: z.enum(['ok', 'partial', 'error']).nullable(),
    last_result: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi('Subscription');

const createRoute_ = createRoute({
  method: 'post',
  path: '/federation/v1/admin/upstreams/{node}/subscriptions',
  summary: 'Subscribe to an upstream: a saved search filter, synced every every_minutes (what is new there is pulled)',
  request: { params: z.object({ node: NodeParam }), body: { required: true, content: { 'application/json': { schema: SubscriptionRequest } } } },
  responses: { 201: jsonResponse(SubscriptionView, 'The subscription, scheduled'), ...errorResponses },
});
const listOfUpstreamRoute = createRoute({
  method: 'get',
  path: '/federation/v1/admin/upstreams/{node}/subscriptions',
  summary: 'One upstream’s subscriptions, with their last sync',
  request: { params: z.object({ node: NodeParam }) },
  responses: { 200: jsonResponse(z.object({ subscriptions: z.array(SubscriptionView) }), 'The subscriptions'), ...errorResponses },
});
const listRoute = createRoute({
  method: 'get',
  path: '/federation/v1/admin/subscriptions',
  summary: 'Every subscription, with its last sync',
  responses: { 200: jsonResponse(z.object({ subscriptions: z.array(SubscriptionView) }), 'The subscriptions'), ...errorResponses },
});
const showRoute = createRoute({
  method: 'get',
  path: '/federation/v1/admin/subscriptions/{id}',
  summary: 'A subscription and its last sync (matched, held, new, pulled)',
  request: { params: z.object({ id: IdParam }) },
  responses: { 200: jsonResponse(SubscriptionView, 'The subscription'), ...errorResponses },
});
const deleteRoute = createRoute({
  method: 'delete',
  path: '/federation/v1/admin/subscriptions/{id}',
  summary: 'Remove a subscription and its schedule (what it pulled stays)',
  request: { params: z.object({ id: IdParam }) },
  responses: { 204: { description: 'Removed' }, ...errorResponses },
});
const syncRoute = createRoute({
  method: 'post',
  path: '/federation/v1/admin/subscriptions/{id}/sync',
  summary: 'Sync a subscription now, besides its schedule',
  request: { params: z.object({ id: IdParam }) },
  responses: { 202: jsonResponse(z.object({ job_id: z.string() }), 'The sync job'), ...errorResponses },
});

function view(s: SubscriptionRecord): z.infer<typeof SubscriptionView> {
  const filters: Record<string, string | string[]> = {};
  for (const [k, v] of s.filters) {
    const had = filters[k];
    filters[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
  }
  return {
    id: s.id,
    upstream: s.upstreamNodeId,
    filters,
    every_minutes: s.everyMinutes,
    note: s.note,
    created_by: s.createdBy,
    created_at: s.createdAt.toISOString(),
    last_sync_at: isoOrNull(s.lastSyncAt),
    last_status: s.lastStatus,
    last_result: s.lastResult,
  };
}

export function subscriptionsRouter(deps: Deps) {
  const router = new OpenAPIHono<AppEnv>({ defaultHook: onInvalidInput });

  /** The filters as search takes them, checked as this node's search checks its own part. */
  const checkedFilters = (given: Record<string, string | string[]>): Array<[string, string]> => {
    const pairs = Object.entries(given).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((one): [string, string] => [k, one]));
    const refused = pairs.find(([k]) => NOT_FILTERS.has(k));
    if (refused) throw new BadRequest(`"${refused[0]}" is not a filter: a sync pages through every match itself`);
    const typeNames = pairs.filter(([k]) => k === 'type').map(([, v]) => v);
    if (typeNames.length > 1) throw new BadRequest('give one type (or none, for every type)');
    const typeName = typeNames[0] ?? ALL_TYPES;
    // A mirror holds only artifacts of types it knows.
    if (typeName !== ALL_TYPES && !deps.types.has(typeName)) throw new BadRequest(`this node has no artifact type "${typeName}" to hold copies of`);
    parseListQuery(typeName === ALL_TYPES ? undefined : deps.types.get(typeName), pairs.filter(([k]) => k !== 'type'), {
      defaultLimit: deps.config.api.default_limit,
      maxLimit: deps.config.api.max_limit,
      types: deps.types.list(),
    });
    return pairs;
  };

  router.openapi(createRoute_, async (c) => {
    const { node } = c.req.valid('param');
    const input = c.req.valid('json');
    const created = await createSubscription(deps, deps.queue, opContextOf(deps, c).actor, {
      upstream: node,
      filters: checkedFilters(input.filters),
      ...(input.every_minutes !== undefined ? { everyMinutes: input.every_minutes } : {}),
      ...(input.note !== undefined ? { note: input.note } : {}),
    });
    return c.json(view(created), 201);
  });

  router.openapi(listOfUpstreamRoute, async (c) => c.json({ subscriptions: (await subscriptions(deps, c.var.actor, c.req.valid('param').node)).map(view) }, 200));
  router.openapi(listRoute, async (c) => c.json({ subscriptions: (await subscriptions(deps, c.var.actor)).map(view) }, 200));
  router.openapi(showRoute, async (c) => c.json(view(await subscription(deps, c.var.actor, c.req.valid('param').id)), 200));

  router.openapi(deleteRoute, async (c) => {
    await removeSubscription(deps, deps.queue, c.var.actor, c.req.valid('param').id);
    return c.body(null, 204);
  });

  router.openapi(syncRoute, async (c) => {
    const { jobId } = await syncSubscriptionNow(deps, deps.queue, c.var.actor, c.req.valid('param').id);
    return c.json({ job_id: jobId }, 202);
  });

  return router;
}
