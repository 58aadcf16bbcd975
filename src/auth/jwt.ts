/**
 * @module Bearer tokens verified with jose against the configured issuer's keys (inline PEM/JWK
 * or a JWKS URL). Claims map to user, project and roles as the config says.
 */
import { createLocalJWKSet, createRemoteJWKSet, importJWK, importSPKI, jwtVerify, type JWK, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Config } from '../config/schema.js';
import { Unauthenticated } from '../errors.js';
import type { UserActor } from '../artifacts/actor.js';
import { checkedUser } from './identity.js';

type JwtConfig = Config['auth']['jwt'];
type VerifyKey = Awaited<ReturnType<typeof importJWK>>;

export interface JwtVerifier {
  verify(token: string): Promise<UserActor>;
}

export async function createJwtVerifier(config: JwtConfig, adminRole: string): Promise<JwtVerifier> {
  const getKey = await keyResolver(config);
  return {
    async verify(token) {
      if (!getKey) throw new Unauthenticated('this node has no JWT signing keys configured, so it accepts no bearer tokens');
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, getKey, {
          algorithms: [...config.algorithms],
          ...(config.issuer ? { issuer: config.issuer } : {}),
          ...(config.audience ? { audience: config.audience } : {}),
          clockTolerance: config.clock_tolerance_seconds,
          requiredClaims: ['exp'],
        }));
      } catch (err) {
        throw new Unauthenticated(`bearer token refused: ${(err as Error).message}`);
      }
      const roles = claimAt(payload, config.claims.roles) ?? [];
      const roleList = typeof roles === 'string' ? roles.split(',') : roles;
      if (!Array.isArray(roleList)) throw new Unauthenticated(`the "${config.claims.roles}" claim must be a list of strings`);
      return checkedUser(
        { userId: claimAt(payload, config.claims.user), projectId: claimAt(payload, config.claims.project), roles: roleList },
        { user: `claim "${config.claims.user}"`, project: `claim "${config.claims.project}"`, roles: `claim "${config.claims.roles}"` },
        adminRole,
      );
    },
  };
}

/**
 * A claim by name, or by a dotted path into nested claims when no claim has that name
 * (Keycloak puts roles at `realm_access.roles`; namespaced claims such as
 * `https://example.com/roles` keep their dots).
 */
function claimAt(payload: JWTPayload, path: string): unknown {
  if (Object.hasOwn(payload, path)) return payload[path];
  let value: unknown = payload;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

async function keyResolver(config: JwtConfig): Promise<JWTVerifyGetKey | undefined> {
  if (config.jwks_url) return createRemoteJWKSet(new URL(config.jwks_url), { timeoutDuration: 5000, cooldownDuration: 30_000 });
  if (config.public_keys.length === 0) return undefined;
  const jwks: JWK[] = [];
  const pems: Array<{ pem: string }> = [];
  for (const key of config.public_keys) {
    if (typeof key === 'string') pems.push({ pem: key });
    else jwks.push(key as JWK);
  }
  if (pems.length === 0) return createLocalJWKSet({ keys: jwks });
  // PEM keys carry no algorithm: try each configured algorithm once at start, keep those that import.
  const imported: Array<{ alg: string; key: VerifyKey }> = [];
  for (const [index, { pem }] of pems.entries()) {
    const before = imported.length;
    for (const alg of config.algorithms) {
      try {
        imported.push({ alg, key: await importSPKI(pem, alg) });
      } catch {
        // not a key for this algorithm; another may fit
      }
    }
    if (imported.length === before) {
      throw new Error(`auth.jwt.public_keys: PEM key #${index + 1} is not an SPKI public key for any of ${config.algorithms.join(', ')}`);
    }
  }
  for (const jwk of jwks) {
    if (typeof jwk.alg === 'string') imported.push({ alg: jwk.alg, key: await importJWK(jwk, jwk.alg) });
  }
  return async (header) => {
    const match = imported.find((k) => k.alg === header.alg);
    if (!match) throw new Unauthenticated(`no configured key verifies ${header.alg} tokens`);
    return match.key;
  };
}
