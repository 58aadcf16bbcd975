/**
 * How the candidates' one text per name is read: a version's requirement list is sent only where
 * it differs from the newer version's (the statement orders the records newest first, then by
 * id), a version's requirement pins travel as their JSON object (empty where it has none), and
 * a name's records are decoded only as far as the resolver reads them. The statement
 * itself is exercised against PostgreSQL by every resolver test; this pins the decoding with a
 * canned answer.
 */
import { describe, expect, it } from 'vitest';
import { resolutionCandidateGroups, resolutionCandidates } from '../../src/db/queries/dependencies.js';

const F = '\u001f';
const R = '\u001e';
const ID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const req = (name: string, range: string) => [{ type: 'images', name, range }];

/** A db whose one statement answers `rows`. */
const answering = (rows: unknown[]) => ({ execute: async () => rows }) as never;

const record = (id: string, version: string, key: string, requires: unknown[] | '', links = '', pins = '') => [id, version, key, 'active', requires === '' ? '' : JSON.stringify(requires), pins, links].join(F);

describe('resolutionCandidates decoding', () => {
  const q = { names: [{ type: 'images', name: 'a' }], ids: [], sight: { kind: 'all' as const } };
  const newestFirst = [
    record(ID(3), '2.0.0', 'A2A0A0~', req('b', '^2')),
    record(ID(2), '1.1.0', 'A1A1A0~', ''),
    record(ID(1), '1.0.0', 'A1A0A0~', req('b', '^1'), JSON.stringify([{ field: 'base', key: '', link: '/x', target: ID(9) }]), JSON.stringify({ 0: ID(8) })),
  ];

  it('fills in a list left out from the newer version, and reads links', async () => {
    const rows = await resolutionCandidates(answering([{ kind: 'name', type_name: 'images', name: 'a', versions: newestFirst.join(R) }]), q);
    expect(rows.map((r) => [r.version, r.requires, r.links.length])).toEqual([
      ['2.0.0', req('b', '^2'), 0],
      ['1.1.0', req('b', '^2'), 0],
      ['1.0.0', req('b', '^1'), 1],
    ]);
    expect(rows[2]!.links[0]!.target).toBe(ID(9));
  });

  it('reads requirement pins, and none where a version has none', async () => {
    const pinned = record(ID(4), '3.0.0', 'A3A0A0~', [...req('b', '^2'), ...req('c', '*')], '', JSON.stringify({ 0: ID(5), 1: ID(6) }));
    const rows = await resolutionCandidates(answering([{ kind: 'name', type_name: 'images', name: 'a', versions: [pinned, ...newestFirst].join(R) }]), q);
    expect(rows.map((r) => (r.pins ? [...r.pins] : null))).toEqual([
      [
        [0, ID(5)],
        [1, ID(6)],
      ],
      null,
      null,
      [[0, ID(8)]],
    ]);
  });

  it('decodes a name\'s versions only as far as they are read', async () => {
    const broken = [ID(0), '0.1.0', 'A0A1A0~', 'active', '', '', '{not json'].join(F);
    const [group] = await resolutionCandidateGroups(answering([{ kind: 'name', type_name: 'images', name: 'a', versions: [...newestFirst, broken].join(R) }]), q);
    const firstTwo: string[] = [];
    for (const row of group!.versions) {
      firstTwo.push(row.version);
      if (firstTwo.length === 2) break;
    }
    expect(firstTwo).toEqual(['2.0.0', '1.1.0']);
    expect(() => [...group!.versions]).toThrow(SyntaxError);
  });

  it('refuses to read past records that break the newest-first order', async () => {
    const [group] = await resolutionCandidateGroups(answering([{ kind: 'name', type_name: 'images', name: 'a', versions: [newestFirst[1], newestFirst[0]].join(R) }]), q);
    expect(() => [...group!.versions]).toThrow('the candidates of images a came out of order (1.1.0 before 2.0.0)');
  });

  it('keeps one candidate for a version reached by its name and by a link, and a status other than active', async () => {
    const byLink = [ID(1), '1.0.0', 'A1A0A0~', 'deactivated', JSON.stringify(req('c', '*')), '', ''].join(F);
    const rows = await resolutionCandidates(
      answering([
        { kind: 'name', type_name: 'images', name: 'a', versions: newestFirst.join(R) },
        { kind: 'id', type_name: 'images', name: 'a', versions: byLink },
        { kind: 'id', type_name: 'images', name: 'z', versions: [ID(7), '0.1.0', 'A0A1A0~', 'deactivated', '[]', '', ''].join(F) },
      ]),
      q,
    );
    expect(rows.map((r) => r.id)).toEqual([ID(3), ID(2), ID(1), ID(7)]);
    expect(rows[3]).toMatchObject({ name: 'z', status: 'deactivated', requires: [], links: [] });
  });
});
