/**
 * Response bodies as tests read them. Their shape is what the assertions check, so they are typed
 * loosely on purpose, here and only for tests: src/ never sees this type.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the assertions check the shape
export type Body = any;

/** A Response whose JSON body is typed for assertions. */
export interface TestResponse extends Response {
  json(): Promise<Body>;
}

/** The JSON body of any Response (from fetch, or a Hono app), typed for assertions. */
export function json(res: Response): Promise<Body> {
  return (res as TestResponse).json();
}
