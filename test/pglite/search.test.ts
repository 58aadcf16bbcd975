/** Full-text search on the embedded database: the same cases as on PostgreSQL. */
import { searchSuiteBothWays } from '../community/search-suite.js';
import { createPgliteTestNode } from '../support/pglite-node.js';

searchSuiteBothWays((overrides) => createPgliteTestNode(overrides));
