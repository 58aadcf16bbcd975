/**
 * Full-text search (`q=`) over a small seeded catalog, the same cases on PostgreSQL and PGlite:
 * prefix matching, ranking (a name match above a description match), every filter combining,
 * paging in rank order, and bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Body } from '../support/json.js';
import type { TestNode } from '../support/node.js';

export function searchSuite(getNode: () => TestNode): void {
  let node: TestNode;
  let p1: Record<string, string>;

  const names = async (path: string, as?: Record<string, string>) => {
    const res = await node.request('GET', path, { as: as ?? p1 });
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(200);
    return (body.artifacts as Body[]).map((a) => a.name as string);
  };

  beforeAll(async () => {
    node = getNode();
    p1 = node.as({ project: 'p1' });
    const seed = (type: string, body: Record<string, unknown>, publish = true) => node.seed(type, body, { as: p1, activate: true, publish });
    // The word "kubernetes" in a name, in tags, in the provider, and only in a description.
    await seed('images', { name: 'kubernetes-node', version: '1.0.0', description: 'A worker image.' });
    await seed('images', { name: 'kubernetes-node', version: '2.0.0', description: 'A worker image, newer.' });
    await seed('images', { name: 'plain-vm', version: '1.0.0', description: 'Runs containers for Kubernetes clusters among other things.' });
    await seed('images', { name: 'tagged-vm', version: '1.0.0', tags: ['kubernetes'], description: 'Nothing else here.' });
    await seed('images', { name: 'vendor-vm', version: '1.0.0', provided_by: { name: 'Kubernetes Friends', company: 'K Corp' } });
    await seed('images', { name: 'ubuntu-server', version: '22.4.0', description: 'Ubuntu servers for the web.', tags: ['linux'], metadata: { os: 'ubuntu' } });
    await seed('images', { name: 'app-image', version: '1.0.0', metadata: { display_name: 'Wordpress Blog (for use with MySQL)', keywords: 'cms blogging' } });
    await seed('vnf_packages', { name: 'kubernetes-cluster', version: '1.0.0', vendor: 'acme', description: 'A network function.' });
    await seed('images', { name: 'kubernetes-private', version: '1.0.0' }, false);
  });

  describe('q=', () => {
    it('finds by a prefix of a word (type-ahead) and ranks name matches above tag, provider and description matches', async () => {
      const found = await names('/artifacts/images?q=kube');
      // Equal ranks among the name matches: their order is the id's, so compare them as a set.
      expect(found.slice(0, 3).sort()).toEqual(['kubernetes-node', 'kubernetes-node', 'kubernetes-private']);
      expect(found.slice(3)).toEqual(['tagged-vm', 'vendor-vm', 'plain-vm']);
    });

    it('stems words (servers finds server) and requires every word', async () => {
      expect(await names('/artifacts/images?q=servers')).toEqual(['ubuntu-server']);
      expect(await names('/artifacts/images?q=ubuntu%20web')).toEqual(['ubuntu-server']);
      expect(await names('/artifacts/images?q=ubuntu%20kubernetes')).toEqual([]);
    });

    it('searches the display name and keywords kept in metadata', async () => {
      expect(await names('/artifacts/images?q=wordpress')).toEqual(['app-image']);
      expect(await names('/artifacts/images?q=blogging')).toEqual(['app-image']);
      expect(await names('/artifacts/images?q=mysql')).toEqual(['app-image']);
    });

    it('combines with every other filter', async () => {
      expect(await names('/artifacts/images?q=kubernetes&version=gt:1.0.0')).toEqual(['kubernetes-node']);
      expect(await names('/artifacts/images?q=kubernetes&version=latest&name=kubernetes-node')).toEqual(['kubernetes-node']);
      expect(await names('/artifacts/images?q=kubernetes&tags=kubernetes')).toEqual(['tagged-vm']);
      expect(await names('/artifacts/images?q=ubuntu&metadata.os=ubuntu')).toEqual(['ubuntu-server']);
      expect(await names('/artifacts/images?q=kubernetes&name=like:%25vm')).toEqual(['tagged-vm', 'vendor-vm', 'plain-vm']);
      expect(await names('/artifacts/images?q=kubernetes&visibility=private')).toEqual(['kubernetes-private']);
    });

    it('sorts by an explicit sort key instead of relevance when one is given', async () => {
      expect(await names('/artifacts/images?q=kubernetes&sort=name:asc')).toEqual(['kubernetes-node', 'kubernetes-node', 'kubernetes-private', 'plain-vm', 'tagged-vm', 'vendor-vm']);
    });

    it('pages in rank order with markers, without skipping or repeating', async () => {
      const seen: string[] = [];
      let path: string | undefined = '/artifacts/images?q=kubernetes&limit=2';
      while (path) {
        const body: Body = await (await node.request('GET', path, { as: p1 })).json();
        seen.push(...(body.artifacts as Body[]).map((a) => `${a.name}@${a.version}`));
        path = body.next;
      }
      const all: Body = await (await node.request('GET', '/artifacts/images?q=kubernetes&limit=100', { as: p1 })).json();
      expect(seen).toEqual((all.artifacts as Body[]).map((a) => `${a.name}@${a.version}`));
      expect(seen).toHaveLength(6);
    });

    it('searches across types in /artifacts/all, and anonymous callers find only public artifacts', async () => {
      const all = await names('/artifacts/all?q=kubernetes', {});
      expect(all.slice(0, 3).sort()).toEqual(['kubernetes-cluster', 'kubernetes-node', 'kubernetes-node']);
      expect(all).not.toContain('kubernetes-private');
      expect(all).toHaveLength(6);
    });

    it('refuses a search with no words, an over-long word, and relevance without a search', async () => {
      for (const bad of ['q=', 'q=%20%2B%2B', `q=${'a'.repeat(65)}`, 'sort=relevance']) {
        const res = await node.request('GET', `/artifacts/images?${bad}`, { as: p1 });
        expect(res.status, bad).toBe(400);
        expect(JSON.stringify(await res.json())).toMatch(/q|relevance/);
      }
    });

    it('takes query syntax as plain words', async () => {
      expect(await names(`/artifacts/images?q=${encodeURIComponent("kube:* | !'x' & (")}`)).toEqual([]);
      expect(await names(`/artifacts/images?q=${encodeURIComponent('kube*')}`)).toHaveLength(6);
    });
  });
}

/**
 * The suite twice: on a node that sorts such small lists in one statement, and on one whose count
 * bound of 1 makes every list be read in parts, tier by tier (db/queries/list-parts.ts).
 */
export function searchSuiteBothWays(create: (overrides: Record<string, unknown>) => Promise<TestNode>): void {
  const ways: Array<[string, Record<string, unknown>]> = [
    ['a small list, sorted in one statement', {}],
    ['a list read in parts, tier by tier', { api: { list_count_exact_up_to: 1 } }],
  ];
  for (const [title, overrides] of ways) {
    describe(title, () => {
      let node: TestNode;
      beforeAll(async () => {
        node = await create(overrides);
      });
      afterAll(() => node.close());
      searchSuite(() => node);
    });
  }
}
