/**
 * @module The framing of a bundle's tar, written by hand so that blob bytes can go from their
 * store straight into the response: a 512-byte ustar header per entry, the data padded to 512
 * bytes, two zero blocks at the end. The headers are the ones tar-stream's pack writes (same
 * fields, same octal and base-256 encodings: test/bundles/tar-framing.test.ts compares them byte
 * for byte); only regular files with short ASCII names are written, which is all a bundle holds.
 * Import still reads bundles with tar-stream.
 */

export const TAR_BLOCK = 512;

/** Bytes an entry's data takes in the tar, padding included. */
export const paddedSize = (bytes: number) => Math.ceil(bytes / TAR_BLOCK) * TAR_BLOCK;

/** The zero bytes that pad `bytes` of data to a whole block (empty when none are needed). */
export function padding(bytes: number): Buffer {
  return Buffer.alloc(paddedSize(bytes) - bytes);
}

/** Two zero blocks: the end of the archive. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * TAR_BLOCK);

const NAME_LENGTH = 100;

/** `value` as `digits` octal digits followed by a space, as tar-stream writes numeric fields. */
function octal(value: number, digits: number): string {
  const text = value.toString(8);
  return text.length > digits ? `${'7'.repeat(digits)} ` : `${text.padStart(digits, '0')} `;
}

/** A size or time: 11 octal digits, or base-256 (GNU) past 8 GiB. */
function writeNumber(block: Buffer, value: number, offset: number): void {
  if (value.toString(8).length <= 11) {
    block.write(octal(value, 11), offset, 'latin1');
    return;
  }
  block[offset] = 0x80;
  let rest = value;
  for (let i = 11; i > 0; i--) {
    block[offset + i] = rest & 0xff;
    rest = Math.floor(rest / 0x100);
  }
}

/** The header of a regular file entry (mode 0644, uid and gid 0). */
export function fileHeader(name: string, size: number, mtime: Date): Buffer {
  if (!/^[\x20-\x7e]+$/.test(name) || name.length > NAME_LENGTH) throw new Error(`a bundle entry name must be 1-${NAME_LENGTH} printable ASCII characters: ${name.slice(0, 120)}`);
  const block = Buffer.alloc(TAR_BLOCK);
  block.write(name, 0, 'latin1');
  block.write(octal(0o644, 6), 100, 'latin1');
  block.write(octal(0, 6), 108, 'latin1');
  block.write(octal(0, 6), 116, 'latin1');
  writeNumber(block, size, 124);
  writeNumber(block, Math.floor(mtime.getTime() / 1000) || 0, 136);
  block[156] = 0x30; // '0': a regular file
  block.write('ustar\u000000', 257, 'latin1'); // magic and version
  block.write(octal(0, 6), 329, 'latin1'); // device major and minor
  block.write(octal(0, 6), 337, 'latin1');
  // The checksum counts its own field as eight spaces.
  let sum = 8 * 0x20;
  for (let i = 0; i < TAR_BLOCK; i++) if (i < 148 || i >= 156) sum += block[i]!;
  block.write(octal(sum, 6), 148, 'latin1');
  return block;
}
