/** @module Path and query parameters shared by the routers, parsed at the edge. */
import { z } from '@hono/zod-openapi';

export const ALL_TYPES = 'all';

export const TypeParam = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, 'an artifact type name is lower case letters, digits and _')
  .openapi({ param: { name: 'type', in: 'path' }, example: 'heat_templates', description: 'Artifact type, or "all" for the read-only view over every type' });

export const IdParam = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'an artifact id is a UUID')
  .transform((s) => s.toLowerCase())
  .openapi({ param: { name: 'id', in: 'path' }, example: '5b2c9d1e-8c1f-4e7a-9a53-0d0c2f3e4a5b' });

const ProjectId = z.string().regex(/^[A-Za-z0-9_.@:-]{1,255}$/, 'a project id is 1-255 characters of letters, digits and _.@:-');

export const ProjectParam = ProjectId.openapi({ param: { name: 'project', in: 'path' }, example: 'p-engineering' });
export const ProjectQuery = ProjectId.openapi({ param: { name: 'project_id', in: 'query' }, example: 'p-engineering' });

export const ArtifactView = z.record(z.string(), z.unknown()).openapi('Artifact', {
  description: 'An artifact: every generic and type-specific field, flat (see GET /schemas/{type})',
});

/** An OpenAPI response with a JSON body. */
export const jsonResponse = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });
