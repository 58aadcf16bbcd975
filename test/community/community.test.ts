/**
 * Ratings, comments and download statistics over HTTP against PostgreSQL: who may read and
 * write, what is kept, concurrency, and sorting lists by them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANONYMOUS } from '../../src/artifacts/actor.js';
import { opContext } from '../../src/artifacts/context.js';
import { showArtifact } from '../../src/artifacts/read.js';
import { communitySummaries } from '../../src/community/summary.js';
import type { Body } from '../support/json.js';
import { createTestNode, type TestNode } from '../support/node.js';

let node: TestNode;
let owner: Record<string, string>;
const user = (name: string, project = 'readers') => node.as({ project, user: name });

async function publicVnf(name: string, version = '1.0.0'): Promise<Body> {
  return node.seed('vnf_packages', { name, version, vendor: 'acme' }, { as: owner, publish: true });
}

beforeAll(async () => {
  // A count bound of 1: lists sorted by downloads or rating are read in parts (db/queries/list-parts.ts).
  node = await createTestNode({ community: { download_flush_ms: 60_000, comment_max_chars: 200 }, api: { list_count_exact_up_to: 1 } });
  owner = node.as({ project: 'p1', user: 'owner' });
});
afterAll(() => node.close());

describe('ratings', () => {
  it('anonymous callers read the rating and may not rate', async () => {
    const a = await publicVnf('rated-anon');
    const read = await node.request('GET', `/artifacts/vnf_packages/${a.id}/rating`);
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual({ average: null, count: 0 });
    const write = await node.request('PUT', `/artifacts/vnf_packages/${a.id}/rating`, { json: { score: 5 } });
    expect(write.status).toBe(403);
  });

  it('one rating per user per name, changeable, shared by every version, removable', async () => {
    const v1 = await publicVnf('rated', '1.0.0');
    const v2 = await publicVnf('rated', '2.0.0');
    expect(await (await node.request('PUT', `/artifacts/vnf_packages/${v1.id}/rating`, { as: user('ann'), json: { score: 2 } })).json()).toEqual({ average: 2, count: 1, mine: 2 });
    // Ann changes her mind, on the other version: still one rating of hers.
    expect(await (await node.request('PUT', `/artifacts/vnf_packages/${v2.id}/rating`, { as: user('ann'), json: { score: 4 } })).json()).toEqual({ average: 4, count: 1, mine: 4 });
    await node.request('PUT', `/artifacts/vnf_packages/${v1.id}/rating`, { as: user('bob'), json: { score: 5 } });
    expect(await (await node.request('GET', `/artifacts/vnf_packages/${v1.id}/rating`)).json()).toEqual({ average: 4.5, count: 2 });
    expect(await (await node.request('DELETE', `/artifacts/vnf_packages/${v1.id}/rating`, { as: user('bob') })).json()).toEqual({ average: 4, count: 1 });
    expect((await node.request('DELETE', `/artifacts/vnf_packages/${v1.id}/rating`, { as: user('bob') })).status).toBe(404);
  });

  it('refuses scores outside 1 to 5 and non-integers, naming the field', async () => {
    const a = await publicVnf('rated-bad');
    for (const score of [0, 6, 3.5, '4', null]) {
      const res = await node.request('PUT', `/artifacts/vnf_packages/${a.id}/rating`, { as: user('ann'), json: { score } });
      expect(res.status, String(score)).toBe(400);
      expect((await res.json()).error.message).toMatch(/score/);
    }
  });

  it('answers 404 for an artifact the caller cannot see, and does not rate drafts', async () => {
    const draft = await node.seed('vnf_packages', { name: 'draft', vendor: 'acme' }, { as: owner });
    expect((await node.request('GET', `/artifacts/vnf_packages/${draft.id}/rating`, { as: user('ann') })).status).toBe(404);
    expect((await node.request('PUT', `/artifacts/vnf_packages/${draft.id}/rating`, { as: owner, json: { score: 5 } })).status).toBe(403);
  });

  it('keeps an exact average when 60 users rate at once', async () => {
    const a = await publicVnf('rated-busy');
    const scores = Array.from({ length: 60 }, (_, i) => (i % 5) + 1);
    const answers = await Promise.all(scores.map((score, i) => node.request('PUT', `/artifacts/vnf_packages/${a.id}/rating`, { as: user(`u${i}`), json: { score } })));
    expect(answers.map((r) => r.status)).toEqual(scores.map(() => 200));
    expect(await (await node.request('GET', `/artifacts/vnf_packages/${a.id}/rating`)).json()).toEqual({ average: 3, count: 60 });
  });

  it('does not mix two projects’ artifacts of the same name', async () => {
    const mine = await publicVnf('same-name');
    const theirs = await node.seed('vnf_packages', { name: 'same-name', version: '9.0.0', vendor: 'x' }, { as: node.as({ project: 'p2' }), publish: true });
    await node.request('PUT', `/artifacts/vnf_packages/${mine.id}/rating`, { as: user('ann'), json: { score: 1 } });
    expect(await (await node.request('GET', `/artifacts/vnf_packages/${theirs.id}/rating`)).json()).toEqual({ average: null, count: 0 });
  });
});

describe('comments', () => {
  it('users comment; everyone reads, oldest first, with author and time; anonymous callers may not comment', async () => {
    const a = await publicVnf('commented');
    const posted = await node.request('POST', `/artifacts/vnf_packages/${a.id}/comments`, { as: user('ann'), json: { body: '  Works well.\r\nThanks!  ' } });
    expect(posted.status).toBe(201);
    const first = await posted.json();
    expect(first).toMatchObject({ body: 'Works well.\nThanks!', author: { user_id: 'ann', project_id: 'readers' }, edited_at: null, hidden: false });
    expect(posted.headers.get('location')).toBe(`/artifacts/vnf_packages/${a.id}/comments/${first.id}`);
    await node.request('POST', `/artifacts/vnf_packages/${a.id}/comments`, { as: user('bob'), json: { body: 'Second.' } });
    expect((await node.request('POST', `/artifacts/vnf_packages/${a.id}/comments`, { json: { body: 'anon' } })).status).toBe(403);

    const list = await (await node.request('GET', `/artifacts/vnf_packages/${a.id}/comments`)).json();
    expect(list.total_count).toBe(2);
    expect(list.comments.map((c: Body) => c.body)).toEqual(['Works well.\nThanks!', 'Second.']);
  });

  it('keeps markup as plain text, and refuses empty, over-long and control-character bodies', async () => {
    const a = await publicVnf('commented-text');
    const markup = '<script>alert(1)</script> & <b>bold</b>';
    const res = await node.request('POST', `/artifacts/vnf_packages/${a.id}/comments`, { as: user('ann'), json: { body: markup } });
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await res.json()).body).toBe(markup);
    for (const body of ['   ', 'x'.repeat(201), 'bell\u0007', 42]) {
      const bad = await node.request('POST', `/artifacts/vnf_packages/${a.id}/comments`, { as: user('ann'), json: { body } });
      expect(bad.status, JSON.stringify(body)).toBe(400);
    }
    expect((await node.request('POST', `/artifacts/vnf_packages/${a.id}/comments`, { as: user('ann'), json: { body: 'x'.repeat(200) } })).status).toBe(201);
  });

  it('only the author edits and deletes; an admin hides, and then only admins see it', async () => {
    const a = await publicVnf('moderated');
    const c = await (await node.request('POST', `/artifacts/vnf_packages/${a.id}/comments`, { as: user('ann'), json: { body: 'first take' } })).json();
    const path = `/artifacts/vnf_packages/${a.id}/comments/${c.id}`;
    expect((await node.request('PATCH', path, { as: user('bob'), json: { body: 'hijack' } })).status).toBe(403);
    expect((await node.request('PATCH', path, { json: { body: 'anon' } })).status).toBe(403);
    const edited = await node.request('PATCH', path, { as: user('ann'), json: { body: 'second take' } });
    expect(await edited.json()).toMatchObject({ body: 'second take', edited_at: expect.any(String) });

    expect((await node.request('PUT', `${path}/hidden`, { as: user('bob') })).status).toBe(403);
    expect((await node.request('PUT', `${path}/hidden`, { as: node.admin })).status).toBe(200);
    expect((await (await node.request('GET', `/artifacts/vnf_packages/${a.id}/comments`)).json()).comments).toEqual([]);
    expect((await node.request('PATCH', path, { as: user('ann'), json: { body: 'again' } })).status).toBe(404);
    const asAdmin = await (await node.request('GET', `/artifacts/vnf_packages/${a.id}/comments`, { as: node.admin })).json();
    expect(asAdmin.comments).toMatchObject([{ id: c.id, hidden: true }]);
    await node.request('DELETE', `${path}/hidden`, { as: node.admin });

    expect((await node.request('DELETE', path, { as: user('bob') })).status).toBe(403);
    expect((await node.request('DELETE', path, { as: user('ann') })).status).toBe(204);
    expect((await (await node.request('GET', `/artifacts/vnf_packages/${a.id}/comments`)).json()).total_count).toBe(0);
  });

  it('pages with next, and keeps every one of 40 concurrent comments', async () => {
    const a = await publicVnf('busy-thread');
    const posts = await Promise.all(Array.from({ length: 40 }, (_, i) => node.request('POST', `/artifacts/vnf_packages/${a.id}/comments`, { as: user(`u${i}`), json: { body: `comment ${i}` } })));
    expect(posts.every((r) => r.status === 201)).toBe(true);
    const seen: string[] = [];
    let path: string | undefined = `/artifacts/vnf_packages/${a.id}/comments?limit=15`;
    while (path) {
      const page: Body = await (await node.request('GET', path)).json();
      seen.push(...page.comments.map((c: Body) => c.body));
      path = page.next;
    }
    expect(seen.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `comment ${i}`).sort());
    expect((await node.request('GET', `/artifacts/vnf_packages/${a.id}/comments?marker=nope`)).status).toBe(400);
  });
});

describe('download statistics', () => {
  async function withDescriptor(name: string, version = '1.0.0'): Promise<Body> {
    const a = await node.seed('vnf_packages', { name, version, vendor: 'acme' }, { as: owner });
    const put = await node.request('PUT', `/artifacts/vnf_packages/${a.id}/descriptor`, { as: owner, body: 'x'.repeat(1000), headers: { 'content-type': 'application/octet-stream' } });
    expect(put.status).toBe(200);
    const pub = await node.request('PATCH', `/artifacts/vnf_packages/${a.id}`, { as: node.admin, patch: [{ op: 'replace', path: '/status', value: 'active' }, { op: 'replace', path: '/visibility', value: 'public' }] });
    expect(pub.status).toBe(200);
    return a;
  }
  const stats = async (id: string) => {
    await node.deps.downloads.flush();
    return (await node.request('GET', `/artifacts/vnf_packages/${id}/downloads`)).json();
  };

  it('counts 100 parallel downloads of one blob exactly 100 times, per day and in total', async () => {
    const a = await withDescriptor('popular');
    const answers = await Promise.all(Array.from({ length: 100 }, () => node.request('GET', `/artifacts/vnf_packages/${a.id}/descriptor`)));
    expect(answers.map((r) => r.status)).toEqual(answers.map(() => 200));
    await Promise.all(answers.map((r) => r.arrayBuffer()));
    const today = new Date().toISOString().slice(0, 10);
    expect(await stats(a.id)).toMatchObject({ downloads: 100, name_downloads: 100, days: [{ day: today, downloads: 100 }] });
  });

  it('does not count a client resuming with a Range past the first byte, a HEAD or a 304', async () => {
    const a = await withDescriptor('resumed');
    const url = `/artifacts/vnf_packages/${a.id}/descriptor`;
    const start = await node.request('GET', url, { headers: { range: 'bytes=0-499' } });
    expect(start.status).toBe(206);
    const rest = await node.request('GET', url, { headers: { range: 'bytes=500-' } });
    expect(rest.status).toBe(206);
    expect((await node.request('HEAD', url)).status).toBe(200);
    const etag = start.headers.get('etag')!;
    expect((await node.request('GET', url, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await stats(a.id)).downloads).toBe(1);
  });

  it('adds up the versions of a name, and anonymous callers read but cannot see drafts’ statistics', async () => {
    const v1 = await withDescriptor('versioned', '1.0.0');
    const v2 = await withDescriptor('versioned', '2.0.0');
    await node.request('GET', `/artifacts/vnf_packages/${v1.id}/descriptor`);
    await node.request('GET', `/artifacts/vnf_packages/${v2.id}/descriptor`);
    await node.request('GET', `/artifacts/vnf_packages/${v2.id}/descriptor`);
    expect(await stats(v2.id)).toMatchObject({ downloads: 2, name_downloads: 3 });
    const draft = await node.seed('vnf_packages', { name: 'hidden-stats', vendor: 'acme' }, { as: owner });
    expect((await node.request('GET', `/artifacts/vnf_packages/${draft.id}/downloads`)).status).toBe(404);
    expect((await node.request('GET', `/artifacts/vnf_packages/${v1.id}/downloads?days=0`)).status).toBe(400);
  });

  it('sorts lists by downloads and by rating', async () => {
    const low = await withDescriptor('sort-low');
    const high = await withDescriptor('sort-high');
    for (let i = 0; i < 3; i++) await node.request('GET', `/artifacts/vnf_packages/${high.id}/descriptor`);
    await node.request('GET', `/artifacts/vnf_packages/${low.id}/descriptor`);
    await node.deps.downloads.flush();
    const byDownloads = await (await node.request('GET', '/artifacts/vnf_packages?name=like:sort-%25&sort=downloads:desc')).json();
    expect(byDownloads.artifacts.map((a: Body) => a.name)).toEqual(['sort-high', 'sort-low']);

    await node.request('PUT', `/artifacts/vnf_packages/${low.id}/rating`, { as: user('ann'), json: { score: 5 } });
    await node.request('PUT', `/artifacts/vnf_packages/${high.id}/rating`, { as: user('ann'), json: { score: 2 } });
    const byRating = await (await node.request('GET', '/artifacts/vnf_packages?name=like:sort-%25&sort=rating:desc&limit=1')).json();
    expect(byRating.artifacts.map((a: Body) => a.name)).toEqual(['sort-low']);
    const next = await (await node.request('GET', byRating.next)).json();
    expect(next.artifacts.map((a: Body) => a.name)).toEqual(['sort-high']);
  });

  it('pages by downloads and by rating one at a time, both ways, through counted and uncounted artifacts and ties', async () => {
    const made = [await withDescriptor('paged-a'), await withDescriptor('paged-a', '2.0.0'), await withDescriptor('paged-b'), await withDescriptor('paged-c'), await withDescriptor('paged-d')];
    const downloads = [2, 2, 1, 0, 0];
    for (const [i, a] of made.entries()) for (let n = 0; n < downloads[i]!; n++) await (await node.request('GET', `/artifacts/vnf_packages/${a.id}/descriptor`)).arrayBuffer();
    await node.deps.downloads.flush();
    // paged-a's two versions share the name's rating: a tie broken by id.
    const scores: Record<string, number> = { 'paged-a': 4, 'paged-b': 2 };
    for (const [name, score] of Object.entries(scores)) {
      const a = made.find((m) => m.name === name)!;
      expect((await node.request('PUT', `/artifacts/vnf_packages/${a.id}/rating`, { as: user('pat'), json: { score } })).status).toBe(200);
    }
    const figure = { downloads: (a: Body) => downloads[made.indexOf(a)]!, rating: (a: Body) => scores[a.name as string] ?? 0 };
    for (const key of ['downloads', 'rating'] as const) {
      for (const dir of ['desc', 'asc'] as const) {
        const sign = dir === 'desc' ? -1 : 1;
        const expected = [...made].sort((x, y) => sign * (figure[key](x) - figure[key](y)) || sign * ((x.id as string) < (y.id as string) ? -1 : 1)).map((a) => a.id);
        const seen: string[] = [];
        let path: string | undefined = `/artifacts/vnf_packages?name=like:paged-%25&sort=${key}:${dir}&limit=1`;
        while (path) {
          const body: Body = await (await node.request('GET', path)).json();
          seen.push(...(body.artifacts as Body[]).map((a) => a.id as string));
          path = body.next;
        }
        expect(seen, `${key}:${dir}`).toEqual(expected);
      }
    }
  });
});

describe('the OpenAPI document', () => {
  it('describes the community routes', async () => {
    const doc = await (await node.request('GET', '/openapi.json')).json();
    for (const path of ['/artifacts/{type}/{id}/rating', '/artifacts/{type}/{id}/comments', '/artifacts/{type}/{id}/comments/{comment_id}', '/artifacts/{type}/{id}/comments/{comment_id}/hidden', '/artifacts/{type}/{id}/downloads']) {
      expect(doc.paths[path], path).toBeDefined();
    }
  });
});

describe('communitySummaries (what the web pages show on every artifact)', () => {
  it('gives a page of artifacts their ratings and downloads in one call', async () => {
    const a = await publicVnf('summarised');
    await node.request('PUT', `/artifacts/vnf_packages/${a.id}/rating`, { as: user('ann'), json: { score: 3 } });
    const b = await publicVnf('unrated');
    const ctx = opContext(node.deps, ANONYMOUS);
    const shown = await Promise.all([a, b].map((x) => showArtifact(ctx, { id: x.id })));
    const summaries = await communitySummaries(ctx, shown);
    expect(summaries.get(a.id)).toEqual({ rating: { average: 3, count: 1 }, downloads: 0 });
    expect(summaries.get(b.id)).toEqual({ rating: { count: 0 }, downloads: 0 });
  });
});
