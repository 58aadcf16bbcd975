/** @module /schemas: each enabled type's JSON schema, in Glare's shape. */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { ALL_TYPES } from '../../artifacts/names.js';
import type { Deps } from '../../deps.js';
import type { AppEnv } from '../env.js';
import { errorResponses, onInvalidInput } from '../errors.js';
import { TypeParam } from '../params.js';
import { allTypesJsonSchema, typeJsonSchema } from './json-schema.js';

const Schemas = z.object({ schemas: z.record(z.string(), z.record(z.string(), z.unknown())) }).openapi('TypeSchemas');

// Glare answers schemas as JSON Schema documents (api/v1/resource.py ResponseSerializer).
const SCHEMA_JSON = 'application/schema+json';

const listRoute = createRoute({
  method: 'get',
  path: '/schemas',
  summary: 'JSON schemas of every enabled artifact type',
  responses: { 200: { description: '{"schemas": {type_name: schema}}', content: { [SCHEMA_JSON]: { schema: Schemas } } } },
});

const showRoute = createRoute({
  method: 'get',
  path: '/schemas/{type}',
  summary: 'JSON schema of one artifact type',
  request: { params: z.object({ type: TypeParam }) },
  responses: { 200: { description: '{"schemas": {type_name: schema}}', content: { [SCHEMA_JSON]: { schema: Schemas } } }, ...errorResponses },
});

/** c.json's response, labelled as Glare labels it. */
function asSchemaJson<R extends Response>(res: R): R {
  res.headers.set('content-type', `${SCHEMA_JSON}; charset=UTF-8`);
  return res;
}

export function schemasRouter(deps: Deps) {
  const router = new OpenAPIHono<AppEnv>({ defaultHook: onInvalidInput });

  router.openapi(listRoute, (c) => {
    const body: Record<string, Record<string, unknown>> = { [ALL_TYPES]: allTypesJsonSchema() };
    for (const t of deps.types.list()) body[t.name] = typeJsonSchema(t);
    return asSchemaJson(c.json({ schemas: body }, 200));
  });

  router.openapi(showRoute, (c) => {
    const { type } = c.req.valid('param');
    const schema = type === ALL_TYPES ? allTypesJsonSchema() : typeJsonSchema(deps.types.get(type));
    return asSchemaJson(c.json({ schemas: { [type]: schema } }, 200));
  });

  return router;
}
