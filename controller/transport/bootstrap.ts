// Agent bootstrap: where the bundle is, the start script that runs on the host, and the upload commands.
// The agent lives in ~/.cache/crosskey/agent-<hash>/agent.mjs of the effective user (a private /tmp folder when
// that home is not writable), so it is uploaded once per host and agent version.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { shQuote as q } from './shell.js';

export interface AgentBundle {
  file: string;
  content: Buffer;
  hash: string;
}

export function findAgentBundle(explicit?: string): AgentBundle {
  const candidates = explicit
    ? [explicit]
    : [
        fileURLToPath(new URL('./agent.mjs', import.meta.url)), // bundled CLI: dist/crosskey.mjs next to dist/agent.mjs
        fileURLToPath(new URL('../../dist/agent.mjs', import.meta.url)), // sources run with tsx
      ];
  const file = candidates.find((f) => existsSync(f));
  if (!file) throw new Error(`agent bundle not found (looked at ${candidates.join(', ')}); run \`npm run build\``);
  const content = readFileSync(file);
  // Same recipe as build.mjs writes into dist/agent.hash; computed here so a stale hash file cannot lie.
  const hash = createHash('sha256').update(content).digest('hex').slice(0, 16);
  return { file, content, hash };
}

/** uname -m names for Node's process.arch. */
export function unameArch(arch: string = process.arch): string {
  return (
    (
      { x64: 'x86_64', arm64: 'aarch64', arm: 'armv7l', ia32: 'i686', ppc64: 'ppc64le', s390x: 's390x' } as Record<
        string,
        string
      >
    )[arch] ?? arch
  );
}

export const EXIT_NEED_UPLOAD = 93;
export const EXIT_NEED_RUNTIME = 94;
export const EXIT_NO_NODE = 95;
export const EXIT_NO_CACHE = 90;

/** The host's folder for a shipped runtime, named by the binary's sha256 (two builds of one version differ). */
export function runtimeDirName(sha256: string): string {
  return `node-${sha256.slice(0, 16)}-${unameArch()}`;
}

/** How the start script finds node: `auto` = node on PATH, else the shipped runtime; `push` = the shipped runtime. */
export type RuntimeMode = 'auto' | 'push';

/** `stat` fingerprint of the shipped node (size, inode, mtime, ctime) written after a verified sha256; any write to
 * the file changes it (ctime cannot be set back), and then the file is hashed again before use. */
const STAT_FP = `stat -c '%s %i %Y %Z'`;

/**
 * Runs on the host: finds the cache folder, and either starts the agent (exec, so the channel is the agent's)
 * or prints one status line and exits with a code the controller acts on.
 */
export function startScript(hash: string, mode: RuntimeMode, runtimeSha256: string | undefined): string {
  // The runtime's hash not known yet on this controller (never shipped from here): a host that needs it says so,
  // and the controller computes it and asks again.
  const runtime =
    runtimeSha256 === undefined
      ? [`echo "CROSSKEY_RUNTIME - $(uname -m)"; exit ${EXIT_NEED_RUNTIME}`]
      : [
          `r="$b/${runtimeDirName(runtimeSha256)}"`,
          'n="$r/node"',
          // The shipped node is used only when it is what we sent: its stat fingerprint matches the one written after
          // the last verified hash, or else its sha256 matches (and the fingerprint is written again).
          `rt_ok() { [ -x "$n" ] || return 1; s=$(${STAT_FP} "$n" 2>/dev/null) || s=none; [ "$s" != none ] && [ "$s" = "$(cat "$r/node.ok" 2>/dev/null)" ] && return 0; h=$(sha256sum < "$n" 2>/dev/null) && [ "\${h%% *}" = ${runtimeSha256} ] || return 1; echo "$s" > "$r/node.ok"; }`,
          'rt_ok && exec "$n" "$d/agent.mjs"',
          `echo "CROSSKEY_RUNTIME $r $(uname -m)"; exit ${EXIT_NEED_RUNTIME}`,
        ];
  return [
    'umask 077',
    'b="${HOME:-/nonexistent}/.cache/crosskey"',
    `if ! mkdir -p "$b" 2>/dev/null || [ ! -w "$b" ]; then b="\${TMPDIR:-/tmp}/crosskey-$(id -u)"; mkdir -p "$b" && [ -O "$b" ] || { echo "CROSSKEY_NOCACHE $b"; exit ${EXIT_NO_CACHE}; }; fi`,
    `d="$b/agent-${hash}"`,
    `[ -f "$d/agent.mjs" ] || { echo "CROSSKEY_UPLOAD $d $(uname -m)"; exit ${EXIT_NEED_UPLOAD}; }`,
    ...(mode === 'auto' ? ['command -v node >/dev/null 2>&1 && exec node "$d/agent.mjs"'] : []),
    ...runtime,
  ].join('\n');
}

/** Writes stdin to `<dir>/<name>` atomically (temp file + rename), creating the folder. */
export function uploadScript(dir: string, name: string, executable: boolean): string {
  return [
    'umask 077',
    `mkdir -p ${q(dir)}`,
    `t=${q(dir)}/.${name}.$$`,
    `cat > "$t" || { rm -f "$t"; exit 1; }`,
    executable ? 'chmod 700 "$t"' : ':',
    `mv -f "$t" ${q(dir + '/' + name)}`,
  ].join(' && ');
}

/** Receives the gzip of the runtime on stdin: unpacks it with gzip -d, checks its sha256, then moves it in place
 * and writes its stat fingerprint (see startScript). A hash mismatch leaves nothing behind and exits 1. */
export function runtimeUploadScript(dir: string, sha256: string): string {
  const n = q(dir + '/node');
  return [
    'umask 077',
    `for c in gzip sha256sum; do command -v $c >/dev/null 2>&1 || { echo "the host has no $c" >&2; exit 1; }; done`,
    `mkdir -p ${q(dir)} || exit 1`,
    `t=${q(dir)}/.node.$$`,
    `gzip -dc > "$t" || { rm -f "$t"; echo "gzip -d failed" >&2; exit 1; }`,
    `h=$(sha256sum < "$t")`,
    `[ "\${h%% *}" = ${sha256} ] || { rm -f "$t"; echo "unpacked runtime has sha256 \${h%% *}, expected ${sha256}" >&2; exit 1; }`,
    `chmod 700 "$t" && mv -f "$t" ${n} || exit 1`,
    `s=$(${STAT_FP} ${n} 2>/dev/null) && echo "$s" > ${q(dir + '/node.ok')}`,
    'exit 0',
  ].join('\n');
}
