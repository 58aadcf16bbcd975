/** Full-text search on the embedded database: the same cases as on PostgreSQL. */
import { afterAll, beforeAll, describe } from 'vitest';
import { searchSuite } from '../community/search-suite.js';
import { type TestNode } from '../support/node.js';
import { createPgliteTestNode } from '../support/pglite-node.js';

describe('a small list, sorted in one statement', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await createPgliteTestNode();
  });
  afterAll(() => node.close());
  searchSuite(() => node);
});

// A list that may hold more than list_count_exact_up_to rows is read in parts (db/queries/list-parts.ts).
describe('a list read in parts, tier by tier', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await createPgliteTestNode({ api: { list_count_exact_up_to: 1 } });
  });
  afterAll(() => node.close());
  searchSuite(() => node);
});
