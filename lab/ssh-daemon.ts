// The lab's embedded SSH hosts in one background process (used when OpenSSH's sshd is not installed): one ssh2
// server per node on <address>:22. Honours the drop-ssh fault: while set in a node's lab-faults.json, that host's
// server is closed (connections dropped, port closed); once cleared it listens again with the same host key.
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { startEmbeddedHost } from './hosts/embedded.js';
import type { SshHost, SshHostOptions } from './hosts/openssh.js';
import { readFaults } from './node/process/faults.js';

export interface SshDaemonHost extends SshHostOptions {
  /** ES_HOME of the node (for its faults file). */
  esHome: string;
}

export interface SshDaemonConfig {
  hosts: SshDaemonHost[];
  /** Written with this process's pid once every host listens. */
  readyFile: string;
}

export async function runSshHostsDaemon(configFile: string): Promise<void> {
  const cfg = JSON.parse(readFileSync(configFile, 'utf8')) as SshDaemonConfig;
  const running = new Map<string, SshHost>();
  const startHost = async (h: SshDaemonHost) => {
    const { esHome: _e, ...opts } = h;
    running.set(h.address, await startEmbeddedHost(opts));
  };
  for (const h of cfg.hosts) if (!readFaults(h.esHome)['drop-ssh']) await startHost(h);
  writeFileSync(cfg.readyFile, String(process.pid));
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      for (const h of cfg.hosts) {
        const dropped = !!readFaults(h.esHome)['drop-ssh'];
        const host = running.get(h.address);
        if (dropped && host) {
          running.delete(h.address);
          await host.stop();
        } else if (!dropped && !host) {
          await startHost(h).catch(() => undefined);
        }
      }
    })().finally(() => {
      busy = false;
    });
  }, 300);
  const shutdown = async () => {
    clearInterval(timer);
    await Promise.all([...running.values()].map((h) => h.stop()));
    rmSync(cfg.readyFile, { force: true });
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
}
