import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNode, type TestNode } from '../support/node.js';

let node: TestNode;

beforeAll(async () => {
  node = await createTestNode();
});
afterAll(() => node.close());

describe('operations endpoints', () => {
  it('answers liveness and readiness', async () => {
    expect(await (await node.request('GET', '/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await node.request('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect((await ready.json()).checks).toEqual({ database: 'ok' });
  });

  it('exports Prometheus metrics with the route of each request', async () => {
    await node.request('GET', '/artifacts/images');
    const res = await node.request('GET', '/metrics');
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/catalog_http_requests_total\{method="GET",route="\/artifacts\/:type",status="200"\} \d+/);
    expect(text).toMatch(/catalog_http_request_duration_seconds_bucket/);
  });

  it('publishes an OpenAPI 3.1 document and a Swagger UI', async () => {
    const doc = await (await node.request('GET', '/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    for (const path of ['/artifacts/{type}', '/artifacts/{type}/{id}', '/artifacts/{type}/{id}/{blob}', '/artifacts/{type}/{id}/shares/{project}', '/schemas/{type}', '/quotas', '/project-quotas']) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
    expect(doc.paths['/artifacts/{type}'].get.description).toMatch(/semver range/);
    const ui = await node.request('GET', '/docs');
    expect(ui.status).toBe(200);
    expect(await ui.text()).toMatch(/swagger/i);
  });

  it('answers unknown routes with a Glare error body and echoes the request id', async () => {
    const res = await node.request('GET', '/nowhere', { headers: { 'x-request-id': 'trace-12345678' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe('trace-12345678');
    expect(await res.json()).toEqual({
      title: 'Not Found',
      code: 404,
      explanation: 'no route for GET /nowhere',
      error: { type: 'NotFound', message: 'no route for GET /nowhere' },
      request_id: 'trace-12345678',
    });
  });

  it('lists API versions at the root', async () => {
    const body = await (await node.request('GET', '/')).json();
    expect(body.versions[0]).toMatchObject({ id: 'v1.1', status: 'CURRENT' });
  });
});
