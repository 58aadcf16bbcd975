/** The web catalog over plain HTTP: status, content, escaping, CSP, sign-in and CSRF. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANONYMOUS } from '../../src/artifacts/actor.js';
import { opContext } from '../../src/artifacts/context.js';
import { countFacets } from '../../src/artifacts/facets.js';
import { PAGE_CSP } from '../../src/web/catalog.js';
import { listQueryOf } from '../../src/web/search.js';
import { createTestNode, type TestNode } from '../support/node.js';
import { HOT, HOT_SHA256, seedCatalog, type SeededCatalog } from './catalog-fixture.js';

let node: TestNode;
let seeded: SeededCatalog;

const HTML = { accept: 'text/html,application/xhtml+xml' };

async function page(path: string, headers: Record<string, string> = {}) {
  const res = await node.app.request(path, { headers: { ...HTML, ...headers } });
  return { res, html: await res.text() };
}

/** The cookies a response sets, as name → value (empty value: deleted). */
function setCookies(res: Response): Record<string, { value: string; attributes: string }> {
  const out: Record<string, { value: string; attributes: string }> = {};
  for (const line of res.headers.getSetCookie()) {
    const [pair = '', ...attributes] = line.split(';');
    const eq = pair.indexOf('=');
    out[pair.slice(0, eq).trim()] = { value: pair.slice(eq + 1), attributes: attributes.join(';') };
  }
  return out;
}

/** A browser's CSRF cookie and the token the page's forms carry. */
async function csrf(): Promise<{ cookie: string; token: string }> {
  const { res, html } = await page('/sign-in');
  const token = setCookies(res).catalog_csrf!.value;
  expect(html).toContain(`name="csrf" value="${token}"`);
  return { cookie: `catalog_csrf=${token}`, token };
}

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

async function signInCookie(token: string): Promise<string> {
  const c = await csrf();
  const res = await node.app.request('/sign-in', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: c.cookie, origin: 'http://localhost' },
    body: form({ csrf: c.token, token, next: '/search' }),
  });
  expect(res.status).toBe(303);
  const session = setCookies(res).catalog_session!;
  return `catalog_session=${session.value}; ${c.cookie}`;
}

beforeAll(async () => {
  node = await createTestNode();
  seeded = await seedCatalog(node);
});
afterAll(() => node.close());

describe('front page', () => {
  it('answers browsers with HTML under the pages’ CSP, and everyone else with the version document', async () => {
    const { res, html } = await page('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toBe(PAGE_CSP);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(html).toContain('<h1>Artifact catalog</h1>');
    // Counts per type: three public Heat templates, one image (the private one is p2's).
    expect(html).toMatch(/href="\/browse\/heat_templates">[^<]*<span class="muted">\(3\)/);
    expect(html).toMatch(/href="\/browse\/images">[^<]*<span class="muted">\(1\)/);
    expect(html).not.toContain('secret-stack');

    const api = await node.app.request('/', { headers: { accept: 'application/json' } });
    expect(api.status).toBe(200);
    expect((await api.json()) as unknown).toMatchObject({ versions: [{ id: 'v1.1' }] });
    expect(api.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('serves its stylesheet and script from the node, cacheable, with a 304 on revalidation', async () => {
    const res = await node.app.request('/assets/app.css');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/css/);
    const again = await node.app.request('/assets/app.css', { headers: { 'if-none-match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
    expect((await node.app.request('/assets/nope.js', { headers: HTML })).status).toBe(404);
  });
});

describe('search', () => {
  it('matches names, narrows by facets, and pages', async () => {
    const { res, html } = await page('/search?q=web');
    expect(res.status).toBe(200);
    expect(html).toContain(`href="/browse/heat_templates/${seeded.webServer2.id}"`);
    expect(html).not.toContain('cirros');
    // Facets offer the values of what matched.
    expect(html).toContain('href="/search?q=web&amp;license=Apache-2.0"');
    expect(html).toContain('href="/search?q=web&amp;provider=Acme+Cloud"');
    expect(html).toContain('href="/search?q=web&amp;release=2024.1"');
    // Both versions of web-server match: every count is over the whole result, exactly.
    expect(html).toMatch(/license=Apache-2\.0">Apache-2\.0<\/a> <span class="muted">\(2\)<\/span>/);
    expect(html).not.toContain('at least n');

    const byLicense = await page('/search?license=GPL-2.0');
    expect(byLicense.html).toContain('cirros');
    expect(byLicense.html).not.toContain('web-server');
    const byTag = await page('/search?tag=nginx&type=heat_templates');
    expect(byTag.html).toContain('web-server');
    expect(byTag.html).not.toContain('cirros');
    const byRelease = await page('/search?release=2023.2');
    expect(byRelease.html).toContain('cirros');
    expect(byRelease.html).not.toContain('web-server');
    const byProvider = await page('/search?provider=Acme+Cloud&sort=name');
    expect(byProvider.html.match(/class="result"/g)).toHaveLength(2);
  });

  it('searches the full text: words as prefixes, across name, description and tags, best match first', async () => {
    expect((await page('/search?q=floating')).html).toContain('web-server');
    expect((await page('/search?q=ngin')).html).toContain('web-server');
    const both = await page('/search?q=tiny+image');
    expect(both.html).toContain('cirros');
    expect(both.html).not.toContain('web-server');
    expect(both.html).toContain('<option value="relevance" selected="">Best match</option>');
    // Text with no word in it says so, as the API does.
    const none = await page('/search?q=%25%25');
    expect(none.res.status).toBe(400);
    expect(none.html).toContain('q: give at least one word');
    expect((await page('/search?sort=relevance')).res.status).toBe(400);
  });

  it('links to the next page when the page is full', async () => {
    for (let i = 0; i < 21; i++) {
      await node.seed('images', { name: `img-${String(i).padStart(2, '0')}`, version: '1.0.0' }, { publish: true });
    }
    // cirros and img-00..img-20: 22 images, 20 a page.
    const first = await page('/search?type=images&sort=name');
    expect(first.html.match(/class="result"/g)).toHaveLength(20);
    expect(first.html).toContain('22 matches');
    const next = /href="(\/search\?type=images&amp;sort=name&amp;marker=[0-9a-f-]+)" rel="next"/.exec(first.html);
    expect(next).not.toBeNull();
    const second = await page(next![1]!.replaceAll('&amp;', '&'));
    expect(second.html.match(/class="result"/g)).toHaveLength(2);
    expect(second.html).toContain('img-20');
    expect(second.html).not.toContain('img-18');
    expect(second.html).not.toContain('rel="next"');
  });

  it('counts facets exactly up to the tally bound, and as lower bounds (n+) past it', async () => {
    const ctx = opContext(node.deps, ANONYMOUS);
    const query = listQueryOf({ q: '', tags: [], license: 'Apache-2.0' });
    const whole = await countFacets(ctx, { query, sampleLimit: 1000, top: 12 });
    expect(whole).toMatchObject({ exact: true, tallied: 2 });
    expect(whole.facets.license).toEqual([{ value: 'Apache-2.0', count: 2 }]);
    expect(whole.facets.tags).toEqual([{ value: 'nginx', count: 2 }, { value: 'web', count: 2 }]);
    // Tallying at most one of the two matches: a lower bound, and said to be one.
    const bounded = await countFacets(ctx, { query, sampleLimit: 1, top: 12 });
    expect(bounded).toMatchObject({ exact: false, tallied: 1 });
    expect(bounded.facets.license[0]!.count).toBeGreaterThanOrEqual(1);
    expect(bounded.facets.license[0]!.count).toBeLessThanOrEqual(2);
    // The private artifact of p2 is counted for p2 only.
    const internal = listQueryOf({ q: '', tags: ['internal'] });
    expect((await countFacets(ctx, { query: internal, sampleLimit: 1000, top: 12 })).facets.tags).toEqual([]);
    const p2 = opContext(node.deps, { kind: 'user', userId: 'x', projectId: 'p2', roles: [], isAdmin: false });
    expect((await countFacets(p2, { query: internal, sampleLimit: 1000, top: 12 })).facets.tags).toEqual([{ value: 'internal', count: 1 }]);
  });

  it('answers bad parameters with a 400 page naming them, and suggests names as JSON', async () => {
    const bad = await page('/search?sort=sideways');
    expect(bad.res.status).toBe(400);
    expect(bad.html).toContain('sort must be one of relevance, newest, name, updated');
    expect(bad.res.headers.get('content-security-policy')).toBe(PAGE_CSP);
    expect((await page('/search?type=nope')).res.status).toBe(400);
    expect((await page('/search?marker=xyz')).res.status).toBe(400);

    const suggest = await node.app.request('/search/suggest?q=web', { headers: { accept: 'application/json' } });
    expect(await suggest.json()).toEqual({ names: ['web-server'] });
  });
});

describe('artifact and type pages', () => {
  it('shows description, provider, support, license, fields, blobs with sha256 and the version history', async () => {
    const { res, html } = await page(`/browse/heat_templates/${seeded.webServer1.id}`);
    expect(res.status).toBe(200);
    expect(html).toContain('A single web server behind a floating IP.');
    expect(html).toContain('<a href="https://acme.example/" rel="nofollow noopener">Acme Cloud</a>');
    expect(html).toContain('<a href="mailto:support@acme.example">support@acme.example</a>');
    expect(html).toContain('Apache-2.0');
    expect(html).toContain(HOT_SHA256);
    expect(html).toContain(`${HOT.length} bytes`);
    expect(html).toContain(`href="/artifacts/heat_templates/${seeded.webServer1.id}/template"`);
    // Fields of the type, e.g. Heat's default_envs and nested_templates, and the generic ones.
    expect(html).toContain('<dt>default_envs</dt>');
    expect(html).toContain('<dt>release</dt>');
    // Both versions, newest first, the shown one marked.
    expect(html.indexOf('2.0.0')).toBeLessThan(html.indexOf('aria-current="page">1.0.0'));
    expect(html).toContain(`href="/browse/heat_templates/${seeded.webServer2.id}"`);
  });

  it('shows what an artifact requires (resolved) and what requires it', async () => {
    const app = await node.seed('images', { name: 'app-stack', version: '1.0.0', requires: [{ type: 'images', name: 'cirros', range: '^0.6' }] }, { activate: true, as: node.as({ project: 'p1' }) });
    try {
      const own = await page(`/browse/images/${app.id}`, node.as({ project: 'p1' }));
      expect(own.html).toContain('<h2 id="deps-heading">Dependencies</h2>');
      expect(own.html).toContain(`<code>images cirros ^0.6</code> → <a href="/browse/images/${seeded.cirros.id}">cirros 0.6.2</a>`);
      const required = await page(`/browse/images/${seeded.cirros.id}`, node.as({ project: 'p1' }));
      expect(required.html).toContain(`<a href="/browse/images/${app.id}">app-stack 1.0.0</a>`);
      expect(required.html).toContain('requires ^0.6');
      // Anonymous visitors do not see p1's private dependant, and an artifact with no dependencies has no section.
      expect((await page(`/browse/images/${seeded.cirros.id}`)).html).not.toContain('deps-heading');
    } finally {
      await node.request('DELETE', `/artifacts/images/${app.id}`, { as: node.as({ project: 'p1' }) });
    }
  });

  it('downloads the blob its button points at', async () => {
    const res = await node.app.request(`/artifacts/heat_templates/${seeded.webServer1.id}/template`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(HOT);
  });

  it('shows a type’s page with its artifacts and fields; unknown types and ids are 404 pages', async () => {
    const { res, html } = await page('/browse/images?q=cir');
    expect(res.status).toBe(200);
    expect(html).toContain('cirros');
    expect(html).toContain('<code>disk_format</code>');
    for (const path of ['/browse/nope', `/browse/images/${seeded.webServer1.id}`, '/browse/images/not-an-id']) {
      const missing = await page(path);
      expect(missing.res.status, path).toBe(404);
      expect(missing.res.headers.get('content-type')).toMatch(/^text\/html/);
    }
  });
});

describe('ratings, comments and download statistics', () => {
  const artifactPath = () => `/browse/heat_templates/${seeded.webServer1.id}`;
  const post = (path: string, cookie: string, fields: Record<string, string>) =>
    node.app.request(path, { method: 'POST', headers: { ...HTML, 'content-type': 'application/x-www-form-urlencoded', cookie }, body: form(fields) });

  it('lets a signed-in user rate and comment (CSRF-checked), and shows the figures to everyone', async () => {
    const cookie = await signInCookie(await node.token({ project: 'p3', user: 'dave' }));
    const token = /catalog_csrf=([^;]+)/.exec(cookie)![1]!;
    const signedIn = await page(artifactPath(), { cookie });
    expect(signedIn.html).toContain('Not rated yet');
    expect(signedIn.html).toContain('<label for="comment">Add a comment</label>');

    expect((await post(`${artifactPath()}/rating`, cookie, { score: '4' })).status).toBe(403);
    const rated = await post(`${artifactPath()}/rating`, cookie, { csrf: token, score: '4' });
    expect(rated.status).toBe(303);
    expect(rated.headers.get('location')).toBe(`${artifactPath()}#community`);
    expect((await post(`${artifactPath()}/rating`, cookie, { csrf: token, score: '9' })).status).toBe(400);
    expect((await post(`${artifactPath()}/comments`, cookie, { body: 'sneaky' })).status).toBe(403);
    expect((await post(`${artifactPath()}/comments`, cookie, { csrf: token, body: 'Works on 2024.1.\n\n<script>window.__xss=4</script>' })).status).toBe(303);
    expect((await post(`${artifactPath()}/comments`, cookie, { csrf: token, body: '   ' })).status).toBe(400);

    // Ratings belong to the name: the other version's page shows it too; the comment is escaped.
    const anonymous = await page(`/browse/heat_templates/${seeded.webServer2.id}`);
    expect(anonymous.html).toContain('4.0 of 5 (1 rating)');
    expect(anonymous.html).toContain('&lt;script&gt;window.__xss=4&lt;/script&gt;');
    expect(anonymous.html).not.toContain('<script>window.__xss=4');
    expect(anonymous.html).toContain('Sign in to rate and comment.');
    expect(anonymous.html).not.toContain('name="score"');
    // Anonymous form posts are refused by the verbs (they need a user).
    const c = await csrf();
    expect((await post(`${artifactPath()}/rating`, c.cookie, { csrf: c.token, score: '5' })).status).toBe(403);

    const mine = await page(artifactPath(), { cookie });
    expect(mine.html).toContain('your rating: 4');
    const commentId = /action="\/browse\/heat_templates\/[0-9a-f-]+\/comments\/([0-9a-f-]+)\/delete"/.exec(mine.html)?.[1];
    expect(commentId).toBeDefined();
    expect((await post(`${artifactPath()}/comments/${commentId}/delete`, cookie, { csrf: token })).status).toBe(303);
    expect((await page(artifactPath())).html).toContain('No comments yet.');
    expect((await post(`${artifactPath()}/rating`, cookie, { csrf: token, remove: '1' })).status).toBe(303);
    expect((await page(artifactPath())).html).toContain('Not rated yet');
    await post(`${artifactPath()}/rating`, cookie, { csrf: token, score: '5' });
  });

  it('lets the author edit and an admin hide a comment through the page’s forms (CSRF-checked)', async () => {
    const path = `/browse/images/${seeded.cirros.id}`;
    const author = await signInCookie(await node.token({ project: 'p3', user: 'erin' }));
    const authorCsrf = /catalog_csrf=([^;]+)/.exec(author)![1]!;
    expect((await post(`${path}/comments`, author, { csrf: authorCsrf, body: 'Boots in 2 s.' })).status).toBe(303);
    const mine = await page(path, { cookie: author });
    const id = /action="\/browse\/images\/[0-9a-f-]+\/comments\/([0-9a-f-]+)\/edit"/.exec(mine.html)?.[1];
    expect(id).toBeDefined();
    expect(mine.html).toContain('<summary>Edit my comment</summary>');
    expect(mine.html).not.toContain('Hide this comment');

    // Someone else sees neither form, and the edit route refuses them; no CSRF token, no edit.
    const other = await signInCookie(await node.token({ project: 'p3', user: 'frank' }));
    const otherCsrf = /catalog_csrf=([^;]+)/.exec(other)![1]!;
    expect((await page(path, { cookie: other })).html).not.toContain(`/comments/${id}/edit`);
    expect((await post(`${path}/comments/${id}/edit`, other, { csrf: otherCsrf, body: 'vandalised' })).status).toBe(403);
    expect((await post(`${path}/comments/${id}/edit`, author, { body: 'no token' })).status).toBe(403);
    expect((await post(`${path}/comments/${id}/edit`, author, { csrf: authorCsrf, body: ' ' })).status).toBe(400);
    const edited = await post(`${path}/comments/${id}/edit`, author, { csrf: authorCsrf, body: 'Boots in 2 s <b>on KVM</b>.' });
    expect(edited.status).toBe(303);
    expect(edited.headers.get('location')).toBe(`${path}#community`);
    const after = await page(path);
    expect(after.html).toContain('Boots in 2 s &lt;b&gt;on KVM&lt;/b&gt;.');
    expect(after.html).not.toContain('Boots in 2 s.');
    expect(after.html).toContain('· edited');

    // Only an admin hides; then only admins see it, marked hidden, with the way back.
    expect((await post(`${path}/comments/${id}/hidden`, author, { csrf: authorCsrf, hidden: 'true' })).status).toBe(403);
    const admin = await signInCookie(await node.token({ project: 'admin-project', user: 'root', roles: ['admin'] }));
    const adminCsrf = /catalog_csrf=([^;]+)/.exec(admin)![1]!;
    expect((await page(path, { cookie: admin })).html).toContain('Hide this comment');
    expect((await post(`${path}/comments/${id}/hidden`, admin, { csrf: adminCsrf, hidden: 'maybe' })).status).toBe(400);
    expect((await post(`${path}/comments/${id}/hidden`, admin, { csrf: adminCsrf, hidden: 'true' })).status).toBe(303);
    expect((await page(path)).html).not.toContain('on KVM');
    expect((await page(path, { cookie: author })).html).not.toContain('on KVM');
    const adminView = await page(path, { cookie: admin });
    expect(adminView.html).toContain('on KVM');
    expect(adminView.html).toContain('· hidden');
    expect(adminView.html).toContain('Show this comment again');
    expect((await post(`${path}/comments/${id}/hidden`, admin, { csrf: adminCsrf, hidden: 'false' })).status).toBe(303);
    expect((await page(path)).html).toContain('on KVM');
  });

  it('counts downloads on the artifact page and lists the most downloaded and best rated on the front page', async () => {
    for (let i = 0; i < 2; i++) await (await node.app.request(`/artifacts/heat_templates/${seeded.webServer2.id}/template`)).text();
    await node.deps.downloads.flush();
    const { html } = await page(`/browse/heat_templates/${seeded.webServer2.id}`);
    expect(html).toMatch(/<strong>Downloads:<\/strong> 2 of this version, \d+ of all versions/);
    const front = await page('/');
    expect(front.html).toContain('<h2 id="ranked-0">Most downloaded</h2>');
    expect(front.html).toMatch(new RegExp(`href="/browse/heat_templates/${seeded.webServer2.id}">web-server</a> <span class="muted">2.0.0</span> <span class="muted">· Heat template · 2 downloads`));
    expect(front.html).toContain('<h2 id="ranked-1">Best rated</h2>');
    expect(front.html).toContain('5.0 of 5 (1 rating)');
    // Sorting the search by them.
    const sorted = await page('/search?sort=downloads&type=heat_templates');
    const order = [...sorted.html.matchAll(/<li class="result"><h2><a href="\/browse\/heat_templates\/([0-9a-f-]+)"/g)].map((m) => m[1]);
    expect(order[0]).toBe(seeded.webServer2.id);
    expect(order).toHaveLength(3);
  });
});

describe('escaping', () => {
  it('renders hostile names, descriptions, tags and links as inert text', async () => {
    for (const path of ['/search?q=script', '/search?license=%3Ci%3EMIT%3C%2Fi%3E', `/browse/heat_templates/${seeded.hostile.id}`]) {
      const { html } = await page(path);
      expect(html, path).not.toContain('<script>window.__xss');
      expect(html, path).not.toContain('<img src=x');
      expect(html, path).not.toContain('<b onmouseover');
      expect(html, path).not.toContain('javascript:');
      expect(html, path).toContain('&lt;script&gt;window.__xss=1&lt;/script&gt;');
    }
    const { html } = await page(`/browse/heat_templates/${seeded.hostile.id}`);
    expect(html).toContain('&lt;img src=x onerror=&quot;window.__xss=2&quot;&gt;');
    expect(html).toContain('&lt;script&gt;p()&lt;/script&gt;');
    // The search box echoes the query escaped.
    const echoed = await page(`/search?q=${encodeURIComponent('"><script>x()</script>')}`);
    expect(echoed.html).not.toContain('<script>x()');
  });
});

describe('signing in, private artifacts and CSRF', () => {
  it('hides another project’s private artifact from anonymous visitors (404)', async () => {
    expect((await page(`/browse/heat_templates/${seeded.secret.id}`)).res.status).toBe(404);
    expect((await page('/search?q=secret')).html).toContain('0 matches');
  });

  it('signs in with a token kept in an HttpOnly SameSite cookie, then shows the project’s private artifacts', async () => {
    const c = await csrf();
    const res = await node.app.request('/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: c.cookie },
      body: form({ csrf: c.token, token: await node.token({ project: 'p2', user: 'alice' }), next: `/browse/heat_templates/${seeded.secret.id}` }),
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/browse/heat_templates/${seeded.secret.id}`);
    const session = setCookies(res).catalog_session!;
    expect(session.attributes).toMatch(/HttpOnly/);
    expect(session.attributes).toMatch(/SameSite=Lax/);
    const cookie = `catalog_session=${session.value}; ${c.cookie}`;

    const secret = await page(`/browse/heat_templates/${seeded.secret.id}`, { cookie });
    expect(secret.res.status).toBe(200);
    expect(secret.html).toContain('Only project p2 sees this.');
    expect(secret.html).toContain('alice');
    // The download button works for the signed-in browser: the cookie counts for API reads.
    const blob = await node.app.request(`/artifacts/heat_templates/${seeded.secret.id}/template`, { headers: { cookie } });
    expect(blob.status).toBe(200);
    expect(await blob.text()).toBe(HOT);
    // ...but never for API writes.
    const write = await node.app.request('/artifacts/heat_templates', { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'by-cookie' }) });
    expect(write.status).toBeGreaterThanOrEqual(400);
    expect((await page('/search?q=by-cookie', { cookie })).html).toContain('0 matches');
  });

  it('refuses a bad token with the reason, and a stale session cookie signs the page out', async () => {
    const c = await csrf();
    const res = await node.app.request('/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: c.cookie },
      body: form({ csrf: c.token, token: 'not.a.token', next: '/' }),
    });
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('bearer token refused');
    expect(setCookies(res).catalog_session).toBeUndefined();

    const expired = await node.token({ project: 'p2' }, { exp: Math.floor(Date.now() / 1000) - 3600 });
    const stale = await page('/', { cookie: `catalog_session=${expired}` });
    expect(stale.res.status).toBe(200);
    expect(stale.html).toContain('Sign in</a>');
    expect(setCookies(stale.res).catalog_session?.value).toBe('');
    // The API says why instead of quietly acting anonymous.
    expect((await node.app.request('/artifacts/all', { headers: { cookie: `catalog_session=${expired}` } })).status).toBe(401);
  });

  it('refuses form posts without the CSRF token, with a wrong one, or from another origin', async () => {
    const cookie = await signInCookie(await node.token({ project: 'p2' }));
    const token = /catalog_csrf=([^;]+)/.exec(cookie)![1]!;
    const post = (body: string, headers: Record<string, string> = {}) =>
      node.app.request('/sign-out', { method: 'POST', headers: { ...HTML, 'content-type': 'application/x-www-form-urlencoded', cookie, ...headers }, body });
    for (const [body, headers] of [
      ['', {}],
      [form({ csrf: 'A'.repeat(43) }), {}],
      [form({ csrf: token }), { origin: 'https://evil.example' }],
    ] as const) {
      const res = await post(body, headers);
      expect(res.status).toBe(403);
      expect(res.headers.get('content-security-policy')).toBe(PAGE_CSP);
      expect(setCookies(res).catalog_session).toBeUndefined();
    }
    const ok = await post(form({ csrf: token }));
    expect(ok.status).toBe(303);
    expect(setCookies(ok).catalog_session?.value).toBe('');
  });

  it('takes the auth proxy’s headers as the user in trusted-headers mode', async () => {
    const { html } = await page('/search?q=secret', node.as({ project: 'p2', user: 'bob' }));
    expect(html).toContain('secret-stack');
    expect(html).toContain('bob');
    expect(html).not.toContain('Sign out');
  });

  it('sends visitors to the sign-in page on a node that allows no anonymous access', async () => {
    const closed = await createTestNode({ auth: { modes: ['jwt'] } });
    try {
      const res = await closed.app.request('/search?q=x', { headers: HTML });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/sign-in?next=%2Fsearch%3Fq%3Dx');
      expect((await closed.app.request('/sign-in', { headers: HTML })).status).toBe(200);
      expect((await closed.app.request('/assets/app.css')).status).toBe(200);
    } finally {
      await closed.close();
    }
  });
});
