/**
 * @module Comments: flat, oldest first, on an artifact name. Bodies are plain text, stored as
 * given (trimmed; the edge has refused unpaired surrogates) and never interpreted: whoever renders them escapes them (JSON does; the web
 * pages' JSX does). The author edits and deletes their own; an admin hides one, which then only
 * admins see.
 */
import type { Artifact } from '../artifacts/artifact.js';
import { conn, type OpContext } from '../artifacts/context.js';
import { ARTIFACT_ID } from '../artifacts/names.js';
import { hasAdminRights, requireAdmin } from '../artifacts/policy.js';
import {
  countComments,
  deleteComment as deleteCommentRow,
  findComment,
  insertComment,
  listCommentRows,
  updateComment,
  type CommentRow,
} from '../db/queries/community.js';
import { BadRequest, Forbidden, NotFound } from '../errors.js';
import { contributedArtifact, contributor, nameOf, seenArtifact, type CommunityTarget, type NameOf } from './target.js';

export interface Comment {
  id: string;
  author: { userId: string; projectId: string };
  body: string;
  createdAt: Date;
  /** When the author last edited the body, if ever. */
  editedAt: Date | null;
  hidden: boolean;
}

export interface CommentPage {
  comments: Comment[];
  /** How many comments the caller can see on this artifact name. */
  total: number;
  /** Set when the page is full: the id to pass as `marker` for the next one. */
  nextMarker?: string;
}

const toComment = (row: CommentRow): Comment => ({
  id: row.id,
  author: { userId: row.authorId, projectId: row.authorProject },
  body: row.body,
  createdAt: row.createdAt,
  editedAt: row.editedAt,
  hidden: row.hiddenAt !== null,
});

/** Control characters other than tab and line feed have no place in plain text. */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a) || code === 0x7f) return true;
  }
  return false;
}

function commentBody(body: string, maxChars: number): string {
  const text = body.replace(/\r\n?/g, '\n').trim();
  if (text === '') throw new BadRequest('a comment needs some text');
  if (hasControlCharacter(text)) throw new BadRequest('a comment is plain text: no control characters other than tab and line breaks');
  const chars = [...text].length;
  if (chars > maxChars) throw new BadRequest(`a comment has at most ${maxChars} characters; this one has ${chars}`);
  return text;
}

export async function listComments(ctx: OpContext, target: CommunityTarget & { limit: number; marker?: string }): Promise<CommentPage> {
  return listCommentsOfShown(ctx, await seenArtifact(ctx, target), target);
}

/** listComments of an artifact the caller has already been shown (read with showArtifact for this actor). */
export async function listCommentsOfShown(ctx: OpContext, artifact: Artifact, target: { limit: number; marker?: string }): Promise<CommentPage> {
  const key = nameOf(artifact);
  const includeHidden = hasAdminRights(ctx.actor);
  let after: { createdAt: Date; id: string } | undefined;
  if (target.marker !== undefined) {
    const marker = ARTIFACT_ID.test(target.marker) ? await findComment(conn(ctx), { ...key, id: target.marker.toLowerCase() }) : undefined;
    if (!marker) throw new BadRequest(`marker ${target.marker.slice(0, 60)} is not a comment on this artifact`);
    after = { createdAt: marker.createdAt, id: marker.id };
  }
  const [rows, total] = await Promise.all([
    target.limit === 0 ? [] : listCommentRows(conn(ctx), { ...key, includeHidden, limit: target.limit, ...(after ? { after } : {}) }),
    countComments(conn(ctx), { ...key, includeHidden }),
  ]);
  const full = rows.length > 0 && rows.length === target.limit;
  return { comments: rows.map(toComment), total, ...(full ? { nextMarker: rows.at(-1)!.id } : {}) };
}

export async function addComment(ctx: OpContext, target: CommunityTarget & { body: string }): Promise<Comment> {
  const body = commentBody(target.body, ctx.catalog.config.community.comment_max_chars);
  const { user, artifact } = await contributedArtifact(ctx, target, 'comment');
  const row = await insertComment(conn(ctx), { ...nameOf(artifact), authorId: user.userId, authorProject: user.projectId, body, now: ctx.now() });
  return toComment(row);
}

/** The comment, if the caller sees it: hidden ones only admins see. */
async function seenComment(ctx: OpContext, key: NameOf, commentId: string): Promise<CommentRow> {
  const row = ARTIFACT_ID.test(commentId) ? await findComment(conn(ctx), { ...key, id: commentId.toLowerCase() }) : undefined;
  if (!row || (row.hiddenAt !== null && !hasAdminRights(ctx.actor))) throw new NotFound(`no comment ${commentId.slice(0, 60)} on this artifact`);
  return row;
}

async function authoredComment(ctx: OpContext, target: CommunityTarget & { commentId: string }, action: string): Promise<CommentRow> {
  const user = contributor(ctx.actor, action);
  const row = await seenComment(ctx, nameOf(await seenArtifact(ctx, target)), target.commentId);
  if (row.authorId !== user.userId) throw new Forbidden(`only its author may ${action}`);
  return row;
}

export async function editComment(ctx: OpContext, target: CommunityTarget & { commentId: string; body: string }): Promise<Comment> {
  const body = commentBody(target.body, ctx.catalog.config.community.comment_max_chars);
  const row = await authoredComment(ctx, target, 'edit a comment');
  const now = ctx.now();
  const updated = await updateComment(conn(ctx), row.id, { body, editedAt: now, updatedAt: now });
  if (!updated) throw new NotFound(`no comment ${row.id} on this artifact`);
  return toComment(updated);
}

export async function deleteComment(ctx: OpContext, target: CommunityTarget & { commentId: string }): Promise<void> {
  const row = await authoredComment(ctx, target, 'delete a comment');
  await deleteCommentRow(conn(ctx), row.id);
}

/** Hides a comment from everyone but admins, or shows it again (admins only). */
export async function hideComment(ctx: OpContext, target: CommunityTarget & { commentId: string; hidden: boolean }): Promise<Comment> {
  requireAdmin(ctx.actor, 'hide or show comments');
  const row = await seenComment(ctx, nameOf(await seenArtifact(ctx, target)), target.commentId);
  const now = ctx.now();
  const hiddenBy = ctx.actor.kind === 'user' ? ctx.actor.userId : ctx.actor.kind;
  const updated = await updateComment(conn(ctx), row.id, target.hidden ? { hiddenAt: now, hiddenBy, updatedAt: now } : { hiddenAt: null, hiddenBy: null, updatedAt: now });
  if (!updated) throw new NotFound(`no comment ${row.id} on this artifact`);
  return toComment(updated);
}

