// Document and field level security of a permission on one index, as ES's IndicesAccessControl works it out:
// within a layer (one role set) the entries that grant the action are OR'ed — an entry without `query` (or without
// `field_security`) lifts that restriction — and layers (an API key's descriptors, its owner's snapshot, a
// cross-cluster key's access) are AND'ed. Queries are stored as JSON strings (docs/es-behaviour.md §1) and parsed
// here, so a role or key given an object query and one given the same query as a string behave alike.
import { filterSource, matchesQuery, parseStoredQuery, type Doc, type FieldGroup } from '../search/query.js';
import { anyPatternMatches, grantsIndex, INDEX_ACTIONS, type Permission } from './privileges.js';

export interface LayerAccess {
  /** null = every document; else a document must match one of these. */
  queries: unknown[] | null;
  /** null = every field; else the union of these groups. */
  fields: FieldGroup[] | null;
}

function entryGrants(privileges: string[], action: string): boolean {
  if (privileges.includes('all')) return true;
  const by = INDEX_ACTIONS[action];
  return by ? privileges.some((p) => by.includes(p)) : false;
}

/** FLS that is no restriction: a lone `*` grant without `except` (RoleDescriptor hasGrantedFields). */
export function isFieldLevelSecurity(fs: FieldGroup | undefined): boolean {
  if (!fs) return false;
  const grant = fs.grant ?? ['*'];
  return !(grant.length === 1 && grant[0] === '*' && !(fs.except ?? []).length);
}

/** The DLS/FLS restrictions on `index` for `action`, per layer; undefined when the action is not granted. */
export function indexAccess(p: Permission, index: string, action: string): LayerAccess[] | undefined {
  if (!grantsIndex(p, index, action)) return undefined;
  return p.layers.map((layer) => {
    const entries = layer.flatMap((d) =>
      d.indices.filter((e) => anyPatternMatches(e.names, index) && entryGrants(e.privileges, action)),
    );
    const unrestrictedDocs = entries.some((e) => e.query === undefined || e.query === '');
    const unrestrictedFields = entries.some((e) => !isFieldLevelSecurity(e.field_security));
    return {
      queries: unrestrictedDocs ? null : entries.map((e) => parseStoredQuery(e.query)),
      fields: unrestrictedFields ? null : entries.map((e) => e.field_security!),
    };
  });
}

/** The restrictions when there are any (null: the caller sees every document and field of the index). */
export function restrictionsOf(access: LayerAccess[] | undefined): LayerAccess[] | null {
  return access?.some((l) => l.queries || l.fields) ? access : null;
}

/** Applies DLS (drops the document → undefined) and FLS (filters `_source`). */
export function applyAccess(access: LayerAccess[], doc: Doc): Doc | undefined {
  for (const l of access) if (l.queries && !l.queries.some((q) => matchesQuery(q, doc))) return undefined;
  let source = doc._source;
  for (const l of access) if (l.fields) source = filterSource(source, l.fields);
  return { ...doc, _source: source };
}
