/** @module The artifact page's dependency section: what it requires (resolved one step) and what requires it. */
import type { Artifact } from '../artifacts/artifact.js';
import type { OpContext } from '../artifacts/context.js';
import { dependencyGraph } from '../dependencies/closure.js';
import { listDependants, type Dependant } from '../dependencies/references.js';
import type { Requirement } from '../dependencies/requirements.js';
import type { ResolvedEdge, Unresolved } from '../dependencies/resolver.js';
import { Conflict } from '../errors.js';

export interface DependencyFacts {
  requires: ResolvedEdge[];
  unresolved: Unresolved[];
  /** Why the requirements do not resolve together, when they do not. */
  conflict?: string;
  dependants: Dependant[];
}

/** The artifact's own dependencies (one step) and its dependants, as the actor may see them. */
export async function dependencyFacts(ctx: OpContext, artifact: Artifact): Promise<DependencyFacts> {
  const dependants = listDependants(ctx, artifact);
  try {
    const graph = await dependencyGraph(ctx, artifact, { maxDepth: 1 });
    const fromHere = (from: { id: string } | null) => from?.id === artifact.id;
    return { requires: graph.edges.filter((e) => fromHere(e.from)), unresolved: graph.unresolved.filter((u) => fromHere(u.from)), dependants: await dependants };
  } catch (err) {
    if (!(err instanceof Conflict)) throw err;
    return { requires: [], unresolved: [], conflict: err.message, dependants: await dependants };
  }
}

const page = (a: { typeName: string; id: string }) => `/browse/${a.typeName}/${a.id}`;
const requirementText = (r: Requirement) => `${r.type} ${r.name} ${r.range}${r.origin ? ` from ${r.origin}` : ''}`;

const REASONS: Record<Unresolved['reason'], string> = {
  missing: 'the linked artifact does not exist',
  invisible: 'the linked artifact is not visible to you',
  external: 'an external link, not followed',
  too_deep: 'not followed',
  unsatisfied: 'no visible version satisfies it',
};

/** Absent when the artifact neither requires anything nor is required by anything. */
export function DependencySection(props: { facts: DependencyFacts }) {
  const { requires, unresolved, conflict, dependants } = props.facts;
  if (requires.length === 0 && unresolved.length === 0 && !conflict && dependants.length === 0) return null;
  return (
    <section aria-labelledby="deps-heading">
      <h2 id="deps-heading">Dependencies</h2>
      <h3>Requires</h3>
      {conflict && (
        <p class="error" role="status">
          {conflict}
        </p>
      )}
      {requires.length === 0 && unresolved.length === 0 && !conflict ? (
        <p class="muted">Nothing.</p>
      ) : (
        <ul class="plain">
          {requires.map((e) => (
            <li>
              {e.via === 'requires' ? <code>{requirementText(e.requirement)}</code> : <code>{e.key ? `${e.field}/${e.key}` : e.field}</code>} →{' '}
              <a href={page(e.to)}>
                {e.to.name} {e.to.version}
              </a>{' '}
              <span class="muted">({e.to.typeName})</span>
            </li>
          ))}
          {unresolved.map((u) => (
            <li>
              <code>{u.via === 'requires' ? requirementText(u.requirement) : `${u.field}: ${u.link}`}</code> <span class="status private">{REASONS[u.reason]}</span>
            </li>
          ))}
        </ul>
      )}
      <h3>Required by</h3>
      {dependants.length === 0 ? (
        <p class="muted">Nothing you can see.</p>
      ) : (
        <ul class="plain">
          {dependants.map((d) => (
            <li>
              <a href={page(d.artifact)}>
                {d.artifact.name} {d.artifact.version}
              </a>{' '}
              <span class="muted">
                ({d.artifact.typeName}, {d.via === 'requires' ? `requires ${d.requirement.range}` : `links from ${d.field}${d.key ? `/${d.key}` : ''}`})
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
