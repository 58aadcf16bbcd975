/** @module Virtual machine images (Glare's `images`). */
import { defineArtifactType } from '../artifacts/artifact-type.js';
import { ARTIFACT_ID } from '../artifacts/names.js';

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
});
