/**
 * @module A progress bar on stderr for long transfers: bytes, rate and time left, redrawn at most
 * ten times a second, and only on a terminal (never in a pipe or a log file).
 */
import { bytes } from './output.js';

export interface Progress {
  add(n: number): void;
  /** Sets how many bytes are done (a resumed download starts part-way). */
  set(n: number): void;
  /** Draws the final state and ends the line. */
  done(): void;
  /** A message on its own line, above the bar. */
  note(message: string): void;
}

const REDRAW_MS = 100;

export function createProgress(label: string, total: number | undefined, enabled: boolean, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!enabled) {
    return { add() {}, set() {}, done() {}, note: () => {} };
  }
  const started = Date.now();
  let startBytes = 0;
  let current = 0;
  let lastDraw = 0;
  let drawn = false;

  const draw = (final: boolean) => {
    const now = Date.now();
    if (!final && now - lastDraw < REDRAW_MS) return;
    lastDraw = now;
    const seconds = Math.max((now - started) / 1000, 0.001);
    const rate = (current - startBytes) / seconds;
    const parts = [label];
    const width = stream.columns || 80;
    let text: string;
    if (total !== undefined && total > 0) {
      const ratio = Math.min(current / total, 1);
      const eta = rate > 0 ? (total - current) / rate : undefined;
      const tail = ` ${(ratio * 100).toFixed(0).padStart(3)}% ${bytes(current)}/${bytes(total)} ${bytes(rate)}/s ${final ? `in ${clock(seconds)}` : `ETA ${eta === undefined ? '--:--' : clock(eta)}`}`;
      const barWidth = Math.max(10, Math.min(30, width - label.length - tail.length - 4));
      const filled = Math.round(ratio * barWidth);
      text = `${label} [${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]${tail}`;
    } else {
      parts.push(`${bytes(current)} ${bytes(rate)}/s`);
      text = parts.join(' ');
    }
    stream.write(`\r${text.slice(0, width - 1)}\x1b[K`);
    drawn = true;
  };

  return {
    add(n) {
      current += n;
      draw(false);
    },
    set(n) {
      current = n;
      startBytes = n;
      draw(false);
    },
    done() {
      draw(true);
      if (drawn) stream.write('\n');
    },
    note(message) {
      stream.write(`${drawn ? '\r\x1b[K' : ''}${message}\n`);
      drawn = false;
    },
  };
}

function clock(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
