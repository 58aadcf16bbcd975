/**
 * @module The catalog's pages as components of plain data: what to show is decided in
 * catalog.tsx, which reads it through the domain's verbs. Every text is escaped by hono/jsx;
 * links built from artifact data go through safeHref.
 */
import type { Child } from 'hono/jsx';
import { fieldValue as fieldValueOf, type Artifact, type BlobInfo } from '../artifacts/artifact.js';
import type { ArtifactType } from '../artifacts/artifact-type.js';
import { BLOB_KINDS, type FieldDef } from '../artifacts/fields.js';
import { AUTHORSHIP_FIELDS, GENERIC_FIELDS } from '../artifacts/generic-fields.js';
import { blobPath } from '../api/glare/render.js';
import { excerpt, formatDate, formatSize, safeHref } from './format.js';
import { Layout, SearchBox, type PageFrame } from './layout.js';
import type { FacetCounts, FacetValue } from '../artifacts/facets.js';
import { SORTS, searchHref, sortOf, type SearchParams, type SortName } from './search.js';

export interface TypeCount {
  type: ArtifactType;
  total: number;
  exact: boolean;
}

export const artifactHref = (a: Pick<Artifact, 'typeName' | 'id'>) => `/browse/${a.typeName}/${a.id}`;

function Count(props: { total: number; exact: boolean }) {
  return <>{props.exact ? props.total.toLocaleString('en') : `${props.total.toLocaleString('en')}+`}</>;
}

function Badges(props: { artifact: Artifact }) {
  const a = props.artifact;
  return (
    <>
      {a.status !== 'active' && <span class="status">{a.status}</span>}{' '}
      {a.visibility === 'private' && <span class="status private">private</span>}
    </>
  );
}

function ArtifactLine(props: { artifact: Artifact; typeName: string }) {
  const a = props.artifact;
  return (
    <li>
      <a href={artifactHref(a)}>{a.name}</a> <span class="muted">{a.version}</span> <span class="muted">· {props.typeName}</span> <Badges artifact={a} />
    </li>
  );
}

export interface RankedList {
  title: string;
  rows: Array<{ artifact: Artifact; figure: string }>;
}

export function FrontPage(props: { frame: PageFrame; counts: TypeCount[]; newest: Artifact[]; ranked: RankedList[]; displayName: (t: string) => string }) {
  return (
    <Layout {...props.frame}>
      <h1>Artifact catalog</h1>
      <SearchBox query="" />
      <section aria-labelledby="types-heading">
        <h2 id="types-heading">Artifacts by type</h2>
        <ul class="counts">
          {props.counts.map((c) => (
            <li>
              <a href={`/browse/${c.type.name}`}>
                {c.type.displayName} <span class="muted">(<Count total={c.total} exact={c.exact} />)</span>
              </a>
            </li>
          ))}
        </ul>
      </section>
      <div class="grid">
        <section class="card" aria-labelledby="newest-heading">
          <h2 id="newest-heading">Newest</h2>
          {props.newest.length === 0 ? (
            <p class="muted">Nothing in the catalog yet.</p>
          ) : (
            <ul class="plain">
              {props.newest.map((a) => (
                <ArtifactLine artifact={a} typeName={props.displayName(a.typeName)} />
              ))}
            </ul>
          )}
        </section>
        {props.ranked
          .filter((list) => list.rows.length > 0)
          .map((list, i) => (
            <section class="card" aria-labelledby={`ranked-${i}`}>
              <h2 id={`ranked-${i}`}>{list.title}</h2>
              <ul class="plain">
                {list.rows.map((r) => (
                  <li>
                    <a href={artifactHref(r.artifact)}>{r.artifact.name}</a> <span class="muted">{r.artifact.version}</span> <span class="muted">· {props.displayName(r.artifact.typeName)} · {r.figure}</span>
                  </li>
                ))}
              </ul>
            </section>
          ))}
      </div>
    </Layout>
  );
}

function FacetList(props: { title: string; values: FacetValue[]; exact: boolean; selected: string | undefined; href: (value: string | undefined) => string; label?: (v: string) => string }) {
  if (props.values.length === 0 && props.selected === undefined) return null;
  const id = `facet-${props.title.toLowerCase()}`;
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{props.title}</h2>
      <ul>
        {props.selected !== undefined && (
          <li>
            <a href={props.href(undefined)}>Any {props.title.toLowerCase()}</a>
          </li>
        )}
        {props.values.map((v) => (
          <li>
            <a href={props.href(v.value)} aria-current={v.value === props.selected ? 'true' : undefined}>
              {props.label ? props.label(v.value) : v.value}
            </a>{' '}
            <span class="muted">({props.exact ? v.count.toLocaleString('en') : `${v.count.toLocaleString('en')}+`})</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

export interface SearchView {
  params: SearchParams;
  /** The page's own path: /search, or a type's page. */
  path: string;
  results: Artifact[];
  total: number;
  exact: boolean;
  nextMarker?: string;
  facets: FacetCounts;
  displayName: (typeName: string) => string;
  /** On a type's page the type is fixed: no type facet. */
  fixedType?: ArtifactType;
}

export function SearchResults(props: { view: SearchView }) {
  const { params: p, path } = props.view;
  const { facets, exact } = props.view.facets;
  const href = (change: Partial<SearchParams>) => searchHref(p, change, path);
  const withTag = (tag: string) => (p.tags.includes(tag) ? p.tags : [...p.tags, tag]);
  const chips: Array<{ label: string; href: string }> = [];
  if (p.q) chips.push({ label: `text: “${p.q}”`, href: href({ q: '', sort: p.sort === 'relevance' ? undefined : p.sort }) });
  if (p.type && !props.view.fixedType) chips.push({ label: `type: ${props.view.displayName(p.type)}`, href: href({ type: undefined }) });
  for (const t of p.tags) chips.push({ label: `tag: ${t}`, href: href({ tags: p.tags.filter((x) => x !== t) }) });
  if (p.license) chips.push({ label: `license: ${p.license}`, href: href({ license: undefined }) });
  if (p.provider) chips.push({ label: `provider: ${p.provider}`, href: href({ provider: undefined }) });
  if (p.release) chips.push({ label: `release: ${p.release}`, href: href({ release: undefined }) });

  return (
    <div class="layout">
      <aside class="facets" aria-label="Narrow the results">
        {!exact && <p class="muted">Counted among {props.view.facets.tallied.toLocaleString('en')} of the matches: “n+” means at least n.</p>}
        {!props.view.fixedType && <FacetList title="Type" values={facets.type} exact={exact} selected={p.type} href={(v) => href({ type: v })} label={props.view.displayName} />}
        <FacetList title="Tags" values={facets.tags.filter((t) => !p.tags.includes(t.value))} exact={exact} selected={undefined} href={(v) => href({ tags: v === undefined ? [] : withTag(v) })} />
        <FacetList title="License" values={facets.license} exact={exact} selected={p.license} href={(v) => href({ license: v })} />
        <FacetList title="Provider" values={facets.provider} exact={exact} selected={p.provider} href={(v) => href({ provider: v })} />
        <FacetList title="Release" values={facets.release} exact={exact} selected={p.release} href={(v) => href({ release: v })} />
      </aside>
      <section aria-labelledby="results-heading">
        <h2 id="results-heading">
          <Count total={props.view.total} exact={props.view.exact} /> {props.view.total === 1 && props.view.exact ? 'match' : 'matches'}
        </h2>
        {chips.length > 0 && (
          <ul class="chips" aria-label="Active filters (select one to remove it)">
            {chips.map((chip) => (
              <li>
                <a href={chip.href} aria-label={`Remove filter ${chip.label}`}>
                  {chip.label} ✕
                </a>
              </li>
            ))}
          </ul>
        )}
        <form method="get" action={path} class="search">
          {p.q && <input type="hidden" name="q" value={p.q} />}
          {p.type && !props.view.fixedType && <input type="hidden" name="type" value={p.type} />}
          {p.tags.map((t) => (
            <input type="hidden" name="tag" value={t} />
          ))}
          {p.license && <input type="hidden" name="license" value={p.license} />}
          {p.provider && <input type="hidden" name="provider" value={p.provider} />}
          {p.release && <input type="hidden" name="release" value={p.release} />}
          <label for="sort">Sort</label>
          <select id="sort" name="sort">
            {(Object.keys(SORTS) as SortName[]).filter((s) => s !== 'relevance' || p.q).map((s) => (
              <option value={s} selected={s === sortOf(p)}>
                {SORTS[s].label}
              </option>
            ))}
          </select>
          <button type="submit">Apply</button>
        </form>
        {props.view.results.length === 0 ? (
          <p>No artifact matches. Remove a filter or search for less.</p>
        ) : (
          <ol class="plain" aria-label="Results">
            {props.view.results.map((a) => (
              <li class="result">
                <h2>
                  <a href={artifactHref(a)}>{a.name}</a> <span class="muted">{a.version}</span>
                </h2>
                <div class="muted">
                  {props.view.displayName(a.typeName)}
                  {a.license && <> · {a.license}</>}
                  {a.providedBy?.name && <> · {a.providedBy.name}</>} <Badges artifact={a} />
                </div>
                {a.description && <p>{excerpt(a.description)}</p>}
                {a.tags.length > 0 && (
                  <div>
                    {a.tags.map((t) => (
                      <span class="tag">{t}</span>
                    ))}
                  </div>
                )}
              </li>
            ))}
          </ol>
        )}
        <nav class="pager" aria-label="Pages">
          {p.marker && <a href={href({})}>First page</a>}
          {props.view.nextMarker && (
            <a href={href({ marker: props.view.nextMarker })} rel="next">
              Next page
            </a>
          )}
        </nav>
      </section>
    </div>
  );
}

export function SearchPage(props: { frame: PageFrame; view: SearchView }) {
  return (
    <Layout {...props.frame}>
      <h1>{props.view.params.q ? `Search: ${props.view.params.q}` : 'Browse the catalog'}</h1>
      <SearchBox query={props.view.params.q} {...(props.view.params.type ? { type: props.view.params.type } : {})} />
      <SearchResults view={props.view} />
    </Layout>
  );
}

export function TypePage(props: { frame: PageFrame; type: ArtifactType; view: SearchView }) {
  const t = props.type;
  return (
    <Layout {...props.frame}>
      <h1>{t.displayName}</h1>
      {t.description && <p>{t.description}</p>}
      <p class="muted">
        Type <code>{t.name}</code>, schema version {t.version}. <a href={`/schemas/${t.name}`}>JSON schema</a>
      </p>
      <SearchBox query={props.view.params.q} type={t.name} label={`Search ${t.displayName}`} />
      <SearchResults view={props.view} />
      <details>
        <summary>Fields of this type</summary>
        <dl class="fields">
          {t.specificFields.map((f) => (
            <>
              <dt>
                <code>{f.name}</code> <span class="muted">({f.kind})</span>
              </dt>
              <dd>{f.description || '—'}</dd>
            </>
          ))}
        </dl>
      </details>
    </Layout>
  );
}

/** A field's value as text and links; internal artifact links point at their pages. */
function Value(props: { value: unknown; field: FieldDef }): Child {
  const v = props.value;
  if (v === null || v === undefined || v === '') return <span class="muted">—</span>;
  if (props.field.kind === 'link' && typeof v === 'string') return <LinkValue url={v} />;
  if (Array.isArray(v)) {
    if (v.length === 0) return <span class="muted">—</span>;
    return (
      <ul class="plain">
        {v.map((item) => (
          <li>{props.field.kind === 'link_list' && typeof item === 'string' ? <LinkValue url={item} /> : typeof item === 'object' ? <code>{JSON.stringify(item)}</code> : String(item)}</li>
        ))}
      </ul>
    );
  }
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length === 0) return <span class="muted">—</span>;
    return (
      <ul class="plain">
        {entries.map(([k, item]) => (
          <li>
            <code>{k}</code>: {props.field.kind === 'link_dict' && typeof item === 'string' ? <LinkValue url={item} /> : String(item)}
          </li>
        ))}
      </ul>
    );
  }
  return <>{String(v)}</>;
}

const INTERNAL_LINK = /^\/artifacts\/([a-z][a-z0-9_]*)\/([0-9a-f-]{36})$/;

function LinkValue(props: { url: string }) {
  const internal = INTERNAL_LINK.exec(props.url);
  if (internal) return <a href={`/browse/${internal[1]}/${internal[2]}`}>{props.url}</a>;
  const href = safeHref(props.url);
  return href ? (
    <a href={href} rel="nofollow noopener">
      {props.url}
    </a>
  ) : (
    <code>{props.url}</code>
  );
}

function Party(props: { title: string; who: Record<string, string> | null }) {
  if (!props.who || Object.keys(props.who).length === 0) return null;
  const { name, href, email, company, ...rest } = props.who;
  const link = safeHref(href);
  const mail = email && /^[^\s@]+@[^\s@]+$/.test(email) ? `mailto:${email}` : undefined;
  return (
    <>
      <dt>{props.title}</dt>
      <dd>
        {link ? <a href={link} rel="nofollow noopener">{name ?? href}</a> : (name ?? href ?? '')}
        {company && <> ({company})</>}
        {email && (mail ? <> · <a href={mail}>{email}</a></> : <> · {email}</>)}
        {Object.entries(rest).map(([k, v]) => (
          <div>
            <span class="muted">{k}:</span> {v}
          </div>
        ))}
      </dd>
    </>
  );
}

function Blob(props: { type: ArtifactType; artifact: Artifact; blob: BlobInfo }) {
  const b = props.blob;
  const label = b.key ? `${b.field} / ${b.key}` : b.field;
  const url = b.external ? safeHref(b.url) : blobPath(props.type.name, props.artifact.id, b.field, b.key);
  return (
    <li class="card">
      <h3>{label}</h3>
      <dl class="fields">
        <dt>Size</dt>
        <dd>{formatSize(b.size)}</dd>
        <dt>SHA-256</dt>
        <dd class="mono">{b.sha256 ?? '—'}</dd>
        {b.contentType && (
          <>
            <dt>Content type</dt>
            <dd class="mono">{b.contentType}</dd>
          </>
        )}
        {b.external && (
          <>
            <dt>Location</dt>
            <dd>External: the node records it but does not hold the bytes</dd>
          </>
        )}
      </dl>
      {b.status === 'active' && url ? (
        <p>
          <a class="button" href={url} download={b.external ? undefined : (b.key || b.field)} aria-label={`Download ${label} of ${props.artifact.name} ${props.artifact.version}`}>
            Download
          </a>
        </p>
      ) : (
        <p class="muted">{b.status === 'saving' ? 'Upload in progress.' : 'Not downloadable here.'}</p>
      )}
    </li>
  );
}

export interface ArtifactView {
  type: ArtifactType;
  artifact: Artifact;
  versions: Artifact[];
  /** Sections other features add (ratings, comments, dependencies...), in order. */
  sections: Child[];
}

export function ArtifactPage(props: { frame: PageFrame; view: ArtifactView }) {
  const { type, artifact: a } = props.view;
  const shown = new Set(['name', 'version', 'description', 'provided_by', 'supported_by', 'license', 'license_url', 'icon', 'display_type_name']);
  const generic = [...GENERIC_FIELDS, ...(type.authorship ? AUTHORSHIP_FIELDS : [])].filter((f) => !shown.has(f.name) && !BLOB_KINDS.has(f.kind));
  const own = type.specificFields.filter((f) => !BLOB_KINDS.has(f.kind));
  const blobs = a.blobs.filter((b) => b.field !== 'icon');
  const icon = a.blobs.find((b) => b.field === 'icon' && b.status === 'active' && !b.external);
  const value = (f: FieldDef) => (f.kind === 'datetime' ? formatDate(valueOf(type, a, f.name) as Date | null) : undefined);
  const licenseHref = safeHref(a.licenseUrl);
  return (
    <Layout {...props.frame}>
      <p class="muted">
        <a href={`/browse/${type.name}`}>{type.displayName}</a>
      </p>
      <h1>
        {icon && <img src={blobPath(type.name, a.id, 'icon', '')} alt="" width={48} height={48} />} {a.name} <span class="muted">{a.version}</span> <Badges artifact={a} />
      </h1>
      {a.description ? (
        a.description.split(/\n{2,}/).map((para) => <p class="prose">{para}</p>)
      ) : (
        <p class="muted">No description.</p>
      )}
      {a.tags.length > 0 && (
        <p>
          {a.tags.map((t) => (
            <a class="tag" href={searchHref({ q: '', tags: [t] }, {})}>
              {t}
            </a>
          ))}
        </p>
      )}
      {type.authorship && (
        <section aria-labelledby="about-heading">
          <h2 id="about-heading">Provider, support and license</h2>
          <dl class="fields">
            <Party title="Provided by" who={a.providedBy} />
            <Party title="Supported by" who={a.supportedBy} />
            <dt>License</dt>
            <dd>
              {a.license ?? <span class="muted">not stated</span>}
              {licenseHref && (
                <>
                  {' '}
                  (<a href={licenseHref} rel="nofollow noopener">license text</a>)
                </>
              )}
            </dd>
          </dl>
        </section>
      )}
      <section aria-labelledby="blobs-heading">
        <h2 id="blobs-heading">Downloads</h2>
        {blobs.length === 0 ? (
          <p class="muted">This artifact has no uploaded data.</p>
        ) : (
          <ul class="grid plain">
            {blobs.map((b) => (
              <Blob type={type} artifact={a} blob={b} />
            ))}
          </ul>
        )}
      </section>
      {props.view.sections}
      <section aria-labelledby="fields-heading">
        <h2 id="fields-heading">{type.displayName} fields</h2>
        <dl class="fields">
          {own.map((f) => (
            <>
              <dt>{f.name}</dt>
              <dd>
                <Value value={valueOf(type, a, f.name)} field={f} />
              </dd>
            </>
          ))}
          {generic.map((f) => (
            <>
              <dt>{f.name}</dt>
              <dd>{value(f) ?? <Value value={valueOf(type, a, f.name)} field={f} />}</dd>
            </>
          ))}
        </dl>
      </section>
      <section aria-labelledby="versions-heading">
        <h2 id="versions-heading">Versions of {a.name}</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {props.view.versions.map((v) => (
              <tr>
                <td>{v.id === a.id ? <strong aria-current="page">{v.version}</strong> : <a href={artifactHref(v)}>{v.version}</a>}</td>
                <td>
                  {v.status}
                  {v.visibility === 'private' ? ', private' : ''}
                </td>
                <td>{formatDate(v.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </Layout>
  );
}

/** Field values as the domain holds them (dates as Date, for formatting). */
function valueOf(type: ArtifactType, a: Artifact, name: string): unknown {
  switch (name) {
    case 'created_at':
      return a.createdAt;
    case 'updated_at':
      return a.updatedAt;
    case 'activated_at':
      return a.activatedAt;
    default:
      return fieldValueOf(type, a, name);
  }
}

export function SignInPage(props: { frame: PageFrame; next: string; error?: string; modes: readonly string[] }) {
  return (
    <Layout {...props.frame}>
      <h1>Sign in</h1>
      {props.error && (
        <p class="error" role="alert">
          {props.error}
        </p>
      )}
      <p>Paste the bearer token (JWT) you use with the API. The page keeps it in an HttpOnly cookie until it expires or you sign out.</p>
      {props.modes.includes('trusted-headers') && <p class="muted">Behind this node’s sign-in proxy you are signed in already.</p>}
      <form method="post" action="/sign-in">
        <input type="hidden" name="csrf" value={props.frame.csrf} />
        <input type="hidden" name="next" value={props.next} />
        <p>
          <label for="token">Token</label>
          <br />
          <textarea id="token" name="token" required autocomplete="off" spellcheck={false}></textarea>
        </p>
        <button type="submit">Sign in</button>
      </form>
    </Layout>
  );
}

export function ErrorPage(props: { frame: PageFrame; status: number; message: string }) {
  const title = props.status === 404 ? 'Not found' : props.status === 403 ? 'Refused' : props.status === 400 ? 'Bad request' : props.status === 401 ? 'Sign in needed' : 'Something went wrong';
  return (
    <Layout {...props.frame}>
      <h1>{title}</h1>
      <p class="error" role="alert">
        {props.message}
      </p>
      <p>
        <a href="/">Back to the catalog</a>
      </p>
    </Layout>
  );
}
