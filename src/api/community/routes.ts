/**
 * @module Community data over HTTP (extension): ratings, comments and download statistics of an
 * artifact, under /artifacts/{type}/{id}/. Mounted before the blob routes, so a type cannot take
 * `rating`, `comments` or `downloads` for a blob field's URL. Anyone who sees the artifact reads;
 * signed-in users write; anonymous callers write nothing (403).
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ArtifactType } from '../../artifacts/artifact-type.js';
import { ALL_TYPES } from '../../artifacts/names.js';
import { addComment, deleteComment, editComment, hideComment, listComments, type Comment } from '../../community/comments.js';
import { MAX_STATS_DAYS, downloadStats } from '../../community/downloads.js';
import { MAX_SCORE, MIN_SCORE, rate, ratingOf, unrate, type RatingSummary } from '../../community/ratings.js';
import type { Deps } from '../../deps.js';
import { BadRequest } from '../../errors.js';
import { opContextOf, type AppEnv } from '../env.js';
import { describeZodError, errorResponses, onInvalidInput } from '../errors.js';
import { readJsonBody } from '../json-body.js';
import { IdParam, TypeParam, jsonResponse } from '../params.js';

const CommentIdParam = z.string().max(255).openapi({ param: { name: 'comment_id', in: 'path' }, example: '0b9d3f52-4f7e-4c55-9d0e-2f1a7c3b8e61' });
const ArtifactParams = z.object({ type: TypeParam, id: IdParam });
const CommentParams = z.object({ type: TypeParam, id: IdParam, comment_id: CommentIdParam });

const RatingView = z
  .object({
    average: z.number().nullable().openapi({ description: 'Average of the ratings, null while there are none' }),
    count: z.number().int(),
    mine: z.number().int().optional().openapi({ description: 'The calling user’s own rating, when they have one' }),
  })
  .openapi('Rating');
const RatingInput = z.object({ score: z.number().int().min(MIN_SCORE).max(MAX_SCORE) }).strict();
// Bodies are described as plain JSON schemas, so zod-openapi does not read them before
// readJsonBody (content type, size limit, storable text) does; the zod schemas then validate.
const RatingBody = { type: 'object' as const, required: ['score'], additionalProperties: false, properties: { score: { type: 'integer' as const, minimum: MIN_SCORE, maximum: MAX_SCORE } } };

const CommentView = z
  .object({
    id: z.string(),
    author: z.object({ user_id: z.string(), project_id: z.string() }),
    body: z.string().openapi({ description: 'Plain text, never markup: escape it wherever it is shown' }),
    created_at: z.string(),
    edited_at: z.string().nullable(),
    hidden: z.boolean().openapi({ description: 'Hidden by an admin: only admins see it' }),
  })
  .openapi('Comment');
const CommentList = z.object({ comments: z.array(CommentView), total_count: z.number().int(), next: z.string().optional() }).openapi('CommentList');
const CommentInput = z.object({ body: z.string() }).strict();
const CommentBody = { type: 'object' as const, required: ['body'], additionalProperties: false, properties: { body: { type: 'string' as const, description: 'Plain text' } } };

const DownloadStatsView = z
  .object({
    downloads: z.number().int().openapi({ description: 'Downloads of this artifact (this version), all time' }),
    name_downloads: z.number().int().openapi({ description: 'Downloads of every version of this artifact’s name' }),
    last_download_at: z.string().nullable(),
    days: z.array(z.object({ day: z.string(), downloads: z.number().int() })).openapi({ description: 'UTC days with downloads in the window, newest first' }),
  })
  .openapi('DownloadStats');

const tags = ['community'];

const routes = {
  showRating: createRoute({ method: 'get', path: '/artifacts/{type}/{id}/rating', tags, summary: 'Average rating of the artifact’s name, and your own', request: { params: ArtifactParams }, responses: { 200: jsonResponse(RatingView, 'The rating'), ...errorResponses } }),
  rate: createRoute({
    method: 'put',
    path: '/artifacts/{type}/{id}/rating',
    tags,
    summary: 'Rate the artifact’s name 1 to 5 (replaces your earlier rating)',
    request: { params: ArtifactParams, body: { required: true, content: { 'application/json': { schema: RatingBody } } } },
    responses: { 200: jsonResponse(RatingView, 'The rating, yours included'), ...errorResponses },
  }),
  unrate: createRoute({ method: 'delete', path: '/artifacts/{type}/{id}/rating', tags, summary: 'Remove your rating', request: { params: ArtifactParams }, responses: { 200: jsonResponse(RatingView, 'The rating without yours'), ...errorResponses } }),
  listComments: createRoute({
    method: 'get',
    path: '/artifacts/{type}/{id}/comments',
    tags,
    summary: 'Comments on the artifact’s name, oldest first',
    request: {
      params: ArtifactParams,
      query: z.object({
        limit: z.coerce.number().int().min(0).max(1000).optional().openapi({ description: 'Page size (default 25)' }),
        marker: z.string().max(255).optional().openapi({ description: 'Id of the last comment of the previous page' }),
      }),
    },
    responses: { 200: jsonResponse(CommentList, 'A page of comments'), ...errorResponses },
  }),
  addComment: createRoute({
    method: 'post',
    path: '/artifacts/{type}/{id}/comments',
    tags,
    summary: 'Comment on an active artifact (plain text)',
    request: { params: ArtifactParams, body: { required: true, content: { 'application/json': { schema: CommentBody } } } },
    responses: { 201: jsonResponse(CommentView, 'The comment'), ...errorResponses },
  }),
  editComment: createRoute({
    method: 'patch',
    path: '/artifacts/{type}/{id}/comments/{comment_id}',
    tags,
    summary: 'Edit your comment',
    request: { params: CommentParams, body: { required: true, content: { 'application/json': { schema: CommentBody } } } },
    responses: { 200: jsonResponse(CommentView, 'The edited comment'), ...errorResponses },
  }),
  deleteComment: createRoute({ method: 'delete', path: '/artifacts/{type}/{id}/comments/{comment_id}', tags, summary: 'Delete your comment', request: { params: CommentParams }, responses: { 204: { description: 'Deleted' }, ...errorResponses } }),
  hideComment: createRoute({ method: 'put', path: '/artifacts/{type}/{id}/comments/{comment_id}/hidden', tags, summary: 'Hide a comment from everyone but admins (admin)', request: { params: CommentParams }, responses: { 200: jsonResponse(CommentView, 'The hidden comment'), ...errorResponses } }),
  showComment: createRoute({ method: 'delete', path: '/artifacts/{type}/{id}/comments/{comment_id}/hidden', tags, summary: 'Show a hidden comment again (admin)', request: { params: CommentParams }, responses: { 200: jsonResponse(CommentView, 'The comment'), ...errorResponses } }),
  downloads: createRoute({
    method: 'get',
    path: '/artifacts/{type}/{id}/downloads',
    tags,
    summary: 'Download statistics of the artifact',
    description: 'A download is a GET that serves the blob from its first byte (or redirects to it); a client resuming with a Range past byte 0 is not counted again. Counts reach the database in batches (`community.download_flush_ms`), so they may lag by that much.',
    request: { params: ArtifactParams, query: z.object({ days: z.coerce.number().int().min(1).max(MAX_STATS_DAYS).optional().openapi({ description: 'How many days back, today included (default 30)' }) }) },
    responses: { 200: jsonResponse(DownloadStatsView, 'The statistics'), ...errorResponses },
  }),
};

export function renderRating(r: RatingSummary): z.infer<typeof RatingView> {
  return { average: r.average ?? null, count: r.count, ...(r.mine !== undefined ? { mine: r.mine } : {}) };
}

function renderComment(c: Comment): z.infer<typeof CommentView> {
  return {
    id: c.id,
    author: { user_id: c.author.userId, project_id: c.author.projectId },
    body: c.body,
    created_at: c.createdAt.toISOString(),
    edited_at: c.editedAt?.toISOString() ?? null,
    hidden: c.hidden,
  };
}

export function communityRouter(deps: Deps) {
  const router = new OpenAPIHono<AppEnv>({ defaultHook: onInvalidInput });
  const limitBytes = deps.config.server.json_body_limit_kib * 1024;
  const typeOf = (name: string): ArtifactType | undefined => (name === ALL_TYPES ? undefined : deps.types.get(name));
  const ctxOf = (c: Context<AppEnv>) => opContextOf(deps, c);
  async function body<T>(c: Context<AppEnv>, schema: z.ZodType<T>): Promise<T> {
    const parsed = schema.safeParse(await readJsonBody(c, { accept: ['application/json'], limitBytes }));
    if (!parsed.success) throw new BadRequest(describeZodError(parsed.error));
    return parsed.data;
  }

  router.openapi(routes.showRating, async (c) => {
    const { type, id } = c.req.valid('param');
    return c.json(renderRating(await ratingOf(ctxOf(c), { type: typeOf(type), id })), 200);
  });
  router.openapi(routes.rate, async (c) => {
    const { type, id } = c.req.valid('param');
    const { score } = await body(c, RatingInput);
    return c.json(renderRating(await rate(ctxOf(c), { type: typeOf(type), id, score })), 200);
  });
  router.openapi(routes.unrate, async (c) => {
    const { type, id } = c.req.valid('param');
    return c.json(renderRating(await unrate(ctxOf(c), { type: typeOf(type), id })), 200);
  });

  router.openapi(routes.listComments, async (c) => {
    const { type, id } = c.req.valid('param');
    const { limit = deps.config.api.default_limit, marker } = c.req.valid('query');
    const page = await listComments(ctxOf(c), { type: typeOf(type), id, limit, ...(marker !== undefined ? { marker } : {}) });
    const out: z.infer<typeof CommentList> = { comments: page.comments.map(renderComment), total_count: page.total };
    if (page.nextMarker) out.next = `/artifacts/${type}/${id}/comments?${new URLSearchParams({ limit: String(limit), marker: page.nextMarker })}`;
    return c.json(out, 200);
  });
  router.openapi(routes.addComment, async (c) => {
    const { type, id } = c.req.valid('param');
    const input = await body(c, CommentInput);
    const comment = await addComment(ctxOf(c), { type: typeOf(type), id, body: input.body });
    c.header('Location', `/artifacts/${type}/${id}/comments/${comment.id}`);
    return c.json(renderComment(comment), 201);
  });
  router.openapi(routes.editComment, async (c) => {
    const { type, id, comment_id } = c.req.valid('param');
    const input = await body(c, CommentInput);
    return c.json(renderComment(await editComment(ctxOf(c), { type: typeOf(type), id, commentId: comment_id, body: input.body })), 200);
  });
  router.openapi(routes.deleteComment, async (c) => {
    const { type, id, comment_id } = c.req.valid('param');
    await deleteComment(ctxOf(c), { type: typeOf(type), id, commentId: comment_id });
    return c.body(null, 204);
  });
  for (const [route, hidden] of [[routes.hideComment, true], [routes.showComment, false]] as const) {
    router.openapi(route, async (c) => {
      const { type, id, comment_id } = c.req.valid('param');
      return c.json(renderComment(await hideComment(ctxOf(c), { type: typeOf(type), id, commentId: comment_id, hidden })), 200);
    });
  }

  router.openapi(routes.downloads, async (c) => {
    const { type, id } = c.req.valid('param');
    const { days = 30 } = c.req.valid('query');
    const stats = await downloadStats(ctxOf(c), { type: typeOf(type), id, days });
    return c.json({ downloads: stats.total, name_downloads: stats.nameTotal, last_download_at: stats.lastDownloadAt?.toISOString() ?? null, days: stats.days }, 200);
  });

  return router;
}
