import { afterAll, beforeAll, describe } from 'vitest';
import { createTestNode, type TestNode } from '../support/node.js';
import { searchSuite } from './search-suite.js';

describe('a small list, sorted in one statement', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await createTestNode();
  });
  afterAll(() => node.close());
  searchSuite(() => node);
});

// A list that may hold more than list_count_exact_up_to rows is read in parts (db/queries/list-parts.ts).
describe('a list read in parts, tier by tier', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await createTestNode({ api: { list_count_exact_up_to: 1 } });
  });
  afterAll(() => node.close());
  searchSuite(() => node);
});
