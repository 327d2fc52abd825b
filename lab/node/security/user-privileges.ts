// GET /_security/user/_privileges: the caller's roles merged as ES builds one Role from several descriptors
// (index entries with the same names are collated: privileges united, FLS groups and DLS queries collected — an
// entry without a query lifts DLS), written as RestGetUserPrivilegesAction does (docs/es-behaviour.md §4):
// cluster, global, indices, applications, run_as always; remote_indices and remote_cluster only when non-empty,
// remote_cluster only from 8.15.
import { EsHttpError } from '../http-error.js';
import { resolveRole, type Principal, type RoleDescriptor, type SecurityState } from './model.js';
import { normalizeDescriptor, roleView } from './roles.js';
import { versionAtLeast } from '../../../controller/version.js';
import { isFieldLevelSecurity } from './access-control.js';

interface Collated {
  names: string[];
  privileges: Set<string>;
  fields: Array<{ grant?: string[]; except?: string[] }> | null;
  queries: string[] | null;
  allow_restricted_indices: boolean;
  clusters?: string[];
}

const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();

function collate(
  entries: Array<{
    names: string[];
    privileges: string[];
    field_security?: { grant?: string[]; except?: string[] };
    query?: unknown;
    allow_restricted_indices?: boolean;
    clusters?: string[];
  }>,
): Collated[] {
  const out = new Map<string, Collated>();
  for (const e of entries) {
    const names = sorted(e.names);
    const clusters = e.clusters ? sorted(e.clusters) : undefined;
    const ari = e.allow_restricted_indices ?? false;
    const key = JSON.stringify([names, clusters ?? null, ari]);
    const fs = isFieldLevelSecurity(e.field_security) ? e.field_security! : null;
    const q = typeof e.query === 'string' && e.query !== '' ? e.query : null;
    const c = out.get(key);
    if (!c) {
      out.set(key, {
        names,
        privileges: new Set(e.privileges),
        fields: fs ? [fs] : null,
        queries: q !== null ? [q] : null,
        allow_restricted_indices: ari,
        ...(clusters ? { clusters } : {}),
      });
      continue;
    }
    for (const p of e.privileges) c.privileges.add(p);
    // MergeableIndicesPrivilege.merge: one side without a restriction lifts it for the merged group.
    c.fields = c.fields && fs ? [...c.fields, fs] : null;
    c.queries = c.queries && q !== null ? [...new Set([...c.queries, q])] : null;
  }
  return [...out.values()];
}

function indicesView(c: Collated): Record<string, unknown> {
  return {
    names: c.names,
    privileges: sorted(c.privileges),
    ...(c.fields?.length
      ? {
          field_security: c.fields.map((f) => ({
            ...(f.grant ? { grant: f.grant } : {}),
            ...(f.except?.length ? { except: f.except } : {}),
          })),
        }
      : {}),
    ...(c.queries?.length ? { query: c.queries } : {}),
    allow_restricted_indices: c.allow_restricted_indices,
    ...(c.clusters ? { clusters: c.clusters } : {}),
  };
}

export function userPrivileges(state: SecurityState, p: Principal, version: string): Record<string, unknown> {
  let descriptors: RoleDescriptor[];
  if (p.kind === 'api_key') {
    // A key with its own descriptors is a limited role: ES cannot express it as one privilege set.
    if (Object.keys(p.key.role_descriptors).length)
      throw new EsHttpError(
        400,
        'illegal_argument_exception',
        'Cannot retrieve privileges for API keys with assigned role descriptors. Please use the Get API key information API https://ela.st/es-api-get-api-key',
      );
    descriptors = (p.key.limited_by ?? []).flatMap((snap) => Object.values(snap));
  } else {
    descriptors = p.roles.map((n) => resolveRole(state, n)).filter((r): r is RoleDescriptor => r !== undefined);
  }
  // The version's view: monitor_stats (8.17) and remote_cluster (8.15) only where that version has them.
  const views = descriptors.map((d) => roleView(normalizeDescriptor('', d), version));
  const cluster = sorted(views.flatMap((d) => d.cluster));
  const indices = collate(views.flatMap((d) => d.indices)).map(indicesView);
  const applications = views.flatMap((d) => d.applications);
  const runAs = sorted(views.flatMap((d) => d.run_as));
  const remoteIndices = collate(views.flatMap((d) => d.remote_indices ?? [])).map(indicesView);
  const remoteCluster = views.flatMap((d) =>
    (d.remote_cluster ?? []).map((e) => ({ privileges: sorted(e.privileges), clusters: sorted(e.clusters) })),
  );
  return {
    cluster,
    global: [],
    indices,
    applications,
    run_as: runAs,
    ...(remoteIndices.length ? { remote_indices: remoteIndices } : {}),
    ...(remoteCluster.length && versionAtLeast(version, '8.15.0') ? { remote_cluster: remoteCluster } : {}),
  };
}
