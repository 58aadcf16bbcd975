import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdLease } from '../../src/blobs/upload-lease.js';
import { findBlob, renewUploadLease, reserveBlob } from '../../src/db/queries/blobs.js';
import { createTestNode, type TestNode } from '../support/node.js';

let node: TestNode;
const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  node = await createTestNode();
});
afterAll(() => node.close());

describe('upload leases', () => {
  it('a renewed lease keeps its upload alive past its length; once renewals stop, the upload is abandoned', async () => {
    const owner = node.as({ project: 'p1' });
    const artifact = await node.seed('heat_environments', { name: 'leased' }, { as: owner });
    const slot = { artifactId: artifact.id as string, field: 'environment', key: '' };
    const ttlMs = 1000; // renewed every 250 ms: room for a busy machine
    const reserved = await reserveBlob(node.deps.db, slot, { store: 'local', contentType: 'text/plain', now: new Date(), leaseMs: ttlMs });
    const lease = holdLease({ ttlMs, renew: () => renewUploadLease(node.deps.db, reserved.id, ttlMs), log });

    await sleep(3 * ttlMs);
    expect((await findBlob(node.deps.db, slot))?.id).toBe(reserved.id);
    await expect(reserveBlob(node.deps.db, slot, { store: 'local', contentType: 'text/plain', now: new Date(), leaseMs: ttlMs })).rejects.toThrow(/being uploaded/);

    lease.stop();
    await sleep(2 * ttlMs);
    expect(await findBlob(node.deps.db, slot)).toBeUndefined();
    const takenOver = await reserveBlob(node.deps.db, slot, { store: 'local', contentType: 'text/plain', now: new Date(), leaseMs: ttlMs });
    expect(takenOver.id).not.toBe(reserved.id);
    expect(await renewUploadLease(node.deps.db, reserved.id, ttlMs)).toBe(false);
  });
});
