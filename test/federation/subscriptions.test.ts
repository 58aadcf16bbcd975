/**
 * Subscriptions (mirrors) between real nodes on loopback ports: a vendor mirror subscribes to the
 * global catalog's images; the subscription is scheduled as a BullMQ job scheduler, a sync (run
 * by a real worker) finds what global holds that the mirror does not and pulls it (one pull job),
 * and an artifact published on global later is the only thing the next sync pulls.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Body } from '../support/json.js';
import { enrol, publishImage, REDIS_URL, serveNode, type ServedNode } from './tree.js';
import type { BullmqWorker } from '../../src/jobs/bullmq-runner.js';

let global: ServedNode;
let mirror: ServedNode;
let worker: BullmqWorker;
let inspect: Queue;

const admin = () => mirror.node.admin;

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function subscribe(filters: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<{ status: number; body: Body }> {
  const res = await mirror.node.request('POST', `/federation/v1/admin/upstreams/${global.id}/subscriptions`, { as: admin(), json: { filters, ...extra } });
  return { status: res.status, body: await res.json() };
}

/** Asks for a sync now and waits until the subscription records one newer than what it had. */
async function sync(id: string): Promise<Body> {
  const before = (await (await mirror.node.request('GET', `/federation/v1/admin/subscriptions/${id}`, { as: admin() })).json()) as Body;
  const res = await mirror.node.request('POST', `/federation/v1/admin/subscriptions/${id}/sync`, { as: admin() });
  expect(res.status).toBe(202);
  expect((await res.json()).job_id).toEqual(expect.any(String));
  return until('the sync to be recorded', async () => {
    const now = (await (await mirror.node.request('GET', `/federation/v1/admin/subscriptions/${id}`, { as: admin() })).json()) as Body;
    return now.last_sync_at && now.last_sync_at !== before.last_sync_at ? now : undefined;
  });
}

/** Waits for every pull job the sync queued to succeed. */
async function pulled(synced: Body): Promise<void> {
  expect(synced.last_result.pulled.length).toBeGreaterThan(0);
  for (const p of synced.last_result.pulled) {
    await until(`pull ${p.job_id}`, async () => {
      const job: Body = await (await mirror.node.request('GET', `/federation/v1/jobs/${p.job_id}`, { as: admin() })).json();
      if (job.status === 'failed') throw new Error(`pull failed: ${job.error}`);
      return job.status === 'succeeded' ? true : undefined;
    });
  }
}

async function mirrorHolds(name: string): Promise<string[]> {
  const res = await mirror.node.request('GET', `/artifacts/images?name=${name}`, { as: admin() });
  return ((await res.json()) as Body).artifacts.map((a: Body) => `${a.name} ${a.version}`);
}

const newNames = (s: Body) => s.last_result.new.map((n: Body) => `${n.name} ${n.version}`).sort();

beforeAll(async () => {
  [global, mirror] = await Promise.all([serveNode('global', 'global'), serveNode('mirror', 'vendor')]);
  await publishImage(global, 'ubuntu', '22.4.0', 'ubuntu bytes');
  await publishImage(global, 'debian', '12.0.0', 'debian bytes');
  await publishImage(global, 'held', '1.0.0', 'held bytes');
  await publishImage(mirror, 'held', '1.0.0', 'held bytes');
  await enrol(mirror, global, { permissions: ['search', 'pull'] });
  const prefix = mirror.node.deps.config.queue.prefix;
  worker = mirror.startWorker();
  inspect = new Queue('catalog-jobs', { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix });
});
afterAll(async () => {
  await worker?.close();
  if (inspect) {
    await inspect.obliterate({ force: true });
    await inspect.close();
  }
  await Promise.all([global?.close(), mirror?.close()]);
});

describe('subscriptions', () => {
  let id: string;

  it('are made per upstream, scheduled as a repeatable job', async () => {
    const { status, body } = await subscribe({ type: 'images' }, { every_minutes: 30, note: 'all images' });
    expect(status, JSON.stringify(body)).toBe(201);
    expect(body).toMatchObject({ upstream: global.id, filters: { type: 'images' }, every_minutes: 30, note: 'all images', last_sync_at: null, last_status: null });
    id = body.id;
    const scheduler = await inspect.getJobScheduler(`every_subscription_${id}`);
    expect(scheduler).toMatchObject({ name: 'sync-subscription', every: 30 * 60_000 });

    const listed = await mirror.node.request('GET', '/federation/v1/admin/subscriptions', { as: admin() });
    expect(((await listed.json()) as Body).subscriptions.map((s: Body) => s.id)).toEqual([id]);
    const ofUpstream = await mirror.node.request('GET', `/federation/v1/admin/upstreams/${global.id}/subscriptions`, { as: admin() });
    expect(((await ofUpstream.json()) as Body).subscriptions.map((s: Body) => s.id)).toEqual([id]);
  });

  it('sync: pulls, in one job, what the upstream holds that this node does not', async () => {
    const synced = await sync(id);
    expect(synced.last_status, JSON.stringify(synced.last_result)).toBe('ok');
    expect(newNames(synced)).toEqual(['debian 12.0.0', 'ubuntu 22.4.0']);
    expect(synced.last_result).toMatchObject({ matched: 3, held: 1, new_count: 2 });
    expect(synced.last_result.pulled).toHaveLength(1);
    await pulled(synced);
    expect(await mirrorHolds('ubuntu')).toEqual(['ubuntu 22.4.0']);
    expect(await mirrorHolds('debian')).toEqual(['debian 12.0.0']);
  });

  it('the next sync pulls only what was published upstream since', async () => {
    await publishImage(global, 'alpine', '3.20.0', 'alpine bytes');
    const synced = await sync(id);
    expect(newNames(synced)).toEqual(['alpine 3.20.0']);
    expect(synced.last_result).toMatchObject({ matched: 4, held: 3 });
    await pulled(synced);
    expect(await mirrorHolds('alpine')).toEqual(['alpine 3.20.0']);

    const quiet = await sync(id);
    expect(quiet.last_result).toMatchObject({ matched: 4, held: 4, new_count: 0 });
    expect(quiet.last_result.pulled).toBeUndefined();
  });

  it('filters as federated search does', async () => {
    const { body } = await subscribe({ type: 'images', name: 'in:ubuntu,held' });
    const synced = await sync(body.id);
    expect(synced.last_result).toMatchObject({ matched: 2, held: 2, new_count: 0 });
  });

  it('refuses what is not a filter, an unknown type, an unknown upstream, and non-admins', async () => {
    expect((await subscribe({ type: 'images', limit: '5' })).status).toBe(400);
    expect((await subscribe({ type: 'images', cursor: 'x' })).status).toBe(400);
    expect((await subscribe({ type: 'no_such_type' })).status).toBe(400);
    expect((await subscribe({ type: 'images', version: 'bogus:1' })).status).toBe(400);
    expect((await subscribe({ type: 'images' }, { every_minutes: 0 })).status).toBe(400);
    const unknown = await mirror.node.request('POST', '/federation/v1/admin/upstreams/nobody/subscriptions', { as: admin(), json: { filters: { type: 'images' } } });
    expect(unknown.status).toBe(404);
    const member = await mirror.node.request('POST', `/federation/v1/admin/upstreams/${global.id}/subscriptions`, { as: mirror.node.as({ project: 'p' }), json: { filters: { type: 'images' } } });
    expect(member.status).toBe(403);
    expect((await mirror.node.request('GET', '/federation/v1/admin/subscriptions', { as: mirror.node.as({ project: 'p' }) })).status).toBe(403);
  });

  it('an upstream that is gone makes the sync an error, recorded', async () => {
    const down = await serveNode('down', 'global');
    try {
      await enrol(mirror, down, { permissions: ['search'] });
      const res = await mirror.node.request('POST', `/federation/v1/admin/upstreams/${down.id}/subscriptions`, { as: admin(), json: { filters: { type: 'images' } } });
      const sub: Body = await res.json();
      await down.stop();
      const synced = await sync(sub.id);
      expect(synced.last_status).toBe('error');
      expect(synced.last_result.message).toContain('search failed');
    } finally {
      await down.close();
    }
  });

  it('removal takes the schedule with it; removing the upstream removes its subscriptions', async () => {
    const res = await mirror.node.request('DELETE', `/federation/v1/admin/subscriptions/${id}`, { as: admin() });
    expect(res.status).toBe(204);
    expect(await inspect.getJobScheduler(`every_subscription_${id}`)).toBeFalsy();
    expect((await mirror.node.request('GET', `/federation/v1/admin/subscriptions/${id}`, { as: admin() })).status).toBe(404);
    expect((await mirror.node.request('DELETE', `/federation/v1/admin/subscriptions/${id}`, { as: admin() })).status).toBe(404);

    const left = ((await (await mirror.node.request('GET', '/federation/v1/admin/subscriptions', { as: admin() })).json()) as Body).subscriptions;
    expect(left.length).toBeGreaterThan(0);
    expect((await mirror.node.request('DELETE', `/federation/v1/admin/upstreams/${global.id}`, { as: admin() })).status).toBe(204);
    const after = ((await (await mirror.node.request('GET', '/federation/v1/admin/subscriptions', { as: admin() })).json()) as Body).subscriptions;
    expect(after.filter((s: Body) => s.upstream === global.id)).toEqual([]);
  });

  it('a sync whose subscription is gone removes its schedule', async () => {
    const gone = '00000000-0000-4000-8000-000000000000';
    await mirror.node.deps.queue.schedule('sync-subscription', { subscriptionId: gone }, 60_000, { key: `subscription_${gone}` });
    expect(await inspect.getJobScheduler(`every_subscription_${gone}`)).toBeTruthy();
    await mirror.node.deps.queue.enqueue('sync-subscription', { subscriptionId: gone });
    await until('the schedule to go', async () => ((await inspect.getJobScheduler(`every_subscription_${gone}`)) ? undefined : true));
  });
});
