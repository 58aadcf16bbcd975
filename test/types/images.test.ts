/**
 * Images over HTTP: the declared disk and container formats are checked against the uploaded
 * bytes' magic numbers (qcow2, vmdk, vhd, vhdx, vdi, iso; tar for ova and docker), at upload and
 * when a format changes later; raw takes anything. Only ranges at the start and end are read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNode, type TestNode } from '../support/node.js';
import { bytesReadDuring, expectRefused, upload } from './uploads.js';

function bytes(size: number, ...marks: Array<[number, string | number[]]>): Buffer {
  const out = Buffer.alloc(size, 0x41);
  for (const [offset, mark] of marks) (typeof mark === 'string' ? Buffer.from(mark, 'latin1') : Buffer.from(mark)).copy(out, offset);
  return out;
}

const IMAGES: Record<string, Buffer> = {
  qcow2: bytes(64 * 1024, [0, 'QFI\xfb\x00\x00\x00\x03']),
  vmdk: bytes(64 * 1024, [0, 'KDMV']),
  vhd: bytes(96 * 1024, [96 * 1024 - 512, 'conectix']),
  vhdx: bytes(64 * 1024, [0, 'vhdxfile']),
  vdi: bytes(64 * 1024, [0, '<<< Oracle VM VirtualBox Disk Image >>>\n'], [64, [0x7f, 0x10, 0xda, 0xbe]]),
  iso: bytes(48 * 1024, [32768, '\x01CD001\x01']),
};
const VMDK_DESCRIPTOR = '# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="monolithicFlat"\n';
const TAR = bytes(1024, [0, 'disk.qcow2\0'], [257, 'ustar\x0000']);

let node: TestNode;
let owner: Record<string, string>;
beforeAll(async () => {
  node = await createTestNode();
  owner = node.as({ project: 'p-images' });
});
afterAll(() => node.close());

async function imageWith(fields: Record<string, unknown>, body: Uint8Array | string) {
  const created = await (await node.request('POST', '/artifacts/images', { as: owner, json: { name: `i-${Math.random().toString(36).slice(2)}`, ...fields } })).json();
  return { id: created.id as string, res: await upload(node, owner, `/artifacts/images/${created.id}/image`, body) };
}

describe('an uploaded image', () => {
  it.each(Object.keys(IMAGES))('whose bytes are %s is accepted as that disk format', async (format) => {
    const { res } = await imageWith({ disk_format: format, container_format: 'bare' }, IMAGES[format]!);
    expect(res.status, await res.clone().text()).toBe(200);
  });

  it('takes a VMDK descriptor, anything as raw, a tar as ova or docker, and anything when no format is declared', async () => {
    expect((await imageWith({ disk_format: 'vmdk' }, VMDK_DESCRIPTOR)).res.status).toBe(200);
    expect((await imageWith({ disk_format: 'raw' }, IMAGES.qcow2!)).res.status).toBe(200);
    expect((await imageWith({ disk_format: 'qcow2', container_format: 'ova' }, TAR)).res.status).toBe(200);
    expect((await imageWith({ container_format: 'docker' }, TAR)).res.status).toBe(200);
    expect((await imageWith({}, 'anything')).res.status).toBe(200);
  });

  it.each([
    [{ disk_format: 'qcow2' }, IMAGES.vmdk!, /disk_format is qcow2, and the image's bytes do not carry a qcow2 header \("QFI\\xfb"\): they look like vmdk/],
    [{ disk_format: 'iso' }, bytes(40 * 1024), /disk_format is iso, and the image's bytes do not carry an ISO 9660 volume descriptor/],
    [{ disk_format: 'vhd' }, IMAGES.vhdx!, /do not carry a VHD "conectix" footer: they look like vhdx/],
    [{ disk_format: 'vhdx' }, 'tiny', /do not carry a VHDX "vhdxfile" signature/],
    [{ disk_format: 'vdi' }, IMAGES.qcow2!, /do not carry a VirtualBox VDI signature: they look like qcow2/],
    [{ disk_format: 'qcow2', container_format: 'ova' }, IMAGES.qcow2!, /container_format is ova, a tar archive, and the image's bytes are no tar archive/],
  ])('declared %o with other bytes is refused with 400, and nothing is kept', async (fields, body, problem) => {
    await expectRefused(node, owner, { type: 'images', field: 'image', create: fields }, body, problem);
  });

  it('is checked again when its disk format changes after the upload', async () => {
    const { id, res } = await imageWith({}, IMAGES.qcow2!);
    expect(res.status).toBe(200);
    const change = (format: string) => node.request('PATCH', `/artifacts/images/${id}`, { as: owner, patch: [{ op: 'add', path: '/disk_format', value: format }] });
    const wrong = await change('vmdk');
    expect(wrong.status).toBe(400);
    expect((await wrong.json()).explanation).toMatch(/disk_format is vmdk, .* they look like qcow2/);
    expect((await change('qcow2')).status).toBe(200);
  });

  it('is checked through small ranges at its start and end, never read whole', async () => {
    const size = 8 * 1024 * 1024;
    const read = await bytesReadDuring(node, 'images', async () => {
      expect((await imageWith({ disk_format: 'vhd' }, bytes(size, [size - 512, 'conectix']))).res.status).toBe(200);
    });
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThanOrEqual(64 * 1024);
  });
});
