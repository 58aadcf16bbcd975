/**
 * @module createApp(deps): the HTTP surface of a node. Middleware order: request context (id,
 * logger, access line, metrics) → auth → routers; errors become HTTP in one place.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { swaggerUI } from '@hono/swagger-ui';
import type { AppEnv } from './api/env.js';
import { typeUpgradesRouter } from './api/admin/type-upgrades.js';
import { communityRouter } from './api/community/routes.js';
import { errorHandler } from './api/errors.js';
import { federationAdminRouter } from './api/federation/admin.js';
import { FEDERATION_EARLY_READ_PATHS, FEDERATION_OPEN_PATHS, federationPeerRouter } from './api/federation/peer.js';
import { FEDERATION_STREAMED_PATHS, federationSubmissionsRouter } from './api/federation/submissions.js';
import { federationPullRouter } from './api/federation/pull.js';
import { pullThroughRouter } from './api/federation/pull-through.js';
import { subscriptionsRouter } from './api/federation/subscriptions.js';
import { artifactsRouter } from './api/glare/artifacts.js';
import { blobsRouter } from './api/glare/blobs.js';
import { bundlesRouter } from './api/bundles/router.js';
import { dependenciesRouter } from './api/glare/dependencies.js';
import { quotasRouter } from './api/glare/quotas.js';
import { schemasRouter } from './api/glare/schemas.js';
import { developerKeysRouter } from './api/signing/keys.js';
import { signaturesRouter } from './api/signing/signatures.js';
import { healthRouter } from './api/health.js';
import { importersRouter } from './api/importers/app-catalog.js';
import { requestContext } from './api/observability.js';
import { apiSecurityHeaders } from './api/security-headers.js';
import { authenticate } from './auth/middleware.js';
import { peerOrUserAuthentication } from './auth/peer.js';
import { unavailableError } from './db/client.js';
import type { Deps } from './deps.js';
import { NotFound } from './errors.js';
import { webCatalog } from './web/catalog.js';
import { sessionOrAuth } from './web/session.js';

const OPEN_PATHS = new Set(['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs']);
/** Reads that a signed-in browser's session cookie may make on the API (its download buttons). */
const COOKIE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

export function createApp(deps: Deps) {
  const app = new OpenAPIHono<AppEnv>();
  const userAuth = authenticate({ modes: deps.config.auth.modes, adminRole: deps.config.auth.admin_role, jwt: deps.jwt });
  // Peer routes take a node's token; a signed-in browser's cookie may read the rest of the API.
  const auth = peerOrUserAuthentication(deps, userAuth, { bodyLimitBytes: deps.config.server.json_body_limit_kib * 1024, streamedPaths: FEDERATION_STREAMED_PATHS, earlyReadPaths: FEDERATION_EARLY_READ_PATHS });
  const apiAuth = sessionOrAuth({ auth, jwt: deps.jwt, methods: COOKIE_METHODS, onStaleCookie: 'refuse' });
  const onError = errorHandler(deps.log, { classify: unavailableError });
  // Pages authenticate themselves (a stale cookie signs out, no credential may redirect to sign-in).
  const web = webCatalog(deps, { auth: userAuth, onError });
  const open = (path: string) => OPEN_PATHS.has(path) || FEDERATION_OPEN_PATHS.has(path);

  app.use('*', requestContext({ log: deps.log, metrics: deps.metrics }));
  // /docs is Swagger UI's page: it brings its own scripts and styles.
  app.use('*', apiSecurityHeaders((c) => c.req.path === '/docs' || web.isPage(c)));
  app.use('*', async (c, next) => (open(c.req.path) || web.isPage(c) ? next() : apiAuth(c, next)));

  // Before the health router: GET / asking for HTML is the front page, not the version document.
  app.route('/', web.router);
  app.route('/', healthRouter(deps));
  app.route('/', schemasRouter(deps));
  app.route('/', artifactsRouter(deps));
  // Before the blob routes, so /export is never taken for a blob field.
  app.route('/', bundlesRouter(deps));
  // Before the blob routes too: /resolve, /dependencies and /dependants are no blob fields.
  app.route('/', dependenciesRouter(deps));
  // Likewise /manifest, /signatures and /verify.
  app.route('/', signaturesRouter(deps));
  // And /provenance.
  app.route('/', federationPullRouter(deps));
  app.route('/', pullThroughRouter(deps));
  app.route('/', typeUpgradesRouter(deps));
  app.route('/', communityRouter(deps));
  // After the artifact routes, so /shares is never taken for a blob field.
  app.route('/', blobsRouter(deps));
  app.route('/', quotasRouter(deps));
  app.route('/', developerKeysRouter(deps));
  app.route('/', federationPeerRouter(deps));
  // Before the admin router, whose /federation/v1/admin/{relation} would take /admin/subscriptions
  // and /admin/submissions.
  app.route('/', subscriptionsRouter(deps));
  app.route('/', federationSubmissionsRouter(deps));
  app.route('/', federationAdminRouter(deps));
  app.route('/', importersRouter(deps));

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Artifact catalog node',
      version: '1.1',
      description: 'OpenStack Glare v1 compatible artifact API, with extensions (semver ranges, shares, quotas with usage, developer keys and signatures).',
    },
    security: [{ bearer: [] }, {}],
  });
  app.get('/docs', swaggerUI({ url: '/openapi.json' }));

  app.notFound((c) => onError(new NotFound(`no route for ${c.req.method} ${c.req.path}`), c));
  app.onError(onError);
  return app;
}

export type App = ReturnType<typeof createApp>;
