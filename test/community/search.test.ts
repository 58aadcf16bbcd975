import { afterAll, beforeAll } from 'vitest';
import { createTestNode, type TestNode } from '../support/node.js';
import { searchSuite } from './search-suite.js';

let node: TestNode;
beforeAll(async () => {
  node = await createTestNode();
});
afterAll(() => node.close());

searchSuite(() => node);
