import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { parseRange, parseVersion, rangeKeyFloor, rangeKeyTest, toStoredVersion, versionKey } from '../../src/artifacts/versions.js';
import { BadRequest } from '../../src/errors.js';

const byteCompare = (a: string, b: string) => (Buffer.compare(Buffer.from(a), Buffer.from(b)));

const SAMPLE = [
  '0.0.0', '0.0.1', '0.1.0', '1.0.0-0', '1.0.0-1', '1.0.0-2', '1.0.0-10', '1.0.0-alpha', '1.0.0-alpha.1',
  '1.0.0-alpha.beta', '1.0.0-alpha-x', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1',
  '1.0.0-A', '1.0.0-Z.1', '1.0.0-a1', '1.0.0-1a', '1.0.0', '1.0.1', '1.2.0', '1.10.0', '1.9.9', '2.1.0',
  '2.1.1-rc.1', '2.1.1', '3.5.6', '3.5.7-rc.1', '3.5.7', '10.0.0', '9.99.999', '123456789012345.0.0',
  '1.0.0-99999999999999999999', '1.0.0-100000000000000000000',
];

describe('version keys', () => {
  it('order exactly as semver precedence', () => {
    const bySemver = [...SAMPLE].sort(semver.compare);
    const byKey = [...SAMPLE].sort((a, b) => byteCompare(versionKey(parseVersion(a)), versionKey(parseVersion(b))));
    expect(byKey).toEqual(bySemver);
  });

  it('agree with semver on random pairs', () => {
    let seed = 42;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const ids = ['alpha', 'beta', 'rc', '0', '1', '2', '10', '11', 'x-y', 'A'];
    const make = () => {
      const core = `${rnd(3)}.${rnd(12)}.${rnd(12)}`;
      if (rnd(2) === 0) return core;
      return `${core}-${Array.from({ length: 1 + rnd(3) }, () => ids[rnd(ids.length)]).join('.')}`;
    };
    for (let i = 0; i < 5000; i++) {
      const a = make();
      const b = make();
      expect(Math.sign(byteCompare(versionKey(parseVersion(a)), versionKey(parseVersion(b)))), `${a} vs ${b}`).toBe(semver.compare(a, b));
    }
  });

  it('ignore build metadata for precedence but keep it in the version', () => {
    const stored = toStoredVersion(parseVersion('1.2.3-rc.1+build.5'));
    expect(stored.version).toBe('1.2.3-rc.1+build.5');
    expect(stored.versionKey).toBe(versionKey(parseVersion('1.2.3-rc.1')));
    expect(stored.versionPrerelease).toBe('rc.1');
  });
});

describe('parseVersion', () => {
  it('pads partial versions with zeros, as Glare does', () => {
    expect(parseVersion('2').version).toBe('2.0.0');
    expect(parseVersion('2.1').version).toBe('2.1.0');
    expect(parseVersion('2.1-rc.1').version).toBe('2.1.0-rc.1');
    expect(parseVersion(' v3.4.5 ').version).toBe('3.4.5');
  });

  it.each(['', 'abc', '1.2.3.4', '01.2.3', '1.2.3-', '1..2', '1.2.3-+', '-1.0.0', '1.0.0-alpha..1', `1.0.0-${'x'.repeat(300)}`, '99999999999999999999.0.0'])(
    'refuses %j with a message naming it',
    (input) => {
      expect(() => parseVersion(input)).toThrow(BadRequest);
    },
  );
});

describe('ranges', () => {
  // What the resolver (rangeKeyTest) and the SQL filters (rangeToKeySets) select, on keys alone.
  const inRange = (range: string, version: string) => rangeKeyTest(parseRange(range))(versionKey(parseVersion(version)));

  it.each(['>2.1.0 <3.5.7', '^2.1', '~3.4', '>2.1', '>=1.0.0-rc.1 <2', '1.x || >=3.5.7-rc.0', '*', '<1.0.0-beta'])(
    'the key form of %j selects what node-semver selects',
    (range) => {
      for (const version of SAMPLE) expect(inRange(range, version), `${version} in ${range}`).toBe(semver.satisfies(version, range));
    },
  );

  it('agree with node-semver on random ranges and versions, prereleases included', () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const pre = ['alpha', 'rc.1', '0', 'beta.2', 'rc.10'];
    const version = () => `${rnd(4)}.${rnd(4)}.${rnd(4)}${rnd(3) === 0 ? `-${pre[rnd(pre.length)]}` : ''}`;
    const partial = () => [`${rnd(4)}`, `${rnd(4)}.${rnd(4)}`, version()][rnd(3)]!;
    const comparator = () => ['', '^', '~', '>', '>=', '<', '<=', '='][rnd(8)]! + partial();
    const range = () => {
      const shapes = [() => comparator(), () => `${comparator()} ${comparator()}`, () => `${comparator()} || ${comparator()}`, () => `${partial()} - ${partial()}`, () => `${rnd(4)}.x`, () => '*'];
      return shapes[rnd(shapes.length)]!();
    };
    const versions = Array.from({ length: 60 }, version);
    for (let i = 0; i < 400; i++) {
      const text = range();
      const parsed = parseRange(text);
      const test = rangeKeyTest(parsed);
      for (const v of versions) expect(test(versionKey(parseVersion(v))), `${v} in ${text}`).toBe(parsed.test(v));
      // The floor the resolver stops its newest-first scans at: no admitted version lies below it.
      const floor = rangeKeyFloor(parsed);
      for (const v of versions) if (parsed.test(v) && floor !== null) expect(versionKey(parseVersion(v)) >= floor, `${v} in ${text} is above the floor`).toBe(true);
    }
  });

  it('gives the lowest key a range admits, or none when nothing bounds it below', () => {
    const floorOf = (range: string) => rangeKeyFloor(parseRange(range));
    expect(floorOf('^11')).toBe(versionKey(parseVersion('11.0.0')));
    expect(floorOf('>=2.0.0 <11')).toBe(versionKey(parseVersion('2.0.0')));
    expect(floorOf('^3 || ^1.2')).toBe(versionKey(parseVersion('1.2.0')));
    expect(floorOf('<3')).toBeNull();
    expect(floorOf('^3 || <1')).toBeNull();
    expect(floorOf('*')).toBeNull();
  });

  it('reads ">2.1" as node-semver does (>=2.2.0), unlike the gt:2.1 filter', () => {
    expect(inRange('>2.1', '2.1.5')).toBe(false);
    expect(inRange('>2.1', '2.2.0')).toBe(true);
  });

  it('refuses what is not a range', () => {
    expect(() => parseRange('>>>nope')).toThrow(BadRequest);
    expect(() => parseRange('')).toThrow(BadRequest);
  });
});
