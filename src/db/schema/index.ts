export * from './artifacts.js';
export * from './blobs.js';
export * from './quotas.js';
export * from './dependencies.js';
export * from './signing.js';
export * from './community.js';
export * from './federation.js';
