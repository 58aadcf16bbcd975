/** Small helpers for the bench scripts' command lines. */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** True when the module at `moduleUrl` is the script node was started with. */
export function isEntryPoint(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && pathToFileURL(resolve(script)).href === moduleUrl;
}

/** Runs `main` when the module at `moduleUrl` is the script node was started with; a failure sets exit code 1. */
export function runIfEntryPoint(moduleUrl: string, main: () => Promise<void>): void {
  if (!isEntryPoint(moduleUrl)) return;
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exitCode = 1;
  });
}

/** A comma-separated list of positive whole numbers (`100000,1000000`, `1e6` allowed). */
export function parseSizes(raw: string): number[] {
  return raw.split(',').map((part) => {
    const n = Number(part.trim());
    if (!Number.isInteger(n) || n < 1) throw new Error(`not a positive whole number: "${part}"`);
    return n;
  });
}

export function parsePositive(name: string, raw: string, opts: { integer?: boolean } = {}): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || (opts.integer && !Number.isInteger(n))) throw new Error(`--${name} must be a positive ${opts.integer ? 'whole ' : ''}number, got "${raw}"`);
  return n;
}
