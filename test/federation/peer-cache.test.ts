/**
 * What a process remembers of its peers (the upstream list, a calling peer's keys and standing) is
 * forgotten in every process of the node when one of them changes a peer: a node serving from
 * several processes refuses a suspended or removed peer, or a key it no longer pins, on the very
 * next request whichever process takes it. Two federations over one database stand for two
 * processes; the channel between them for the primary's relay (src/cluster.ts).
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userActor } from '../../src/artifacts/actor.js';
import type { InvalidationChannel } from '../../src/artifacts/list-counts.js';
import { configFrom } from '../../src/config/load.js';
import { insertPeer, replacePeerKeys } from '../../src/db/queries/federation.js';
import { createFederation, type FederationDeps } from '../../src/federation/federation.js';
import { peerCredentials, removePeer, searchableUpstreams, setPeerState } from '../../src/federation/peers.js';
import { memoryReplayCache } from '../../src/federation/replay-cache.js';
import { createTestDatabase } from '../support/database.js';

type TestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;

let database: TestDatabase;
const admin = userActor({ userId: 'root', projectId: 'admin', roles: ['admin'], adminRole: 'admin' });
const KEY = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', kid: 'k1' };
const NEXT_KEY = { kty: 'OKP', crv: 'Ed25519', x: 'Xk-H4N0Y1zNRm4eU_8P1t0TgKvsTWY8wRSJqkOJp3rc', kid: 'k2' };

/** The node's processes, each with its own federation state, linked as the cluster links them. */
function processes(count: number): FederationDeps[] {
  const listeners: Array<() => void> = [];
  const config = configFrom({ data_dir: '/tmp', log: { level: 'silent' } });
  const log = pino({ level: 'silent' });
  const clock = () => new Date();
  return Array.from({ length: count }, (_, i) => {
    const channel: InvalidationChannel = {
      publish: () => listeners.forEach((hear, j) => j !== i && hear()),
      subscribe: (hear) => void (listeners[i] = hear),
    };
    const federation = createFederation({ db: database.db, config, log, clock, replay: memoryReplayCache(clock), peersChannel: channel });
    return { db: database.db, config, log, clock, federation };
  });
}

async function enrolled(nodeId: string, relation: 'child' | 'upstream') {
  await insertPeer(database.db, {
    relation,
    nodeId,
    name: nodeId,
    role: 'enterprise',
    url: relation === 'upstream' ? `http://127.0.0.1:1/${nodeId}/` : null,
    permissions: ['search'],
    projectId: null,
    keys: [KEY],
    keysIssuedAt: null,
    timeoutMs: null,
    now: new Date(),
  });
}

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

describe('peers remembered by the processes of a node', () => {
  it('a child suspended through one process is refused by the others on its next request, and taken back when resumed', async () => {
    await enrolled('child-a', 'child');
    const [one, other] = processes(2);
    expect((await peerCredentials(other!, 'child-a'))?.keys.map((k) => k.kid)).toEqual(['k1']);
    await setPeerState(one!, admin, 'child', 'child-a', 'suspended');
    await expect(peerCredentials(other!, 'child-a')).rejects.toThrow('suspended');
    await setPeerState(one!, admin, 'child', 'child-a', 'active');
    expect(await peerCredentials(other!, 'child-a')).toBeDefined();
  });

  it('a removed child is unknown to every process at once', async () => {
    await enrolled('child-b', 'child');
    const [one, other] = processes(2);
    expect(await peerCredentials(other!, 'child-b')).toBeDefined();
    await removePeer(one!, admin, 'child', 'child-b');
    expect(await peerCredentials(other!, 'child-b')).toBeUndefined();
  });

  it('a key the peer replaced is no longer offered by any process', async () => {
    await enrolled('child-c', 'child');
    const [one, other] = processes(2);
    expect((await peerCredentials(other!, 'child-c'))?.keys.map((k) => k.kid)).toEqual(['k1']);
    // What acceptKeyAnnouncement does once the announcement is verified.
    await replacePeerKeys(database.db, 'child-c', [NEXT_KEY], new Date(), new Date());
    one!.federation.peersChanged();
    expect((await peerCredentials(other!, 'child-c'))?.keys.map((k) => k.kid)).toEqual(['k2']);
  });

  it('a suspended upstream leaves every process’s searches at once', async () => {
    await enrolled('up-d', 'upstream');
    const [one, other] = processes(2);
    expect((await searchableUpstreams(other!)).map((u) => u.nodeId)).toContain('up-d');
    await setPeerState(one!, admin, 'upstream', 'up-d', 'suspended');
    expect((await searchableUpstreams(other!)).map((u) => u.nodeId)).not.toContain('up-d');
  });
});
