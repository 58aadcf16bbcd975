/** Full-text search on the embedded database: the same cases as on PostgreSQL. */
import { afterAll, beforeAll } from 'vitest';
import { searchSuite } from '../community/search-suite.js';
import { type TestNode } from '../support/node.js';
import { createPgliteTestNode } from '../support/pglite-node.js';

let node: TestNode;
beforeAll(async () => {
  node = await createPgliteTestNode();
});
afterAll(() => node.close());

searchSuite(() => node);
