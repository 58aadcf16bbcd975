/** The remembered list counts: expiry, forgetting on writes, and counts that raced a write. */
import { describe, expect, it } from 'vitest';
import { createListCounts } from '../../src/artifacts/list-counts.js';

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('createListCounts', () => {
  it('remembers a count until it expires', async () => {
    const time = clock();
    const counts = createListCounts({ ttlMs: 1000, maxEntries: 10, now: time.now });
    let computed = 0;
    const compute = async () => ++computed;
    expect(await counts.count('q', compute)).toBe(1);
    time.advance(999);
    expect(await counts.count('q', compute)).toBe(1);
    time.advance(1);
    expect(await counts.count('q', compute)).toBe(2);
  });

  it('keeps counts of different statements apart', async () => {
    const counts = createListCounts({ ttlMs: 1000, maxEntries: 10, now: clock().now });
    expect(await counts.count('a', async () => 1)).toBe(1);
    expect(await counts.count('b', async () => 2)).toBe(2);
    expect(await counts.count('a', async () => 99)).toBe(1);
  });

  it('forgets every count on invalidate', async () => {
    const counts = createListCounts({ ttlMs: 60_000, maxEntries: 10, now: clock().now });
    await counts.count('a', async () => 1);
    await counts.count('b', async () => 2);
    counts.invalidate();
    expect(await counts.count('a', async () => 10)).toBe(10);
    expect(await counts.count('b', async () => 20)).toBe(20);
  });

  it('does not remember a count that was running when a write landed', async () => {
    const counts = createListCounts({ ttlMs: 60_000, maxEntries: 10, now: clock().now });
    let finish!: (n: number) => void;
    const running = counts.count('a', () => new Promise<number>((resolve) => (finish = resolve)));
    counts.invalidate();
    finish(1);
    expect(await running).toBe(1);
    expect(await counts.count('a', async () => 2)).toBe(2);
  });

  it('drops the oldest counts past maxEntries', async () => {
    const counts = createListCounts({ ttlMs: 60_000, maxEntries: 2, now: clock().now });
    await counts.count('a', async () => 1);
    await counts.count('b', async () => 2);
    await counts.count('c', async () => 3);
    expect(await counts.count('a', async () => 10)).toBe(10);
    expect(await counts.count('c', async () => 30)).toBe(3);
  });

  it('counts every time with a ttl of 0', async () => {
    const counts = createListCounts({ ttlMs: 0, maxEntries: 10, now: clock().now });
    await counts.count('a', async () => 1);
    expect(await counts.count('a', async () => 2)).toBe(2);
  });
});
