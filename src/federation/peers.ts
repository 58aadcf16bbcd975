/**
 * @module Enrolment and the registry of peers.
 *
 * An upstream admin issues a one-time, expiring enrolment token naming what it grants (search,
 * pull, submit, and the project a child's submissions land in). The child's admin gives the token
 * and the upstream's URL to the child (optionally the fingerprint of the upstream's key, pinned in
 * advance); the child fetches the upstream's description and keys, checks the pin, and presents
 * the token with its node id and public keys in a request signed by one of those keys (proving it
 * holds them). The upstream spends the token and records the child; the child records the
 * upstream and pins its keys. No node trusts a peer it has not enrolled with.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { JWK } from 'jose';
import { peerActor, type Actor, type PeerActor, type PeerPermission } from '../artifacts/actor.js';
import { requireAdmin } from '../artifacts/policy.js';
import {
  deletePeer,
  findEnrolmentTokenByHash,
  findPeer,
  findPeerRelations,
  insertEnrolmentToken,
  insertPeer,
  listEnrolmentTokens,
  listPeers,
  replacePeerKeys,
  setPeerStatus,
  spendEnrolmentToken,
  type EnrolmentTokenRecord,
  type PeerRecord,
  type PeerRelation,
  type PeerStatus,
} from '../db/queries/federation.js';
import { BadRequest, Conflict, Forbidden, NotFound, Unauthenticated, Unavailable } from '../errors.js';
import type { FederationDeps } from './federation.js';
import { announceKeys, checkedPublicKeys, FEDERATION_API_VERSION, retireKey, rotateKeys, verifyKeyAnnouncement, type PublicJwk } from './identity.js';
import { checkNodeJwt, MAX_NODE_TOKEN_LIFETIME_SECONDS, verifyNodeJwt, type RequestBinding } from './node-jwt.js';
import { peerErrorMessage } from './peer-client.js';

export type { PeerRecord, PeerRelation, EnrolmentTokenRecord };

export const PEER_PERMISSIONS: readonly PeerPermission[] = ['search', 'pull', 'submit'];
const TOKEN_PREFIX = 'cet_';
/** How long enrolment's calls to the upstream may take each. */
const ENROL_TIMEOUT_MS = 10_000;

export interface NodeDescription {
  id: string;
  name: string;
  role: string;
  api_version: string;
  url?: string;
}

export async function describeNode(fd: FederationDeps): Promise<NodeDescription> {
  const identity = await fd.federation.identity();
  const url = fd.config.federation.public_url;
  return { id: identity.nodeId, name: fd.config.node.name, role: fd.config.node.role, api_version: FEDERATION_API_VERSION, ...(url ? { url } : {}) };
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export async function issueEnrolmentToken(
  fd: FederationDeps,
  actor: Actor,
  input: { permissions: readonly PeerPermission[]; projectId?: string; ttlSeconds?: number; note?: string },
): Promise<{ token: string; record: EnrolmentTokenRecord }> {
  requireAdmin(actor, 'issue enrolment tokens');
  if (input.permissions.includes('submit') && !input.projectId) throw new BadRequest('a token granting submit must name the project submissions land in (project)');
  const now = fd.clock();
  const ttlMs = (input.ttlSeconds ?? fd.config.federation.enrolment_token_hours * 3600) * 1000;
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const record = await insertEnrolmentToken(fd.db, {
    tokenHash: hashToken(token),
    permissions: [...new Set(input.permissions)],
    projectId: input.projectId ?? null,
    note: input.note ?? '',
    createdBy: actor.kind === 'user' ? actor.userId : actor.kind,
    expiresAt: new Date(now.getTime() + ttlMs),
    createdAt: now,
  });
  return { token, record };
}

export async function enrolmentTokens(fd: FederationDeps, actor: Actor): Promise<EnrolmentTokenRecord[]> {
  requireAdmin(actor, 'list enrolment tokens');
  return listEnrolmentTokens(fd.db);
}

export interface EnrolmentRequest {
  token: string;
  node: { id: string; name: string; role: string; url?: string };
  keys: readonly unknown[];
}

export interface EnrolmentGrant {
  upstream: NodeDescription;
  keys: PublicJwk[];
  permissions: PeerPermission[];
  project?: string;
}

/** The upstream's side: checks the proof of key possession, spends the token, records the child. */
export async function enrolChild(fd: FederationDeps, request: EnrolmentRequest, proof: { token: string | undefined; binding: RequestBinding }): Promise<EnrolmentGrant> {
  const keys = await checkedPublicKeys(request.keys);
  const identity = await fd.federation.identity();
  if (request.node.id === identity.nodeId) throw new BadRequest('a node cannot enrol with itself');
  if (!proof.token) throw new Unauthenticated('sign the enrolment request with one of the presented keys (a node token in Authorization: Bearer)');
  const settings = fd.config.federation;
  const { iss } = await verifyNodeJwt(proof.token, {
    audience: identity.nodeId,
    request: proof.binding,
    now: fd.clock(),
    maxLifetimeSeconds: MAX_NODE_TOKEN_LIFETIME_SECONDS,
    clockToleranceSeconds: settings.clock_tolerance_seconds,
    keysFor: async (claimedIss) => (claimedIss === request.node.id ? keys : undefined),
    replay: fd.federation.replay,
  });
  const now = fd.clock();
  const tokenHash = hashToken(request.token);
  const grant = await fd.db.transaction(async (tx) => {
    const spent = await spendEnrolmentToken(tx, tokenHash, iss, now);
    if (!spent) {
      const known = await findEnrolmentTokenByHash(tx, tokenHash);
      const why = !known ? 'is not one this node issued' : known.usedAt ? 'was used already' : 'has expired';
      throw new Unauthenticated(`the enrolment token ${why}`);
    }
    await insertPeer(tx, {
      relation: 'child',
      nodeId: iss,
      name: request.node.name,
      role: request.node.role,
      url: request.node.url ?? null,
      permissions: spent.permissions,
      projectId: spent.projectId,
      keys,
      keysIssuedAt: null,
      timeoutMs: null,
      now,
    });
    return spent;
  });
  fd.log.info({ child: iss, name: request.node.name, permissions: grant.permissions }, 'child node enrolled');
  return {
    upstream: await describeNode(fd),
    keys: [...identity.published],
    permissions: grant.permissions as PeerPermission[],
    ...(grant.projectId ? { project: grant.projectId } : {}),
  };
}

/** The child's side: enrols with the upstream at `url` and pins its keys. */
export async function enrolWithUpstream(
  fd: FederationDeps,
  actor: Actor,
  input: { url: string; token: string; fingerprint?: string; timeoutMs?: number },
): Promise<PeerRecord> {
  requireAdmin(actor, 'enrol this node with an upstream');
  const client = fd.federation.client;
  const base = input.url.endsWith('/') ? input.url : `${input.url}/`;
  const fetchJson = async (path: string): Promise<unknown> => {
    let res: Response;
    try {
      res = await client.get(new URL(path, base).href, ENROL_TIMEOUT_MS);
    } catch (err) {
      throw new Unavailable(`the upstream at ${input.url} does not answer: ${(err as Error).message}`);
    }
    if (!res.ok) throw new Unavailable(`the upstream at ${input.url} answered ${await peerErrorMessage(res)} to ${path}`);
    return res.json();
  };
  const node = (await fetchJson('federation/v1/node')) as Partial<NodeDescription>;
  if (typeof node.id !== 'string' || typeof node.name !== 'string') throw new Unavailable(`${input.url} does not describe a catalog node at /federation/v1/node`);
  // Checked before the token is presented, so the upstream never records a child that then refuses it.
  if (await findPeer(fd.db, 'upstream', node.id)) throw new Conflict(`this node is enrolled with ${node.name} (${node.id}) already: remove it first to enrol again`);
  const jwks = (await fetchJson('.well-known/jwks.json')) as { keys?: unknown };
  const offered = await checkedPublicKeys(Array.isArray(jwks.keys) ? jwks.keys : []);
  if (input.fingerprint && !offered.some((k) => k.kid === input.fingerprint)) {
    throw new Forbidden(`the upstream at ${input.url} offers no key with the pinned fingerprint ${input.fingerprint} (it offers ${offered.map((k) => k.kid).join(', ')})`);
  }

  const identity = await fd.federation.identity();
  const request: EnrolmentRequest = {
    token: input.token,
    node: { id: identity.nodeId, name: fd.config.node.name, role: fd.config.node.role, ...(fd.config.federation.public_url ? { url: fd.config.federation.public_url } : {}) },
    keys: [...identity.published],
  };
  const body = new TextEncoder().encode(JSON.stringify(request));
  let res: Response;
  try {
    res = await client.request({ nodeId: node.id, url: base }, { method: 'POST', path: new URL('federation/v1/enrol', base).pathname, body, timeoutMs: ENROL_TIMEOUT_MS });
  } catch (err) {
    throw new Unavailable(`the upstream at ${input.url} does not answer: ${(err as Error).message}`);
  }
  if (!res.ok) {
    const message = await peerErrorMessage(res);
    if (res.status === 401 || res.status === 403) throw new Forbidden(`the upstream refused the enrolment: ${message}`);
    if (res.status === 409) throw new BadRequest(`the upstream refused the enrolment: ${message}`);
    throw new Unavailable(`the upstream failed the enrolment: ${message}`);
  }
  const grant = (await res.json()) as Partial<EnrolmentGrant>;
  if (grant.upstream?.id !== node.id) throw new Unavailable(`the upstream answered the enrolment as node ${String(grant.upstream?.id)}, not ${node.id}`);
  const keys = await checkedPublicKeys(Array.isArray(grant.keys) ? grant.keys : []);
  if (input.fingerprint && !keys.some((k) => k.kid === input.fingerprint)) throw new Forbidden(`the upstream's enrolment answer holds no key with the pinned fingerprint ${input.fingerprint}`);
  const permissions = (grant.permissions ?? []).filter((p): p is PeerPermission => (PEER_PERMISSIONS as readonly string[]).includes(p));
  const record = await insertPeer(fd.db, {
    relation: 'upstream',
    nodeId: node.id,
    name: node.name,
    role: typeof node.role === 'string' ? node.role : 'unknown',
    url: base,
    permissions,
    projectId: grant.project ?? null,
    keys,
    keysIssuedAt: null,
    timeoutMs: input.timeoutMs ?? null,
    now: fd.clock(),
  });
  fd.federation.peersChanged();
  fd.log.info({ upstream: node.id, name: node.name, permissions }, 'enrolled with an upstream');
  return record;
}

export async function peers(fd: FederationDeps, actor: Actor, relation: PeerRelation): Promise<PeerRecord[]> {
  requireAdmin(actor, `list ${relation} nodes`);
  return listPeers(fd.db, relation);
}

export async function setPeerState(fd: FederationDeps, actor: Actor, relation: PeerRelation, nodeId: string, status: PeerStatus): Promise<PeerRecord> {
  requireAdmin(actor, `change ${relation} nodes`);
  const updated = await setPeerStatus(fd.db, relation, nodeId, status, fd.clock());
  if (!updated) throw new NotFound(`no ${relation} node ${nodeId}`);
  fd.federation.peersChanged();
  if (relation === 'upstream') fd.federation.breakers.forget(nodeId);
  return updated;
}

export async function removePeer(fd: FederationDeps, actor: Actor, relation: PeerRelation, nodeId: string): Promise<void> {
  requireAdmin(actor, `remove ${relation} nodes`);
  if (!(await deletePeer(fd.db, relation, nodeId))) throw new NotFound(`no ${relation} node ${nodeId}`);
  fd.federation.peersChanged();
  if (relation === 'upstream') fd.federation.breakers.forget(nodeId);
}

/** The upstreams a search may ask: active, and granted search. */
export async function searchableUpstreams(fd: FederationDeps): Promise<PeerRecord[]> {
  return (await fd.federation.upstreams()).filter((u) => u.status === 'active' && u.permissions.includes('search') && u.url);
}

/**
 * The keys an inbound node token from `iss` may be signed with, and the actor it acts as: a child
 * acts with what its enrolment granted; an upstream calling down acts with no permission.
 */
export async function peerCredentials(fd: FederationDeps, iss: string): Promise<{ keys: JWK[]; actor: PeerActor } | undefined> {
  const relations = await fd.federation.relationsOf(iss);
  if (relations.length === 0) return undefined;
  const active = relations.filter((r) => r.status === 'active');
  if (active.length === 0) throw new Forbidden(`node ${iss} is suspended on this node`);
  const child = active.find((r) => r.relation === 'child');
  const keys = active.flatMap((r) => r.keys as JWK[]);
  const actor = child
    ? peerActor({ nodeId: iss, permissions: child.permissions as PeerPermission[], ...(child.projectId ? { projectId: child.projectId } : {}) })
    : peerActor({ nodeId: iss, permissions: [] });
  return { keys, actor };
}

/**
 * Verifies an inbound node token: the actor the calling peer acts as, and its token's first use
 * being recorded (CheckedNodeJwt.firstUse: await it before answering or asking onward).
 */
export async function authenticatePeer(fd: FederationDeps, token: string, binding: RequestBinding): Promise<{ actor: PeerActor; firstUse: Promise<void> }> {
  const identity = await fd.federation.identity();
  let actor: PeerActor | undefined;
  const { firstUse } = await checkNodeJwt(token, {
    audience: identity.nodeId,
    request: binding,
    now: fd.clock(),
    maxLifetimeSeconds: MAX_NODE_TOKEN_LIFETIME_SECONDS,
    clockToleranceSeconds: fd.config.federation.clock_tolerance_seconds,
    keysFor: async (iss) => {
      const found = await peerCredentials(fd, iss);
      actor = found?.actor;
      return found?.keys;
    },
    replay: fd.federation.replay,
  });
  return { actor: actor!, firstUse };
}

/** Takes a peer's key announcement (pushed to us after it rotated): the peer's pinned keys become the announced ones. */
export async function acceptKeyAnnouncement(fd: FederationDeps, announcement: unknown): Promise<{ node: string; keys: string[] }> {
  const iss = announcedIssuer(announcement);
  const relations = (await findPeerRelations(fd.db, iss)).filter((r) => r.status === 'active');
  if (relations.length === 0) throw new Unauthenticated(`node ${iss} is not an active peer of this node`);
  const pinned = relations.flatMap((r) => r.keys as JWK[]);
  const { keys, issuedAt } = await verifyKeyAnnouncement(announcement, iss, pinned);
  const taken = await replacePeerKeys(fd.db, iss, keys, issuedAt, fd.clock());
  if (taken === 0) throw new BadRequest('this node already took a newer key announcement from that node');
  fd.federation.peersChanged();
  fd.log.info({ peer: iss, keys: keys.map((k) => k.kid) }, 'peer keys replaced from its announcement');
  return { node: iss, keys: keys.map((k) => k.kid) };
}

function announcedIssuer(announcement: unknown): string {
  const payload = (announcement as { payload?: unknown } | null)?.payload;
  if (typeof payload !== 'string') throw new BadRequest('a key announcement is a JWS in General JSON serialisation');
  try {
    const { iss } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: unknown };
    if (typeof iss === 'string') return iss;
  } catch {
    // fall through
  }
  throw new BadRequest('the key announcement names no issuer (iss)');
}

export interface AnnouncementDelivery {
  node: string;
  name: string;
  status: 'ok' | 'error';
  message?: string;
}

/** Tells every active upstream this node's current key set (after a rotation or a retirement). */
export async function pushKeyAnnouncement(fd: FederationDeps): Promise<AnnouncementDelivery[]> {
  fd.federation.reloadIdentity();
  const identity = await fd.federation.identity();
  const announcement = new TextEncoder().encode(JSON.stringify(await announceKeys(identity, fd.clock())));
  const upstreams = (await listPeers(fd.db, 'upstream')).filter((u) => u.status === 'active' && u.url);
  return Promise.all(
    upstreams.map(async (u): Promise<AnnouncementDelivery> => {
      try {
        const res = await fetch(new URL('federation/v1/keys', u.url!), {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: announcement,
          signal: AbortSignal.timeout(u.timeoutMs ?? fd.config.federation.search.timeout_ms),
        });
        if (!res.ok) return { node: u.nodeId, name: u.name, status: 'error', message: await peerErrorMessage(res) };
        await res.body?.cancel();
        return { node: u.nodeId, name: u.name, status: 'ok' };
      } catch (err) {
        return { node: u.nodeId, name: u.name, status: 'error', message: (err as Error).message };
      }
    }),
  );
}

/** Makes a new signing key (the old one stays published for the overlap) and tells the upstreams. */
export async function rotateNodeKeys(fd: FederationDeps, actor: Actor): Promise<{ kid: string; retiring: string[]; retires_at: string; delivered: AnnouncementDelivery[] }> {
  requireAdmin(actor, 'rotate the node keys');
  const rotated = await rotateKeys(fd.db, fd.clock(), fd.config.federation.key_overlap_hours * 3600_000);
  return { kid: rotated.kid, retiring: rotated.retiring, retires_at: rotated.retiresAt.toISOString(), delivered: await pushKeyAnnouncement(fd) };
}

/** Stops publishing a retiring key now, and tells the upstreams. */
export async function retireNodeKey(fd: FederationDeps, actor: Actor, kid: string): Promise<{ delivered: AnnouncementDelivery[] }> {
  requireAdmin(actor, 'retire a node key');
  await retireKey(fd.db, kid, fd.clock());
  return { delivered: await pushKeyAnnouncement(fd) };
}
