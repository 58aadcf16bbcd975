/** @module /schemas: each enabled type's JSON schema, in Glare's shape. */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { ALL_TYPES } from '../../artifacts/names.js';
import type { ArtifactType } from '../../artifacts/artifact-type.js';
import type { Deps } from '../../deps.js';
import { BadRequest } from '../../errors.js';
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
  description: 'The newest version of the type, with `versions` listing every version the node serves (an extension); `?type_version=` shows an older one.',
  request: {
    params: z.object({ type: TypeParam }),
    query: z.object({
      type_version: z.string().min(1).max(64).optional().openapi({ description: 'A version of the type other than the newest (extension)', example: '1.0' }),
    }),
  },
  responses: { 200: { description: '{"schemas": {type_name: schema}}', content: { [SCHEMA_JSON]: { schema: Schemas } } }, ...errorResponses },
});

/** c.json's response, labelled as Glare labels it. */
function asSchemaJson<R extends Response>(res: R): R {
  res.headers.set('content-type', `${SCHEMA_JSON}; charset=UTF-8`);
  return res;
}

export function schemasRouter(deps: Deps) {
  const router = new OpenAPIHono<AppEnv>({ defaultHook: onInvalidInput });
  /** A version's schema, with every version of its type the node serves, oldest first. */
  const versioned = (t: ArtifactType) => ({ ...typeJsonSchema(t), versions: deps.types.versions(t.name).map((v) => v.version) });

  router.openapi(listRoute, (c) => {
    const body: Record<string, Record<string, unknown>> = { [ALL_TYPES]: allTypesJsonSchema() };
    for (const t of deps.types.list()) body[t.name] = versioned(t);
    return asSchemaJson(c.json({ schemas: body }, 200));
  });

  router.openapi(showRoute, (c) => {
    const { type } = c.req.valid('param');
    const { type_version: version } = c.req.valid('query');
    if (type === ALL_TYPES && version !== undefined) throw new BadRequest(`the "${ALL_TYPES}" view has no versions`);
    const schema = type === ALL_TYPES ? allTypesJsonSchema() : versioned(version === undefined ? deps.types.get(type) : deps.types.version(type, version));
    return asSchemaJson(c.json({ schemas: { [type]: schema } }, 200));
  });

  return router;
}
