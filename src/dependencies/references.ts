/**
 * @module References as rows: every link an artifact holds is kept as a row (from, field, key,
 * target), naming the target by id and by its ArtifactRef, so "what depends on X" is one indexed
 * query, and removing a depended-on artifact follows the node's policy
 * (`dependencies.on_depended_removal`): refuse, or go ahead and mark the references broken.
 */
import type { Artifact } from '../artifacts/artifact.js';
import type { ArtifactType } from '../artifacts/artifact-type.js';
import { conn, type OpContext } from '../artifacts/context.js';
import { LINK_KINDS } from '../artifacts/fields.js';
import { sightOf } from '../artifacts/policy.js';
import { findArtifactsByIds } from '../db/queries/artifacts.js';
import { artifactIdentities, markReferencesBroken, referencesTo, replaceReferences, requirersOf, type BrokenReason } from '../db/queries/dependencies.js';
import { Conflict } from '../errors.js';
import { heldLinks } from './links.js';
import { requirementRange, type Requirement } from './requirements.js';
import semver from 'semver';

/**
 * Rewrites the artifact's reference rows from its link fields; with `changed`, only when one of
 * those fields is a link field. Runs in the verb's transaction, beside the write it follows.
 */
export async function recordReferences(ctx: OpContext, type: ArtifactType, artifact: Artifact, changed?: Iterable<string>): Promise<void> {
  if (changed && ![...changed].some((name) => LINK_KINDS.has(type.fields.get(name)?.kind ?? 'string'))) return;
  const links = heldLinks(type, artifact);
  const db = conn(ctx);
  const targets = new Map((await artifactIdentities(db, links.flatMap((l) => (l.target ? [l.target.id] : [])))).map((t) => [t.id, t]));
  const origin = ctx.catalog.config.node.name;
  await replaceReferences(
    db,
    artifact.id,
    links.map((l) => {
      const target = l.target && targets.get(l.target.id);
      return {
        field: l.field,
        key: l.key,
        link: l.link,
        targetId: l.target?.id ?? null,
        target: target ? { origin, type: target.typeName, owner: target.owner, name: target.name, version: target.version } : null,
      };
    }),
  );
}

/**
 * Before `artifact` is deleted or deactivated: under `refuse`, Conflict when other artifacts
 * link to it (naming those the actor sees, counting the rest); under `mark_broken`, their
 * references are marked broken with `reason`.
 */
export async function beforeDependedRemoval(ctx: OpContext, artifact: Artifact, reason: BrokenReason): Promise<void> {
  const db = conn(ctx);
  const references = await referencesTo(db, artifact.id);
  if (references.length === 0) return;
  if (ctx.catalog.config.dependencies.on_depended_removal === 'mark_broken') {
    await markReferencesBroken(db, artifact.id, reason);
    return;
  }
  const dependants = [...new Set(references.map((r) => r.fromId))];
  const seen = await findArtifactsByIds(db, { ids: dependants, sight: sightOf(ctx.actor) });
  const named = seen.map((a) => `${a.typeName} ${a.name} ${a.version} (${a.id})`);
  const hidden = dependants.length - seen.length;
  const who = [...named, ...(hidden > 0 ? [`${hidden} artifact${hidden === 1 ? '' : 's'} you cannot see`] : [])].join(', ');
  const verb = reason === 'deleted' ? 'delete' : 'deactivate';
  throw new Conflict(`cannot ${verb} ${artifact.typeName} ${artifact.name} ${artifact.version}: other artifacts link to it: ${who}`, {
    dependants: seen.map((a) => ({ id: a.id, type_name: a.typeName, name: a.name, version: a.version })),
  });
}

/** A reactivated artifact serves again: references marked broken by its deactivation are whole. */
export async function afterReactivation(ctx: OpContext, artifact: Artifact): Promise<void> {
  await markReferencesBroken(conn(ctx), artifact.id, null, 'deactivated');
}

export type Dependant =
  | { artifact: Artifact; via: 'link'; field: string; key: string; broken: BrokenReason | null }
  | { artifact: Artifact; via: 'requires'; requirement: Requirement };

/** What depends on `target`, as the actor may see it: artifacts linking to it, and artifacts whose requirement it satisfies. */
export async function listDependants(ctx: OpContext, target: Artifact): Promise<Dependant[]> {
  const db = conn(ctx);
  const sight = sightOf(ctx.actor);
  const [references, requirers] = await Promise.all([referencesTo(db, target.id), requirersOf(db, { typeName: target.typeName, name: target.name, sight })]);
  const satisfied = requirers.flatMap(({ id, requires }) =>
    id === target.id ? [] : requires.filter((r) => r.type === target.typeName && r.name === target.name && semver.satisfies(target.version, requirementRange(r))).map((requirement) => ({ id, requirement })),
  );
  const visible = new Map(
    (await findArtifactsByIds(db, { ids: [...references.map((r) => r.fromId), ...satisfied.map((s) => s.id)], sight })).map((a) => [a.id, a]),
  );
  const out: Dependant[] = [];
  for (const r of references) {
    const artifact = visible.get(r.fromId);
    if (artifact) out.push({ artifact, via: 'link', field: r.field, key: r.key, broken: r.broken });
  }
  for (const s of satisfied) {
    const artifact = visible.get(s.id);
    if (artifact) out.push({ artifact, via: 'requires', requirement: s.requirement });
  }
  return out;
}
