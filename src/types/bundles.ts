/**
 * @module Bundles (the Community App Catalog's `bundle` assets): a named set of other artifacts,
 * installed together. The members are references (internal links) to artifacts of any type.
 */
import { defineArtifactType } from '../artifacts/artifact-type.js';

export const bundles = defineArtifactType({
  name: 'bundles',
  version: '1.0',
  displayName: 'Bundle',
  description: 'A set of artifacts installed together.',
  authorship: true,
  fields: {
    members: { kind: 'link_list', requiredOnActivate: false, mutable: true, description: 'The artifacts the bundle holds.', validators: { maxItems: 255, uniqueItems: true } },
    murano_package_name: { kind: 'string', requiredOnActivate: false, sortable: true, description: 'The Murano name the bundle was published under.', validators: { maxLength: 255 } },
  },
});
