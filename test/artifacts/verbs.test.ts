/**
 * The typed catalog core as jobs, importers and peer nodes call it: verbs with a context and a
 * typed intent, no HTTP. Against a real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANONYMOUS, peerActor, systemActor, userActor, type Actor } from '../../src/artifacts/actor.js';
import { setExternalBlob } from '../../src/artifacts/blobs.js';
import { opContext, withTransaction } from '../../src/artifacts/context.js';
import { createArtifact } from '../../src/artifacts/create.js';
import type { CatalogEvent } from '../../src/artifacts/events.js';
import { listArtifacts, showArtifact } from '../../src/artifacts/read.js';
import { activateArtifact, publishArtifact, updateArtifact } from '../../src/artifacts/update.js';
import { Forbidden, NotFound } from '../../src/errors.js';
import { createTestNode, type TestNode } from '../support/node.js';

let node: TestNode;
beforeAll(async () => {
  node = await createTestNode();
});
afterAll(() => node.close());

const ctx = (actor: Actor) => opContext(node.deps, actor);
const templates = () => node.deps.types.get('heat_environments');
const member = (project: string) => userActor({ userId: `u-${project}`, projectId: project, roles: ['member'], adminRole: 'admin' });

function recordEvents(): { events: CatalogEvent[]; stop: () => void } {
  const events: CatalogEvent[] = [];
  const stop = node.deps.events.on((e) => events.push(e));
  return { events, stop };
}

describe('typed verbs', () => {
  it('let the node itself (an importer) create, activate and publish for a project', async () => {
    const importer = ctx(systemActor('test-importer', 'imports'));
    const type = templates();
    const created = await createArtifact(importer, { type, values: { name: 'imported-env', version: '1.2', tags: ['imported'] } });
    expect(created).toMatchObject({ owner: 'imports', status: 'drafted', visibility: 'private', version: '1.2.0', tags: ['imported'] });
    const location = { url: 'https://example.org/env.yaml', md5: null, sha1: null, sha256: 'a'.repeat(64), size: 12 };
    const withBlob = await setExternalBlob(importer, { type, id: created.id, field: 'environment', location });
    expect(withBlob.blobs).toMatchObject([{ field: 'environment', external: true, url: location.url, sha256: location.sha256, status: 'active' }]);
    await activateArtifact(importer, { type, id: created.id });
    const published = await publishArtifact(importer, { type, id: created.id });
    expect(published).toMatchObject({ status: 'active', visibility: 'public' });
    expect(published.activatedAt).toBeInstanceOf(Date);
    // what anyone now sees
    expect((await showArtifact(ctx(ANONYMOUS), { type, id: created.id })).name).toBe('imported-env');
  });

  it('refuse the node itself a write when it acts for no project', async () => {
    await expect(createArtifact(ctx(systemActor('no-project')), { type: templates(), values: { name: 'x' } })).rejects.toBeInstanceOf(Forbidden);
  });

  it('run several verbs in one transaction: all or nothing, events only after the commit', async () => {
    const type = templates();
    const owner = ctx(member('tx-project'));
    const { events, stop } = recordEvents();
    await expect(
      withTransaction(owner, async (tx) => {
        await createArtifact(tx, { type, values: { name: 'tx-a' } });
        await createArtifact(tx, { type, values: { name: 'tx-b' } });
        expect(events).toEqual([]); // nothing is told before the commit
        throw new Error('the job failed half way');
      }),
    ).rejects.toThrow('half way');
    const listed = await listArtifacts(owner, { type, query: { filters: [], latest: false, sort: [{ field: type.fields.get('name')!, direction: 'asc' }], limit: 10 }, counts: node.deps.listCounts, exactCountUpTo: node.deps.config.api.list_count_exact_up_to });
    expect(listed.artifacts.map((a) => a.name)).not.toContain('tx-a');
    expect(events).toEqual([]);

    const [a, b] = await withTransaction(owner, async (tx) => [
      await createArtifact(tx, { type, values: { name: 'tx-a' } }),
      await createArtifact(tx, { type, values: { name: 'tx-b' } }),
    ]);
    stop();
    expect(events.map((e) => [e.kind, 'id' in e ? e.id : ''])).toEqual([
      ['artifact.created', a!.id],
      ['artifact.created', b!.id],
    ]);
    expect(events[0]).toMatchObject({ ref: { origin: node.deps.config.node.name, type: 'heat_environments', owner: 'tx-project', name: 'tx-a', version: '0.0.0' } });
  });

  it('compute a change from the artifact as it is under the lock', async () => {
    const type = templates();
    const owner = ctx(member('p-change'));
    const created = await createArtifact(owner, { type, values: { name: 'counter', metadata: { n: '0' } } });
    // ten concurrent read-modify-write increments: none is lost
    await Promise.all(
      Array.from({ length: 10 }, () =>
        updateArtifact(owner, { type, id: created.id, change: (current) => ({ values: { metadata: { n: String(Number(current.metadata.n) + 1) } } }) }),
      ),
    );
    expect((await showArtifact(owner, { type, id: created.id })).metadata.n).toBe('10');
  });
});

describe('peer nodes', () => {
  it('see public artifacts only, and write only with the submit permission, into their project', async () => {
    const type = templates();
    const owner = ctx(member('p-peer-owner'));
    const priv = await createArtifact(owner, { type, values: { name: 'private-one' } });
    const searchOnly = ctx(peerActor({ nodeId: 'vendor-1', permissions: ['search', 'pull'] }));
    await expect(showArtifact(searchOnly, { type, id: priv.id })).rejects.toBeInstanceOf(NotFound);
    await expect(createArtifact(searchOnly, { type, values: { name: 'pushed' } })).rejects.toBeInstanceOf(Forbidden);

    const submitter = ctx(peerActor({ nodeId: 'leaf-1', permissions: ['submit'], projectId: 'leaf-1-submissions' }));
    const submitted = await createArtifact(submitter, { type, values: { name: 'pushed' } });
    expect(submitted.owner).toBe('leaf-1-submissions');
    await expect(updateArtifact(submitter, { type, id: priv.id, change: () => ({ values: { description: 'hijack' } }) })).rejects.toBeInstanceOf(NotFound);
  });
});
