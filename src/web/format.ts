/** @module How values read on a page: sizes, dates, links that are safe to follow. */

const UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatSize(bytes: number | null): string {
  if (bytes === null) return 'unknown size';
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]} (${bytes.toLocaleString('en')} bytes)`;
}

export function formatDate(d: Date | null): string {
  return d ? d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC' : '—';
}

/**
 * `url` if a browser may follow it as a plain link (http, https or mailto), else undefined:
 * escaping keeps text inert, but a `javascript:` URL in an href would still run when clicked.
 */
export function safeHref(url: string | null | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return ['http:', 'https:', 'mailto:'].includes(parsed.protocol) ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

export function excerpt(text: string, max = 220): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1).trimEnd()}…`;
}
