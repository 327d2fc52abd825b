// Entry point of dist/lab-node.mjs, the one file every lab host runs:
//   --home ES_HOME                      a simulated Elasticsearch node (foreground; the service detaches it)
//   --service start|stop|restart|status --home ES_HOME    bin/elasticsearch-service
//   --keystore-cli ARGS…                bin/elasticsearch-keystore (ES_PATH_CONF, ES_HOME from the environment)
//   --ssh-hosts FILE                    the lab's embedded SSH hosts (when no OpenSSH sshd is installed)
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readKeystoreHeader } from '../../../agent/keystore/format.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** First stdin line (the keystore password, as ES's entrypoint feeds it). */
function readStdinLine(): Promise<string> {
  return new Promise((res) => {
    let buf = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (d: string) => {
      buf += d;
      const nl = buf.search(/\r?\n/);
      if (nl >= 0) {
        process.stdin.pause();
        process.stdin.destroy();
        res(buf.slice(0, nl));
      }
    });
    process.stdin.on('end', () => res(buf));
    process.stdin.on('error', () => res(buf));
  });
}

async function main(): Promise<number | undefined> {
  const self = fileURLToPath(import.meta.url);
  if (process.argv.includes('--keystore-cli')) {
    const { keystoreCli, esVersionOfHome } = await import('../keystore/cli.js');
    const args = process.argv.slice(process.argv.indexOf('--keystore-cli') + 1);
    const home = process.env.ES_HOME;
    const configDir = process.env.ES_PATH_CONF || (home ? join(home, 'config') : resolve('config'));
    return keystoreCli(args, { configDir, esVersion: esVersionOfHome(home) });
  }
  if (process.argv.includes('--ssh-hosts')) {
    const { runSshHostsDaemon } = await import('../../ssh-daemon.js');
    await runSshHostsDaemon(arg('--ssh-hosts')!);
    return undefined; // keeps running
  }
  const home = arg('--home');
  if (!home) {
    process.stderr.write(
      'usage: lab-node --home ES_HOME | --service ACTION --home ES_HOME | --keystore-cli ARGS | --ssh-hosts FILE\n',
    );
    return 64;
  }
  const absHome = resolve(home);
  if (process.argv.includes('--service')) {
    const { serviceCommand } = await import('./service.js');
    return serviceCommand(arg('--service'), absHome, self);
  }
  const { LabNode } = await import('./node.js');
  const ksFile = join(process.env.ES_PATH_CONF || join(absHome, 'config'), 'elasticsearch.keystore');
  let password: string | undefined;
  try {
    if (existsSync(ksFile) && readKeystoreHeader(readFileSync(ksFile)).hasPassword) password = await readStdinLine();
  } catch {
    /* a corrupt keystore is reported by the node's start-up */
  }
  const node = new LabNode(absHome, password);
  await node.start();
  return undefined; // the node runs until SIGTERM
}

main().then(
  (code) => {
    // CLI modes exit explicitly: an open stdin (ssh exec) must not keep them alive.
    if (code !== undefined) process.exit(code);
  },
  (e: Error) => {
    process.stderr.write(`${e.stack ?? e}\n`);
    process.exit(1);
  },
);
