/**
 * Blob writes racing activation, with real concurrency against PostgreSQL: once an artifact is
 * active its immutable blobs never change, and it never becomes active without a required blob.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestNode, type TestNode } from '../support/node.js';

let node: TestNode;
beforeAll(async () => {
  node = await createTestNode();
});
afterAll(() => node.close());

const ROUNDS = 30;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

it('a blob removed and replaced while the artifact is activated never changes an active artifact', async () => {
  const owner = node.as({ project: 'p-race' });
  const race = (batch: number) => Promise.all(
    Array.from({ length: ROUNDS }, async (_, round) => {
      const i = batch * ROUNDS + round;
      const t = await node.seed('heat_templates', { name: `race-${i}` }, { as: owner });
      const path = `/artifacts/heat_templates/${t.id}`;
      const first = `heat_template_version: 2018-08-31\ndescription: first body ${i}\n`;
      expect((await node.request('PUT', `${path}/template`, { as: owner, headers: { 'content-type': 'text/plain' }, body: first })).status).toBe(200);

      const replace = (async () => {
        const removed = await node.request('DELETE', `${path}/template`, { as: owner });
        if (removed.status !== 204) return [removed.status];
        const put = await node.request('PUT', `${path}/template`, { as: owner, headers: { 'content-type': 'text/plain' }, body: `heat_template_version: 2018-08-31\ndescription: second body ${i}\n` });
        return [removed.status, put.status];
      })();
      const activate = node.request('PATCH', path, { as: owner, patch: [{ op: 'replace', path: '/status', value: 'active' }] });
      const [replaced, activated] = await Promise.all([replace, activate]);
      const final = await (await node.request('GET', path, { as: owner })).json();
      return { replaced, activatedStatus: activated.status, activatedBody: activated.status === 200 ? await activated.json() : undefined, final };
    }),
  );
  // Which side wins each round depends on timing. The check means something only when activation
  // won some rounds, so race again (a few batches at most) until it has.
  const outcomes: Awaited<ReturnType<typeof race>> = [];
  for (let batch = 0; batch < 5 && outcomes.filter((o) => o.final.status === 'active').length < 3; batch++) outcomes.push(...(await race(batch)));

  for (const o of outcomes) {
    // every answer is a refusal or a success, never a server error
    for (const status of [...o.replaced, o.activatedStatus]) expect(status).toBeLessThan(500);
    if (o.final.status !== 'active') continue;
    // active: its required blob is there, finished, and is the one it was activated with
    expect(o.final.template).not.toBeNull();
    expect(o.final.template.status).toBe('active');
    expect(o.final.template.sha256).toBe(o.activatedBody.template.sha256);
  }
  expect(outcomes.some((o) => o.final.status === 'active')).toBe(true);
  // and whichever bytes an active artifact holds, they are the ones of its blob record
  for (const o of outcomes.filter((x) => x.final.status === 'active')) {
    const body = await (await node.request('GET', `/artifacts/heat_templates/${o.final.id}/template`, { as: owner })).text();
    expect(sha256(body)).toBe(o.final.template.sha256);
  }
});

it('an upload in flight holds activation off (409) instead of changing the artifact after it', async () => {
  const owner = node.as({ project: 'p-race-2' });
  const results = await Promise.all(
    Array.from({ length: ROUNDS }, async (_, i) => {
      const t = await node.seed('heat_templates', { name: `late-${i}` }, { as: owner });
      const path = `/artifacts/heat_templates/${t.id}`;
      await node.request('PUT', `${path}/template`, { as: owner, headers: { 'content-type': 'text/plain' }, body: `heat_template_version: 2018-08-31\ndescription: template ${i}\n` });
      // A dict blob is optional for activation, yet one being written must finish first.
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          await gate;
          controller.enqueue(new TextEncoder().encode(`heat_template_version: 2018-08-31\ndescription: nested ${i}\n`));
          controller.close();
        },
      });
      const upload = node.request('PUT', `${path}/nested_templates/late.yaml`, { as: owner, headers: { 'content-type': 'text/plain' }, body });
      // Activate once the upload holds its slot (its row is `saving`), however busy the machine.
      for (;;) {
        const shown = await (await node.request('GET', path, { as: owner })).json();
        if (shown.nested_templates['late.yaml']?.status === 'saving') break;
        await new Promise((r) => setTimeout(r, 5));
      }
      const activated = await node.request('PATCH', path, { as: owner, patch: [{ op: 'replace', path: '/status', value: 'active' }] });
      release();
      const uploaded = await upload;
      const refusal = activated.status === 200 ? undefined : (await activated.json()).explanation;
      const retried = await node.request('PATCH', path, { as: owner, patch: [{ op: 'replace', path: '/status', value: 'active' }] });
      return { activated: activated.status, refusal, uploaded: uploaded.status, retried: retried.status, final: await retried.json() };
    }),
  );
  for (const r of results) {
    expect(r.activated).toBe(409);
    expect(r.refusal).toMatch(/still being uploaded/);
    expect(r.uploaded).toBe(200);
    expect(r.retried).toBe(200);
    expect(r.final.nested_templates['late.yaml']).toMatchObject({ status: 'active', size: expect.any(Number) });
  }
});
