// Lint: typescript-eslint's recommended rules, no `any`, and the layer boundaries DESIGN.md draws:
// api/ holds the wire formats (never SQL), artifacts/ the rules (never HTTP, never SQL text),
// db/ the SQL (never HTTP).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const http = [
  { name: 'hono', message: 'HTTP stays in src/api/.' },
  { name: '@hono/node-server', message: 'HTTP stays in src/api/.' },
  { name: '@hono/zod-openapi', message: 'HTTP stays in src/api/.' },
];
const httpPatterns = [{ group: ['hono/*', '@hono/*'], message: 'HTTP stays in src/api/.' }];
const wireFormats = [{ group: ['**/api/**', '**/app.js'], message: 'The domain and the database know no wire format: src/api/ calls them, not the other way round.' }];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'data/**', 'src/db/migrations/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/api/**/*.ts', 'src/web/**/*.ts', 'src/web/**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'drizzle-orm', message: 'SQL stays in src/db/.' }, { name: 'postgres', message: 'SQL stays in src/db/.' }],
          patterns: [{ group: ['**/db/**', 'drizzle-orm/*'], message: 'src/api/ reaches the database only through the domain (src/artifacts/).' }],
        },
      ],
    },
  },
  {
    // The domain: the core and the features built on it, each a folder DESIGN.md names.
    files: ['src/{artifacts,types,dependencies,signing,bundles,community,importers,federation}/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...http, { name: 'drizzle-orm', message: 'SQL text stays in src/db/queries.' }],
          patterns: [...httpPatterns, ...wireFormats, { group: ['drizzle-orm/*', '**/db/schema/**'], message: 'SQL text stays in src/db/queries.' }],
        },
      ],
    },
  },
  {
    files: ['src/db/**/*.ts', 'src/blobs/**/*.ts', 'src/jobs/**/*.ts', 'src/config/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: http, patterns: [...httpPatterns, ...wireFormats] }] },
  },
  {
    // The `catalog` client talks to nodes over HTTP only: nothing of the node's own insides.
    files: ['src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/db/**', '**/artifacts/**', '**/api/**', '**/app.js', '**/deps.js', 'drizzle-orm', 'drizzle-orm/*', 'postgres'], message: 'The catalog CLI reaches a node over HTTP only.' }] },
      ],
    },
  },
);
