import { createTestNode } from '../support/node.js';
import { searchSuiteBothWays } from './search-suite.js';

searchSuiteBothWays((overrides) => createTestNode(overrides));
