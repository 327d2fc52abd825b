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

export function runtimeDirName(): string {
  return `node-${process.version}-${unameArch()}`;
}

/**
 * Runs on the host: finds the cache folder, and either starts the agent (exec, so the channel is the agent's)
 * or prints one status line and exits with a code the controller acts on.
 */
export function startScript(hash: string, push: boolean): string {
  const node = push ? `"$b/${runtimeDirName()}/node"` : 'node';
  return [
    'umask 077',
    'b="${HOME:-/nonexistent}/.cache/crosskey"',
    `if ! mkdir -p "$b" 2>/dev/null || [ ! -w "$b" ]; then b="\${TMPDIR:-/tmp}/crosskey-$(id -u)"; mkdir -p "$b" && [ -O "$b" ] || { echo "CROSSKEY_NOCACHE $b"; exit ${EXIT_NO_CACHE}; }; fi`,
    `d="$b/agent-${hash}"`,
    `[ -f "$d/agent.mjs" ] || { echo "CROSSKEY_UPLOAD $d $(uname -m)"; exit ${EXIT_NEED_UPLOAD}; }`,
    push
      ? `[ -x ${node} ] || { echo "CROSSKEY_RUNTIME $b/${runtimeDirName()} $(uname -m)"; exit ${EXIT_NEED_RUNTIME}; }`
      : `command -v node >/dev/null 2>&1 || { echo "CROSSKEY_NONODE $d $(uname -m)"; exit ${EXIT_NO_NODE}; }`,
    `exec ${node} "$d/agent.mjs"`,
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
