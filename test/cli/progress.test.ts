/** The progress bar's text: bytes, rate and time left while running, the total time at the end. */
import { afterEach, expect, it, vi } from 'vitest';
import { createProgress } from '../../src/cli/progress.js';

afterEach(() => vi.useRealTimers());

function terminal() {
  let written = '';
  const stream = { columns: 100, write: (s: string) => ((written += s), true) } as unknown as NodeJS.WriteStream;
  return { stream, text: () => written };
}

it('shows bytes, rate and ETA while running, redrawing at most ten times a second, and the time taken at the end', () => {
  vi.useFakeTimers({ now: 0 });
  const t = terminal();
  const p = createProgress('uploading', 100 * 1024 * 1024, true, t.stream);
  vi.setSystemTime(2000);
  p.add(25 * 1024 * 1024);
  expect(t.text()).toContain('uploading [########----------------------]  25% 25.0 MiB/100.0 MiB 12.5 MiB/s ETA 0:06');
  const before = t.text();
  vi.setSystemTime(2050);
  p.add(1024);
  expect(t.text()).toBe(before); // not redrawn within 100 ms
  vi.setSystemTime(8000);
  p.add(75 * 1024 * 1024 - 1024);
  p.done();
  // the last line: the whole transfer, its average rate and the time it took, then a newline
  expect(t.text().split('\r').at(-1)).toBe('uploading [##############################] 100% 100.0 MiB/100.0 MiB 12.5 MiB/s in 0:08\x1b[K\n');
});

it('draws nothing when disabled (a pipe, --quiet, --no-progress)', () => {
  const t = terminal();
  const p = createProgress('downloading', 10, false, t.stream);
  p.add(10);
  p.note('resuming');
  p.done();
  expect(t.text()).toBe('');
});
