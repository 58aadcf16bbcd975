/** @module Path and query parameters shared by the routers, parsed at the edge. */
import { z } from '@hono/zod-openapi';
import { ALL_TYPES, PROJECT_ID, PROJECT_ID_RULE, TYPE_NAME } from '../artifacts/names.js';

export const TypeParam = z
  .string()
  .regex(TYPE_NAME, 'an artifact type name is lower case letters, digits and _')
  .openapi({ param: { name: 'type', in: 'path' }, example: 'heat_templates', description: `Artifact type, or "${ALL_TYPES}" for the read-only view over every type` });

// Any text: an id that is no UUID finds no artifact, so it is 404 as in Glare, not 400.
export const IdParam = z
  .string()
  .max(255)
  .transform((s) => s.toLowerCase())
  .openapi({ param: { name: 'id', in: 'path' }, example: '5b2c9d1e-8c1f-4e7a-9a53-0d0c2f3e4a5b' });

const ProjectId = z.string().regex(PROJECT_ID, `a project id is ${PROJECT_ID_RULE}`);

export const ProjectParam = ProjectId.openapi({ param: { name: 'project', in: 'path' }, example: 'p-engineering' });
export const ProjectQuery = ProjectId.openapi({ param: { name: 'project_id', in: 'query' }, example: 'p-engineering' });

/** An OpenAPI response with a JSON body. */
export const jsonResponse = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });

/** A time as the API writes it (ISO 8601), or null when there is none. */
export const isoOrNull = (d: Date | null): string | null => (d ? d.toISOString() : null);
