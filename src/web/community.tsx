/** @module The artifact page's community section: rating, download statistics and comments, with their forms. */
import type { Actor } from '../artifacts/actor.js';
import type { Artifact } from '../artifacts/artifact.js';
import type { OpContext } from '../artifacts/context.js';
import { hasAdminRights } from '../artifacts/policy.js';
import { listCommentsOfShown, type CommentPage } from '../community/comments.js';
import { downloadStatsOfShown, type DownloadStats } from '../community/downloads.js';
import { MAX_SCORE, MIN_SCORE, ratingOfShown, type RatingSummary } from '../community/ratings.js';
import { formatDate } from './format.js';

/** Comments shown on the page: the first ones, oldest first. */
const COMMENTS_SHOWN = 100;
const STATS_DAYS = 30;

export interface CommunityFacts {
  rating: RatingSummary;
  downloads: DownloadStats;
  comments: CommentPage;
}

/** The artifact page's community panel: one query each for the rating, the downloads and the comments (bounded). */
export async function communityFacts(ctx: OpContext, artifact: Artifact): Promise<CommunityFacts> {
  const [rating, downloads, comments] = await Promise.all([ratingOfShown(ctx, artifact), downloadStatsOfShown(ctx, artifact, STATS_DAYS), listCommentsOfShown(ctx, artifact, { limit: COMMENTS_SHOWN })]);
  return { rating, downloads, comments };
}

export function ratingText(r: Pick<RatingSummary, 'average' | 'count'>): string {
  return r.average === undefined ? 'Not rated yet' : `${r.average.toFixed(1)} of ${MAX_SCORE} (${r.count} ${r.count === 1 ? 'rating' : 'ratings'})`;
}

export function CommunitySection(props: { facts: CommunityFacts; actor: Actor; csrf: string; action: string; artifact: Artifact; maxChars: number }) {
  const { rating, downloads, comments } = props.facts;
  const user = props.actor.kind === 'user' ? props.actor : undefined;
  // Admins see hidden comments (marked so) and hide or show them.
  const admin = hasAdminRights(props.actor);
  const scores = Array.from({ length: MAX_SCORE - MIN_SCORE + 1 }, (_, i) => MAX_SCORE - i);
  const recent = downloads.days.reduce((sum, d) => sum + d.downloads, 0);
  return (
    <section id="community" aria-labelledby="community-heading">
      <h2 id="community-heading">Rating and comments</h2>
      <p>
        <strong>Rating:</strong> {ratingText(rating)}
        {rating.mine !== undefined && <> · your rating: {rating.mine}</>}
      </p>
      <p>
        <strong>Downloads:</strong> {downloads.total.toLocaleString('en')} of this version, {downloads.nameTotal.toLocaleString('en')} of all versions; {recent.toLocaleString('en')} in the last {STATS_DAYS} days
        {downloads.lastDownloadAt && <> (last {formatDate(downloads.lastDownloadAt)})</>}.
      </p>
      {user && props.artifact.status === 'active' && (
        <form method="post" action={`${props.action}/rating`} class="search">
          <input type="hidden" name="csrf" value={props.csrf} />
          <label for="score">Your rating of {props.artifact.name}</label>
          <select id="score" name="score">
            {scores.map((s) => (
              <option value={String(s)} selected={s === (rating.mine ?? MAX_SCORE)}>
                {`${s} of ${MAX_SCORE}`}
              </option>
            ))}
          </select>
          <button type="submit">Rate</button>
          {rating.mine !== undefined && (
            <button type="submit" name="remove" value="1">
              Remove my rating
            </button>
          )}
        </form>
      )}
      <h3>
        Comments <span class="muted">({comments.total})</span>
      </h3>
      {comments.comments.length === 0 ? (
        <p class="muted">No comments yet.</p>
      ) : (
        <ol class="plain" aria-label="Comments">
          {comments.comments.map((c) => (
            <li>
              <article aria-label={`Comment by ${c.author.userId}`}>
                <p class="muted">
                  <span class="mono">{c.author.userId}</span> ({c.author.projectId}) · {formatDate(c.createdAt)}
                  {c.editedAt && <> · edited</>}
                  {c.hidden && <> · hidden</>}
                </p>
                <p class="prose">{c.body}</p>
                {user?.userId === c.author.userId && (
                  <>
                    <details>
                      <summary>Edit my comment</summary>
                      <form method="post" action={`${props.action}/comments/${c.id}/edit`}>
                        <input type="hidden" name="csrf" value={props.csrf} />
                        <p>
                          <label for={`edit-${c.id}`}>Edited comment</label>
                          <br />
                          <textarea id={`edit-${c.id}`} name="body" required maxlength={props.maxChars}>
                            {c.body}
                          </textarea>
                        </p>
                        <button type="submit">Save comment</button>
                      </form>
                    </details>
                    <form method="post" action={`${props.action}/comments/${c.id}/delete`}>
                      <input type="hidden" name="csrf" value={props.csrf} />
                      <button class="link" type="submit">
                        Delete my comment
                      </button>
                    </form>
                  </>
                )}
                {admin && (
                  <form method="post" action={`${props.action}/comments/${c.id}/hidden`}>
                    <input type="hidden" name="csrf" value={props.csrf} />
                    <input type="hidden" name="hidden" value={c.hidden ? 'false' : 'true'} />
                    <button class="link" type="submit">
                      {c.hidden ? 'Show this comment again' : 'Hide this comment'}
                    </button>
                  </form>
                )}
              </article>
            </li>
          ))}
        </ol>
      )}
      {user && props.artifact.status === 'active' ? (
        <form method="post" action={`${props.action}/comments`}>
          <input type="hidden" name="csrf" value={props.csrf} />
          <p>
            <label for="comment">Add a comment</label>
            <br />
            <textarea id="comment" name="body" required maxlength={props.maxChars}></textarea>
          </p>
          <button type="submit">Post comment</button>
        </form>
      ) : (
        !user && <p class="muted">Sign in to rate and comment.</p>
      )}
    </section>
  );
}
