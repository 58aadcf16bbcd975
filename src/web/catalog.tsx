/**
 * @module The web catalog: server-rendered pages over the same verbs the API calls.
 *
 *   GET  /                       front page (for browsers: the API's version document stays for
 *                                everyone who does not ask for HTML)
 *   GET  /search                 search with facets and paging; /search/suggest feeds type-ahead
 *   GET  /browse/{type}          a type's page; /browse/{type}/{id} an artifact's page
 *   GET  /sign-in, POST /sign-in, POST /sign-out
 *   GET  /assets/{file}          the stylesheet and the script
 *
 * Pages set their own Content-Security-Policy (nothing but the node's own styles, scripts and
 * images); every POST passes the CSRF check (session.ts).
 */
import { Hono, type Context, type ErrorHandler, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie } from 'hono/cookie';
import type { JSX } from 'hono/jsx/jsx-runtime';
import type { AppEnv } from '../api/env.js';
import { opContextOf } from '../api/env.js';
import type { Artifact } from '../artifacts/artifact.js';
import { countFacets } from '../artifacts/facets.js';
import type { ArtifactType } from '../artifacts/artifact-type.js';
import type { FieldDef } from '../artifacts/fields.js';
import { GENERIC_FIELDS } from '../artifacts/generic-fields.js';
import { ANONYMOUS } from '../artifacts/actor.js';
import type { ListPage, ListQuery } from '../artifacts/list-query.js';
import { listArtifacts, showArtifact } from '../artifacts/read.js';
import { addComment, deleteComment, editComment, hideComment } from '../community/comments.js';
import { rate, unrate } from '../community/ratings.js';
import { communitySummaries } from '../community/summary.js';
import type { Deps } from '../deps.js';
import { AppError, BadRequest, NotFound, PayloadTooLarge, Unauthenticated } from '../errors.js';
import { ASSETS } from './assets.js';
import { CommunitySection, communityFacts, ratingText } from './community.js';
import { DependencySection, dependencyFacts } from './dependencies.js';
import type { PageFrame } from './layout.js';
import { ArtifactPage, ErrorPage, FrontPage, SearchPage, SignInPage, TypePage, type SearchView, type TypeCount } from './pages.js';
import { listQueryOf, parseSearchParams, PAGE_SIZE } from './search.js';
import { checkCsrf, csrfToken, hasHeaderCredential, SESSION_COOKIE, sessionOrAuth, signIn, signOut } from './session.js';

export const PAGE_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "script-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** At most this many matches are tallied for the facets (exact counts up to it, lower bounds past it). */
const FACET_SAMPLE = 500;
/** Values shown per facet, the most frequent. */
const FACET_VALUES = 12;
/** Artifacts in each of the front page's lists. */
const TOP_LISTED = 8;
const FORM_LIMIT_BYTES = 16 * 1024;

interface WebEnv {
  Variables: AppEnv['Variables'] & { session: boolean };
}

function generic(name: string): FieldDef {
  const found = GENERIC_FIELDS.find((f) => f.name === name);
  if (!found) throw new Error(`no generic field ${name}`);
  return found;
}

const PAGE_PREFIXES = ['/search', '/browse/', '/sign-in', '/sign-out', '/assets/'];

function wantsHtml(c: Context): boolean {
  return (c.req.header('accept') ?? '').includes('text/html');
}

/** Whether the web catalog answers this request (and so does its own auth and headers). */
export function isPageRequest(c: Context): boolean {
  const path = c.req.path;
  if (path === '/') return (c.req.method === 'GET' || c.req.method === 'HEAD') && wantsHtml(c);
  return PAGE_PREFIXES.some((prefix) => path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`));
}

export function webCatalog(deps: Deps, options: { auth: MiddlewareHandler<AppEnv>; onError: ErrorHandler<AppEnv> }) {
  const router = new Hono<WebEnv>();
  const pageAuth = sessionOrAuth({ auth: options.auth, jwt: deps.jwt, onStaleCookie: 'forget' });
  const typeName = (name: string) => (deps.types.has(name) ? deps.types.get(name).displayName : name);

  const frame = (c: Context<WebEnv>, title: string, query?: string): PageFrame => ({
    title,
    actor: c.var.actor ?? ANONYMOUS,
    session: c.var.session ?? false,
    csrf: csrfToken(c),
    here: c.req.path + (new URL(c.req.url).search || ''),
    ...(query ? { query } : {}),
  });

  const page = (c: Context<WebEnv>, element: JSX.Element, status: 200 | 400 | 401 | 403 | 404 | 500 | 503 = 200) => {
    c.header('Content-Security-Policy', PAGE_CSP);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'same-origin');
    c.header('Cache-Control', 'no-store');
    return c.html(element, status);
  };

  router.onError((err, c) => {
    // The API's one mapping decides the status and the message (and logs what is unexpected).
    const json = options.onError(err, c as unknown as Context<AppEnv>);
    const status = (json instanceof Response ? json.status : 500) as 400 | 401 | 403 | 404 | 500 | 503;
    const message = err instanceof AppError ? err.message : status === 503 ? 'The catalog is unavailable for a moment; try again.' : `Internal error; quote request id ${c.var.requestId ?? 'unknown'} to the operator.`;
    return page(c, <ErrorPage frame={frame(c, 'Error')} status={status} message={message} />, status);
  });

  // Mounted at the root: everything here is for page requests only, never the API's.
  router.use('*', async function webAuth(c, next) {
    if (!isPageRequest(c)) return next();
    const path = c.req.path;
    const open = path.startsWith('/assets/') || path === '/sign-in';
    c.set('session', false);
    try {
      await pageAuth(c as unknown as Context<AppEnv>, async () => {});
      c.set('session', getCookie(c, SESSION_COOKIE) !== undefined && !hasHeaderCredential(c) && c.var.actor.kind === 'user');
    } catch (err) {
      if (!(err instanceof Unauthenticated)) throw err;
      if (open) c.set('actor', ANONYMOUS);
      else if (!hasHeaderCredential(c) && c.req.method === 'GET') return c.redirect(`/sign-in?next=${encodeURIComponent(path + new URL(c.req.url).search)}`, 303);
      else throw err;
    }
    await next();
  });

  router.get('/assets/:file', (c) => {
    const asset = ASSETS.get(c.req.param('file'));
    if (!asset) throw new NotFound(`no asset ${c.req.param('file')}`);
    c.header('ETag', asset.etag);
    c.header('Cache-Control', 'public, max-age=31536000, immutable');
    c.header('X-Content-Type-Options', 'nosniff');
    if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304);
    return c.body(asset.body, 200, { 'Content-Type': asset.contentType });
  });

  const list = (c: Context<WebEnv>, type: ArtifactType | undefined, query: ListQuery): Promise<ListPage<Artifact>> =>
    listArtifacts(opContextOf(deps, c as unknown as Context<AppEnv>), { type, query, counts: deps.listCounts, exactCountUpTo: deps.config.api.list_count_exact_up_to });

  const newestFirst = [{ field: generic('created_at'), direction: 'desc' as const }];

  router.get('/', async (c, next) => {
    if (!wantsHtml(c)) return next();
    const ctx = opContextOf(deps, c as unknown as Context<AppEnv>);
    const top = (by: 'downloads' | 'rating') => list(c, undefined, { filters: [], latest: false, sort: [{ computed: { by }, direction: 'desc' }], limit: TOP_LISTED });
    const [counts, newest, mostDownloaded, bestRated] = await Promise.all([
      Promise.all(
        deps.types.list().map(async (type): Promise<TypeCount> => {
          const { total, totalExact } = await list(c, type, { filters: [], latest: false, sort: newestFirst, limit: 1 });
          return { type, total, exact: totalExact };
        }),
      ),
      list(c, undefined, { filters: [], latest: false, sort: newestFirst, limit: TOP_LISTED }),
      top('downloads'),
      top('rating'),
    ]);
    // Each with its figure (one query for all of them); those never downloaded (or never rated) are left out.
    const summaries = await communitySummaries(ctx, [...mostDownloaded.artifacts, ...bestRated.artifacts]);
    const summaryOf = (a: Artifact) => summaries.get(a.id)!;
    const ranked = [
      { title: 'Most downloaded', rows: mostDownloaded.artifacts.filter((a) => summaryOf(a).downloads > 0).map((a) => ({ artifact: a, figure: `${summaryOf(a).downloads.toLocaleString('en')} downloads` })) },
      { title: 'Best rated', rows: bestRated.artifacts.filter((a) => summaryOf(a).rating.average !== undefined).map((a) => ({ artifact: a, figure: ratingText(summaryOf(a).rating) })) },
    ];
    return page(c, <FrontPage frame={frame(c, 'Home')} counts={counts} newest={newest.artifacts} ranked={ranked} displayName={typeName} />);
  });

  const searchView = async (c: Context<WebEnv>, path: string, fixedType?: ArtifactType): Promise<SearchView> => {
    const params = parseSearchParams(new URL(c.req.url).searchParams, fixedType?.name);
    const type = params.type === undefined ? undefined : deps.types.has(params.type) ? deps.types.get(params.type) : undefined;
    if (params.type !== undefined && !type) throw new BadRequest(`unknown artifact type "${params.type}"`);
    const query = listQueryOf(params);
    const [results, facets] = await Promise.all([
      list(c, type, query),
      countFacets(opContextOf(deps, c as unknown as Context<AppEnv>), { ...(type ? { type } : {}), query, sampleLimit: FACET_SAMPLE, top: FACET_VALUES }),
    ]);
    return {
      params,
      path,
      results: results.artifacts,
      total: results.total,
      exact: results.totalExact,
      ...(results.nextMarker && results.artifacts.length === PAGE_SIZE ? { nextMarker: results.nextMarker } : {}),
      facets,
      displayName: typeName,
      ...(fixedType ? { fixedType } : {}),
    };
  };

  router.get('/search', async (c) => {
    const view = await searchView(c, '/search');
    return page(c, <SearchPage frame={frame(c, view.params.q ? `Search: ${view.params.q}` : 'Browse', view.params.q)} view={view} />);
  });

  router.get('/search/suggest', async (c) => {
    const q = (c.req.query('q') ?? '').trim().slice(0, 100);
    if (q.length < 2) return c.json({ names: [] });
    // Each word of a search is a prefix: the names of the best matches are the suggestions.
    let query: ListQuery;
    try {
      query = listQueryOf({ q, tags: [] }, 30);
    } catch (err) {
      if (err instanceof BadRequest) return c.json({ names: [] }); // nothing searchable typed yet
      throw err;
    }
    const found = await list(c, undefined, query);
    c.header('Cache-Control', 'private, max-age=30');
    return c.json({ names: [...new Set(found.artifacts.map((a) => a.name))].slice(0, 10) });
  });

  router.get('/browse/:type', async (c) => {
    const type = deps.types.get(c.req.param('type'));
    const view = await searchView(c, `/browse/${type.name}`, type);
    return page(c, <TypePage frame={frame(c, type.displayName)} type={type} view={view} />);
  });

  router.get('/browse/:type/:id', async (c) => {
    const type = deps.types.get(c.req.param('type'));
    const ctx = opContextOf(deps, c as unknown as Context<AppEnv>);
    const artifact = await showArtifact(ctx, { type, id: c.req.param('id').toLowerCase() });
    // The history of this name in the owner's namespace (another project's namesake is another artifact).
    const [versions, dependencies, community] = await Promise.all([list(c, type, {
      filters: [
        { kind: 'compare', field: generic('name'), op: 'eq', values: [artifact.name] },
        { kind: 'compare', field: generic('owner'), op: 'eq', values: [artifact.owner] },
      ],
      latest: false,
      sort: [{ field: generic('version'), direction: 'desc' }],
      limit: 50,
    }), dependencyFacts(ctx, artifact), communityFacts(ctx, artifact)]);
    const pageFrame = frame(c, `${artifact.name} ${artifact.version}`);
    const sections = [
      <CommunitySection facts={community} actor={pageFrame.actor} csrf={pageFrame.csrf} action={`/browse/${type.name}/${artifact.id}`} artifact={artifact} maxChars={deps.config.community.comment_max_chars} />,
      <DependencySection facts={dependencies} />,
    ];
    // Its fields as the version of its type it was made with describes them.
    return page(c, <ArtifactPage frame={pageFrame} view={{ type: deps.types.forArtifact(artifact), artifact, versions: versions.artifacts, sections }} />);
  });

  const safeNext = (raw: unknown): string => (typeof raw === 'string' && raw.startsWith('/') && !raw.startsWith('//') && !raw.startsWith('/\\') ? raw : '/');

  router.get('/sign-in', (c) => {
    const next = safeNext(c.req.query('next'));
    return page(c, <SignInPage frame={frame(c, 'Sign in')} next={next} modes={deps.config.auth.modes} />);
  });

  const formLimit = bodyLimit({ maxSize: FORM_LIMIT_BYTES, onError: () => { throw new PayloadTooLarge(`a form is at most ${FORM_LIMIT_BYTES} bytes`); } });

  const readForm = async (c: Context<WebEnv>): Promise<Record<string, string>> => {
    const type = c.req.header('content-type') ?? '';
    if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data')) throw new BadRequest('a form post is expected');
    const body = await c.req.parseBody();
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(body)) if (typeof v === 'string') out[k] = v;
    return out;
  };

  router.post('/sign-in', formLimit, async (c) => {
    const form = await readForm(c);
    checkCsrf(c, form.csrf);
    const next = safeNext(form.next);
    try {
      await signIn(c, deps.jwt, form.token ?? '', deps.clock());
    } catch (err) {
      if (!(err instanceof Unauthenticated)) throw err;
      return page(c, <SignInPage frame={frame(c, 'Sign in')} next={next} error={err.message} modes={deps.config.auth.modes} />, 401);
    }
    return c.redirect(next, 303);
  });

  /** The artifact a form acts on, and where to go back to afterwards. */
  const formTarget = (c: Context<WebEnv>) => {
    const type = deps.types.get(c.req.param('type') ?? '');
    const id = (c.req.param('id') ?? '').toLowerCase();
    return { target: { type, id }, back: `/browse/${type.name}/${id}#community` };
  };
  const ctxOf = (c: Context<WebEnv>) => opContextOf(deps, c as unknown as Context<AppEnv>);

  router.post('/browse/:type/:id/rating', formLimit, async (c) => {
    const form = await readForm(c);
    checkCsrf(c, form.csrf);
    const { target, back } = formTarget(c);
    if (form.remove) await unrate(ctxOf(c), target);
    else {
      if (!/^\d$/.test(form.score ?? '')) throw new BadRequest('choose a rating from 1 to 5');
      await rate(ctxOf(c), { ...target, score: Number(form.score) });
    }
    return c.redirect(back, 303);
  });

  router.post('/browse/:type/:id/comments', formLimit, async (c) => {
    const form = await readForm(c);
    checkCsrf(c, form.csrf);
    const { target, back } = formTarget(c);
    await addComment(ctxOf(c), { ...target, body: form.body ?? '' });
    return c.redirect(back, 303);
  });

  router.post('/browse/:type/:id/comments/:comment/delete', formLimit, async (c) => {
    const form = await readForm(c);
    checkCsrf(c, form.csrf);
    const { target, back } = formTarget(c);
    await deleteComment(ctxOf(c), { ...target, commentId: c.req.param('comment') });
    return c.redirect(back, 303);
  });

  router.post('/browse/:type/:id/comments/:comment/edit', formLimit, async (c) => {
    const form = await readForm(c);
    checkCsrf(c, form.csrf);
    const { target, back } = formTarget(c);
    await editComment(ctxOf(c), { ...target, commentId: c.req.param('comment'), body: form.body ?? '' });
    return c.redirect(back, 303);
  });

  router.post('/browse/:type/:id/comments/:comment/hidden', formLimit, async (c) => {
    const form = await readForm(c);
    checkCsrf(c, form.csrf);
    const { target, back } = formTarget(c);
    if (form.hidden !== 'true' && form.hidden !== 'false') throw new BadRequest('hidden must be true or false');
    await hideComment(ctxOf(c), { ...target, commentId: c.req.param('comment'), hidden: form.hidden === 'true' });
    return c.redirect(back, 303);
  });

  router.post('/sign-out', formLimit, async (c) => {
    const form = await readForm(c);
    checkCsrf(c, form.csrf);
    signOut(c);
    return c.redirect('/', 303);
  });

  return { router, isPage: isPageRequest };
}
