/** @module The frame of every page: head, site header (search, sign in/out), main, footer. */
import type { Child } from 'hono/jsx';
import type { Actor } from '../artifacts/actor.js';
import { assetUrl } from './assets.js';

export interface PageFrame {
  title: string;
  actor: Actor;
  /** Signed in through the session cookie (so there is a session to end). */
  session: boolean;
  csrf: string;
  /** The search box's current text. */
  query?: string;
  /** Where "sign in" brings the user back to. */
  here: string;
}

export function Layout(props: PageFrame & { children?: Child }) {
  const { actor } = props;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · Artifact catalog`}</title>
        <link rel="icon" href={assetUrl('favicon.svg')} type="image/svg+xml" />
        <link rel="stylesheet" href={assetUrl('app.css')} />
        <script src={assetUrl('app.js')} defer></script>
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="site">
          <nav aria-label="Site">
            <a class="brand" href="/">
              Artifact catalog
            </a>
            <a href="/search">Browse</a>
            {actor.kind === 'user' ? (
              <>
                <span>
                  Signed in: <span class="mono">{actor.userId}</span> ({actor.projectId})
                </span>
                {props.session && (
                  <form method="post" action="/sign-out">
                    <input type="hidden" name="csrf" value={props.csrf} />
                    <button class="link" type="submit">
                      Sign out
                    </button>
                  </form>
                )}
              </>
            ) : (
              <a href={`/sign-in?next=${encodeURIComponent(props.here)}`}>Sign in</a>
            )}
          </nav>
        </header>
        <main id="main" tabindex={-1}>
          {props.children}
        </main>
        <footer class="site">
          <p>
            The same catalog answers the Glare v1 API under <a href="/artifacts/all">/artifacts</a> (<a href="/docs">API documentation</a>).
          </p>
        </footer>
      </body>
    </html>
  );
}

/** The search form: plain GET to /search; the script adds name suggestions. */
export function SearchBox(props: { query?: string; type?: string; label?: string }) {
  return (
    <form class="search" role="search" method="get" action="/search">
      <label for="q">
        {props.label ?? 'Search the catalog'}
      </label>
      <input type="search" id="q" name="q" value={props.query ?? ''} list="q-suggestions" data-suggest="/search/suggest" autocomplete="off" maxlength={200} />
      <datalist id="q-suggestions"></datalist>
      {props.type && <input type="hidden" name="type" value={props.type} />}
      <button type="submit">Search</button>
    </form>
  );
}
