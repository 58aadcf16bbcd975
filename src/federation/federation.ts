/**
 * @module The federation state a node process holds: its identity (read from the database, kept
 * for a few seconds), the replay cache of node tokens, the upstreams' circuit breakers and the
 * peer client. Built once in deps.ts.
 */
import type { Logger } from 'pino';
import type { InvalidationChannel } from '../artifacts/list-counts.js';
import type { BlobTap } from '../bundles/import.js';
import type { Config } from '../config/schema.js';
import type { Db } from '../db/client.js';
import { findPeerRelations, listPeers, type PeerRecord } from '../db/queries/federation.js';
import { CircuitBreakers } from './breaker.js';
import { loadIdentity, type NodeIdentity } from './identity.js';
import { createPeerClient, type PeerClient } from './peer-client.js';
import type { ReplayCache } from './replay-cache.js';

/**
 * How long a process keeps the identity it read. Another process's key rotation reaches this one
 * within it; the old key stays published far longer (federation.key_overlap_hours), so nothing
 * this process signs meanwhile is refused.
 */
const IDENTITY_CACHE_MS = 5000;
/**
 * How long a process keeps what it read of its peers: the upstream list (every search reads it)
 * and a calling peer's keys and permissions (every node request needs them). Changes made through
 * this process (enrolment, suspension, removal, new keys) apply at once (peersChanged), and so in
 * the node's other serve processes when they hear of it (`peersChannel`, relayed by src/cluster.ts);
 * changes no notice reaches (the `worker` process, another host on the same database) within this.
 */
const PEERS_CACHE_MS = 1000;

export interface Federation {
  identity(): Promise<NodeIdentity>;
  /** Forget the cached identity (after this process rotated or retired a key). */
  reloadIdentity(): void;
  /** The upstreams, read at most every second. */
  upstreams(): Promise<PeerRecord[]>;
  /** Every relation with node `nodeId`, read at most every second. */
  relationsOf(nodeId: string): Promise<PeerRecord[]>;
  /** Forget the cached upstreams and peer records, in every process the peers channel reaches (after this process changed one). */
  peersChanged(): void;
  replay: ReplayCache;
  breakers: CircuitBreakers;
  client: PeerClient;
  /**
   * Single flight within this process: a call while another with the same key runs shares its
   * result instead of doing the work again (concurrent pulls of one artifact, one transfer).
   */
  once<T>(key: string, work: () => Promise<T>): Promise<T>;
  /** Who watches the blob bytes of each pull transfer running in this process (pull-through downloads), by transfer key (pull.ts copyClosure). */
  transferWatchers: Map<string, Set<BlobTap>>;
  close(): void;
}

/** What the federation's functions need of the node. */
export interface FederationDeps {
  db: Db;
  config: Config;
  log: Logger;
  clock: () => Date;
  federation: Federation;
}

export function createFederation(opts: { db: Db; config: Config; log: Logger; clock: () => Date; replay: ReplayCache; peersChannel?: InvalidationChannel | undefined }): Federation {
  let cached: { at: number; identity: Promise<NodeIdentity> } | undefined;
  const identity = () => {
    const now = Date.now();
    if (!cached || now - cached.at > IDENTITY_CACHE_MS) {
      const loading = loadIdentity(opts.db, opts.clock());
      cached = { at: now, identity: loading };
      loading.catch(() => {
        if (cached?.identity === loading) cached = undefined;
      });
    }
    return cached.identity;
  };
  let upstreams: { at: number; list: Promise<PeerRecord[]> } | undefined;
  const relations = new Map<string, { at: number; list: Promise<PeerRecord[]> }>();
  const settings = opts.config.federation;
  const inFlight = new Map<string, Promise<unknown>>();
  const breakers = new CircuitBreakers({ probeEveryMs: settings.breaker.probe_every_ms, log: opts.log, clock: opts.clock });
  const forgetPeers = () => {
    upstreams = undefined;
    relations.clear();
  };
  opts.peersChannel?.subscribe(forgetPeers);
  return {
    identity,
    reloadIdentity: () => (cached = undefined),
    upstreams() {
      const now = Date.now();
      if (!upstreams || now - upstreams.at > PEERS_CACHE_MS) {
        const list = listPeers(opts.db, 'upstream');
        upstreams = { at: now, list };
        list.catch(() => {
          if (upstreams?.list === list) upstreams = undefined;
        });
      }
      return upstreams.list;
    },
    relationsOf(nodeId) {
      const now = Date.now();
      const known = relations.get(nodeId);
      if (known && now - known.at <= PEERS_CACHE_MS) return known.list;
      // Bounded: unknown issuers are remembered too (they cost a query each otherwise).
      if (relations.size >= 10_000) relations.clear();
      const list = findPeerRelations(opts.db, nodeId);
      relations.set(nodeId, { at: now, list });
      list.catch(() => relations.delete(nodeId));
      return list;
    },
    peersChanged: () => {
      forgetPeers();
      opts.peersChannel?.publish();
    },
    replay: opts.replay,
    breakers,
    client: createPeerClient({ identity, tokenLifetimeSeconds: settings.token_lifetime_seconds, clock: opts.clock }),
    once<T>(key: string, work: () => Promise<T>): Promise<T> {
      const running = inFlight.get(key);
      if (running) return running as Promise<T>;
      const started = work().finally(() => inFlight.delete(key));
      inFlight.set(key, started);
      return started;
    },
    transferWatchers: new Map(),
    close: () => {
      breakers.stopAll();
      opts.replay.close();
    },
  };
}
