/**
 * @module Virtual machine images (Glare's `images`). The disk and container formats an image
 * declares are checked against the magic numbers of its bytes, where a format has them, when the
 * image is uploaded and when a format changes later. Only a few KiB at the start and end of the
 * blob are read, through ranges.
 */
import { defineArtifactType, type HookContext } from '../artifacts/artifact-type.js';
import type { Artifact, BlobInfo } from '../artifacts/artifact.js';
import { ARTIFACT_ID } from '../artifacts/names.js';
import { readBlobRange } from './bounded-read.js';

const optional = { requiredOnActivate: false } as const;
const UUID = ARTIFACT_ID.source;

export const images = defineArtifactType({
  name: 'images',
  version: '1.0',
  displayName: 'Image',
  description: 'A virtual machine image and the hints a cloud needs to boot it.',
  authorship: true,
  fields: {
    container_format: { kind: 'string', ...optional, description: 'Image container format.', validators: { allowedValues: ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker'] } },
    disk_format: { kind: 'string', ...optional, description: 'Image disk format.', validators: { allowedValues: ['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso'] } },
    min_ram: { kind: 'integer', ...optional, sortable: true, description: 'Minimal RAM in MiB to boot the image.', validators: { min: 0 } },
    min_disk: { kind: 'integer', ...optional, sortable: true, description: 'Minimal disk in GiB to boot the image.', validators: { min: 0 } },
    image: { kind: 'blob', ...optional, description: 'The image bytes.', maxBlobSize: 1024 ** 4 },
    kernel_id: { kind: 'string', ...optional, description: 'ID of an image stored in the catalog to use as the kernel.', validators: { pattern: UUID } },
    ramdisk_id: { kind: 'string', ...optional, description: 'ID of an image stored in the catalog to use as the ramdisk.', validators: { pattern: UUID } },
    instance_uuid: { kind: 'string', ...optional, description: 'ID of the instance this image was snapshotted from.', validators: { pattern: UUID } },
    architecture: { kind: 'string', ...optional, sortable: true, description: 'CPU architecture the image needs (x86_64, aarch64...).', validators: { maxLength: 255 } },
    os_distro: { kind: 'string', ...optional, sortable: true, description: 'Operating system distribution (ubuntu, fedora...).', validators: { maxLength: 255 } },
    os_version: { kind: 'string', ...optional, sortable: true, description: 'Operating system version as the distribution says it.', validators: { maxLength: 255 } },
  },
  hooks: {
    async afterUpload(artifact, blob, ctx) {
      if (blob.field === 'image') await assertFormatsMatch(ctx, artifact, blob);
    },
    async beforeUpdate(before, after, ctx) {
      const blob = after.blobs.find((b) => b.field === 'image' && b.status === 'active' && !b.external);
      const changed = before.fields.disk_format !== after.fields.disk_format || before.fields.container_format !== after.fields.container_format;
      if (blob && changed) await assertFormatsMatch(ctx, after, blob);
    },
  },
});

/** How far into the bytes the signatures reach: an ISO 9660 volume descriptor is at 32769. */
const HEAD_BYTES = 32 * 1024 + 8;
/** A VHD footer is the last 512 bytes (511 in some old images). */
const TAIL_BYTES = 512;

interface Signature {
  /** What the bytes show, for the message. */
  description: string;
  test(head: Buffer, tail: Buffer): boolean;
}

const at = (buf: Buffer, offset: number, magic: string) => buf.subarray(offset, offset + magic.length).equals(Buffer.from(magic, 'latin1'));

const DISK_SIGNATURES: Readonly<Record<string, Signature>> = {
  qcow2: { description: 'a qcow2 header ("QFI\\xfb")', test: (head) => at(head, 0, 'QFI\xfb') },
  vmdk: { description: 'a VMDK sparse header ("KDMV") or descriptor', test: (head) => at(head, 0, 'KDMV') || at(head, 0, '# Disk DescriptorFile') },
  vhd: { description: 'a VHD "conectix" footer', test: (head, tail) => at(head, 0, 'conectix') || at(tail, tail.length - 512, 'conectix') || at(tail, tail.length - 511, 'conectix') },
  vhdx: { description: 'a VHDX "vhdxfile" signature', test: (head) => at(head, 0, 'vhdxfile') },
  vdi: { description: 'a VirtualBox VDI signature', test: (head) => head.length >= 68 && head.readUInt32LE(64) === 0xbeda107f },
  iso: { description: 'an ISO 9660 volume descriptor ("CD001" at byte 32769)', test: (head) => at(head, 32769, 'CD001') },
};

/** Containers that are tar archives (docker save, OVA): "ustar" at byte 257. */
const TAR_CONTAINERS = new Set(['ova', 'docker']);
const isTar = (head: Buffer) => at(head, 257, 'ustar');

async function assertFormatsMatch(ctx: HookContext, artifact: Artifact, blob: BlobInfo): Promise<void> {
  const disk = artifact.fields.disk_format as string | undefined;
  const container = artifact.fields.container_format as string | undefined;
  const expected = disk === undefined ? undefined : DISK_SIGNATURES[disk];
  const checksContainer = container !== undefined && TAR_CONTAINERS.has(container);
  if (!expected && !checksContainer) return;
  const size = blob.size ?? 0;
  const head = await readBlobRange(ctx, blob, 0, HEAD_BYTES);
  if (checksContainer) {
    // The disk is inside the archive: only the container can be checked against these bytes.
    if (!isTar(head)) ctx.refuse(`container_format is ${container}, a tar archive, and the image's bytes are no tar archive (no "ustar" at byte 257)`);
    return;
  }
  const tail = await readBlobRange(ctx, blob, Math.max(0, size - TAIL_BYTES), TAIL_BYTES);
  if (expected!.test(head, tail)) return;
  const seen = Object.entries(DISK_SIGNATURES).find(([, sig]) => sig.test(head, tail))?.[0];
  ctx.refuse(`disk_format is ${disk}, and the image's bytes do not carry ${expected!.description}${seen ? `: they look like ${seen}` : ''}`);
}
