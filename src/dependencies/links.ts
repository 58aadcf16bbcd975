/**
 * @module The links an artifact holds (Glare's link, link-list and link-dict fields), one entry
 * per link with where it sits, whether it names an artifact of this catalog or a URL.
 */
import { fieldValue, type Artifact } from '../artifacts/artifact.js';
import type { ArtifactType } from '../artifacts/artifact-type.js';
import { LINK_KINDS, parseInternalLink } from '../artifacts/fields.js';

export interface HeldLink {
  field: string;
  /** The list index or dict key; '' for a plain link field. */
  key: string;
  /** As written: /artifacts/<type>/<id> or an http(s) URL. */
  link: string;
  /** The artifact an internal link names; undefined for an external URL. */
  target?: { type: string; id: string };
}

export function heldLinks(type: ArtifactType, artifact: Artifact): HeldLink[] {
  const out: HeldLink[] = [];
  for (const def of type.fields.values()) {
    if (!LINK_KINDS.has(def.kind)) continue;
    const value = fieldValue(type, artifact, def.name);
    if (value === null || value === undefined) continue;
    const entries: Array<[string, unknown]> =
      def.kind === 'link' ? [['', value]] : Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value as Record<string, unknown>);
    for (const [key, link] of entries) {
      if (typeof link !== 'string') continue;
      const target = parseInternalLink(link);
      out.push({ field: def.name, key, link, ...(target ? { target } : {}) });
    }
  }
  return out;
}
