// The versions a node derives from its release number: the minimum wire and index compatibility versions (GET /,
// `_resolve/cluster`) and the transport version (`GET /_nodes`). One place, so every answer agrees per release.

function parts(version: string): [number, number, number] {
  const [a = 0, b = 0, c = 0] = version.split('.').map((x) => Number.parseInt(x, 10) || 0);
  return [a, b, c];
}

export interface CompatibilityVersions {
  minimum_wire_compatibility_version: string;
  minimum_index_compatibility_version: string;
}

/**
 * `Build.minWireCompatVersion()` / `Build.minIndexCompatVersion()`, written by GET / (`RestMainAction`) and by
 * `_resolve/cluster` (`server/src/main/java/org/elasticsearch/action/admin/indices/resolve/ResolveClusterActionResponse.java`
 * @17e9ef9e: `version: {number, build_flavor, minimum_wire_compatibility_version, minimum_index_compatibility_version}`).
 * `server/src/main/java/org/elasticsearch/Version.java` (`computeMinCompatVersion`, read @00754584): from 8.0 on the
 * minimum wire version is the `.0` of the last minor of the previous major declared in that release's Version.java —
 * 7.17.0 for every 8.x, 8.18.0 for 9.0 (8.19 was not declared yet), 8.19.0 from 9.1 on; the minimum index version is
 * `(major-1).0.0`. docs/es-9x.md §1.1 has captures of real 9.0–9.5 answers that agree.
 */
export function compatibilityVersions(version: string): CompatibilityVersions {
  const [major, minor] = parts(version);
  if (major >= 9)
    return {
      minimum_wire_compatibility_version: major === 9 && minor === 0 ? '8.18.0' : '8.19.0',
      minimum_index_compatibility_version: `${major - 1}.0.0`,
    };
  return { minimum_wire_compatibility_version: '7.17.0', minimum_index_compatibility_version: '7.0.0' };
}

/**
 * `TransportVersion.current().id()` per release, as `GET /_nodes` writes it (`transport_version`, NodesInfoResponse).
 * Source: `server/src/main/resources/org/elasticsearch/TransportVersions.csv` @0093f1c5 (release → transport version;
 * 8.16.0–8.18.2 also read @9282f6e4, same values). Each array is one minor's patches from `.0`.
 * That stored CSV ends with rows that break the order of their own series and are not used here:
 * 8.18.8 → 8840002, 8.19.5 → 8841030, 9.0.8 → 9000009, 9.1.5 → 9085000, 9.2.0 → 8840000.
 */
const TRANSPORT_VERSIONS: Record<string, number[]> = {
  '8.0': [8000099, 8000199],
  '8.1': [8010099, 8010199, 8010299, 8010399],
  '8.2': [8020099, 8020199, 8020299, 8020399],
  '8.3': [8030099, 8030199, 8030299, 8030399],
  '8.4': [8040099, 8040199, 8040299, 8040399],
  '8.5': [8050099, 8050199, 8050299, 8050399],
  '8.6': [8060099, 8060199, 8060299],
  '8.7': [8070099, 8070199],
  '8.8': [8080099, 8080199, 8080299],
  '8.9': [8500020, 8500020, 8500020],
  '8.10': [8500061, 8500061, 8500061, 8500061, 8500061],
  '8.11': [8512001, 8512001, 8512001, 8512001, 8512001],
  '8.12': [8560000, 8560001, 8560001],
  '8.13': [8595000, 8595000, 8595000, 8595000, 8595001],
  '8.14': [8636001, 8636001, 8636001, 8636001],
  '8.15': [8702002, 8702002, 8702003, 8702003, 8702003, 8702003],
  '8.16': [8772001, 8772004, 8772004, 8772004, 8772004, 8772005, 8772006],
  '8.17': [8797002, 8797002, 8797002, 8797003, 8797004, 8797005, 8797006, 8797007, 8797008, 8797009, 8797010],
  '8.18': [8840002, 8840003, 8840004, 8840005, 8840006, 8840007, 8840008, 8840009],
  '8.19': [8841064, 8841065, 8841066, 8841067, 8841068],
  '9.0': [9000009, 9000010, 9000011, 9000012, 9000013, 9000014, 9000015, 9000016],
  '9.1': [9112003, 9112004, 9112005, 9112006, 9112007],
  // From 9.2 the ids live in `server/src/main/resources/transport/` (one file per named version). Not established:
  // the exact id of 9.2.0 and 9.3.0. Established lower bounds are used instead (ids only grow along a release line):
  // 9.2.0 → 9185000, `transport/definitions/unreferable/initial_9.2.0.csv` @a80bcc01 (PR 135860 "Add initial 9.2.0
  // transport version"; 9.2.0 may carry backports up to 9185002, as `initial_9.2.1.csv` @3caa25b3 is 9185003);
  // 9.2.1 → 9185003 (`initial_9.2.1.csv`, the id 9.2.1 started from).
  '9.2': [9185000, 9185003],
  // 9.3.0 → 9225000, the id of `keystore_details_in_reload_secure_settings_response`
  // (`transport/upper_bounds/9.3.csv` @e6414273), which 9.3.0 has (docs/es-9x.md §3); its exact id is below
  // 9250006 (`initial_9.3.1.csv` @4b1bf5c0, the id 9.3.1 started from), not established.
  '9.3': [9225000, 9250006],
};

/**
 * The transport version a node of `version` reports. A patch the table does not hold gets the last one it holds
 * for that minor (a lower bound: the real id is that or a backport above it); a minor it does not hold, the last
 * release before it.
 */
export function transportVersion(version: string): number {
  const [major, minor, patch] = parts(version);
  const series = TRANSPORT_VERSIONS[`${major}.${minor}`];
  if (series) return series[Math.min(patch, series.length - 1)]!;
  const earlier = Object.keys(TRANSPORT_VERSIONS)
    .map((k) => [k, parts(k)] as const)
    .filter(([, [a, b]]) => a < major || (a === major && b < minor))
    .sort(([, x], [, y]) => x[0] - y[0] || x[1] - y[1]);
  const last = earlier.at(-1);
  return last ? TRANSPORT_VERSIONS[last[0]]!.at(-1)! : TRANSPORT_VERSIONS['8.0']![0]!;
}
