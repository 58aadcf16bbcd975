/** @module Murano application packages (Glare's `murano_packages`). */
import { defineArtifactType } from '../artifacts/artifact-type.js';
import { BadRequest } from '../errors.js';

const optional = { requiredOnActivate: false } as const;

export const muranoPackages = defineArtifactType({
  name: 'murano_packages',
  version: '1.0',
  displayName: 'Murano package',
  description: 'A Murano application or library package.',
  authorship: true,
  fields: {
    package: { kind: 'blob', description: 'The package zip.', maxBlobSize: 100 * 1024 * 1024 },
    type: { kind: 'string', ...optional, sortable: true, default: 'Application', nullable: false, description: 'Package type.', validators: { allowedValues: ['Application', 'Library'] } },
    display_name: { kind: 'string', ...optional, mutable: true, sortable: true, description: 'Name shown to users.', validators: { maxLength: 255 } },
    categories: { kind: 'string_list', ...optional, mutable: true, description: 'Categories the package belongs to.', validators: { maxItems: 255, uniqueItems: true, maxLength: 255 } },
    class_definitions: { kind: 'string_list', ...optional, description: 'MuranoPL classes the package defines.', validators: { maxItems: 255, uniqueItems: true, maxLength: 255 } },
    inherits: { kind: 'string_dict', ...optional, description: 'Parent classes of the defined classes.' },
    keywords: { kind: 'string_list', ...optional, mutable: true, description: 'Search keywords.', validators: { maxItems: 255, maxLength: 255 } },
    dependencies: { kind: 'link_list', linkType: 'murano_packages', ...optional, description: 'Other murano packages this one requires.', validators: { maxItems: 255, uniqueItems: true } },
  },
  hooks: {
    beforeActivate(artifact) {
      const classes = artifact.fields.class_definitions as string[] | undefined;
      if (artifact.fields.type === 'Library' && (!classes || classes.length === 0)) {
        throw new BadRequest('a Library package must define at least one class in class_definitions before activation');
      }
    },
  },
});
