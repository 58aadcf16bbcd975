/**
 * Values as Glare's clients send them: python-glareclient's `-p key=value` sends text for every
 * field, and Glare's fields coerced it (oslo.versionedobjects: int(), float(), bool_from_string).
 * Text that spells the field's kind is read as that kind; anything else is refused, never
 * truncated or guessed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNode, type TestNode } from '../../support/node.js';

let node: TestNode;
const owner = () => node.as({ project: 'p1' });

beforeAll(async () => {
  node = await createTestNode();
});
afterAll(() => node.close());

const add = (path: string, value: unknown) => [{ op: 'add', path, value }];

describe('numbers and booleans spelled as text', () => {
  it('are read as the field’s kind at creation and in a patch', async () => {
    const res = await node.request('POST', '/artifacts/images', { as: owner(), json: { name: 'as-text', min_ram: '1024', min_disk: ' 20 ' } });
    expect(res.status).toBe(201);
    const created = await res.json();
    expect(created).toMatchObject({ min_ram: 1024, min_disk: 20 });
    const patched = await node.request('PATCH', `/artifacts/images/${created.id}`, { as: owner(), patch: add('/min_ram', '+2048') });
    expect(patched.status).toBe(200);
    expect((await patched.json()).min_ram).toBe(2048);
  });

  it.each([
    ['yes', true],
    ['True', true],
    ['on', true],
    ['1', true],
    ['no', false],
    ['OFF', false],
    ['f', false],
  ])('read Glare’s boolean spelling %j as %j', async (text, expected) => {
    const res = await node.request('POST', '/artifacts/vnf_packages', { as: owner(), json: { name: `ha-${text}`, high_availability: text } });
    expect(res.status).toBe(201);
    expect((await res.json()).high_availability).toBe(expected);
  });

  it.each([
    [{ min_ram: 1.1 }, /min_ram.*whole number/],
    [{ min_ram: '1.5' }, /min_ram.*number/],
    [{ min_ram: '12abc' }, /min_ram.*number/],
    [{ min_ram: '' }, /min_ram.*number/],
    [{ min_ram: true }, /min_ram.*number/],
  ])('refuse %j with 400, never truncating or guessing', async (values, message) => {
    const res = await node.request('POST', '/artifacts/images', { as: owner(), json: { name: 'refused', ...values } });
    expect(res.status).toBe(400);
    expect((await res.json()).explanation).toMatch(message);
  });

  it('refuse a boolean spelled any other way', async () => {
    const res = await node.request('POST', '/artifacts/vnf_packages', { as: owner(), json: { name: 'ha-maybe', high_availability: 'maybe' } });
    expect(res.status).toBe(400);
    expect((await res.json()).explanation).toMatch(/high_availability.*true or false/);
  });

  it('leave text in string fields as text', async () => {
    const res = await node.request('POST', '/artifacts/images', { as: owner(), json: { name: 'text-stays', os_version: '22' } });
    expect(res.status).toBe(201);
    expect((await res.json()).os_version).toBe('22');
  });
});
