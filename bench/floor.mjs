// The physical floor for the benches: a plain ssh2 client (no agent, no engine) doing the same SSH work as crosskey,
// run as its own process like the CLI (so both pay for a Node start). Plain JavaScript on purpose: no tsx, no bundle.
//   play:    per host: connect (host key checked against known_hosts), then the 3 exec round trips of
//            bench/fixtures/play (write the 2 KB file, write the rendered template, sha256sum the file);
//   inspect: per host: connect, then 1 exec reading the same files inspect reads (elasticsearch.yml, the
//            certificate files it names) plus the hostname.
// `forks` hosts at a time, like crosskey -f. Usage: node bench/floor.mjs SPEC.json → prints {"wallMs": …} on stdout.
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const t0 = performance.now();
const key = readFileSync(spec.keyFile);
const known = new Map();
for (const line of readFileSync(spec.knownHostsFile, 'utf8').split('\n')) {
  const [names, , blob] = line.trim().split(/\s+/);
  if (names && blob && !names.startsWith('#')) for (const n of names.split(',')) known.set(n, blob);
}
const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;

function connect(h) {
  return new Promise((resolve, reject) => {
    const c = new ssh2.Client();
    const name = h.port === 22 ? h.address : `[${h.address}]:${h.port}`;
    c.once('ready', () => {
      c.setNoDelay(true);
      resolve(c);
    });
    c.once('error', reject);
    c.connect({
      host: h.address,
      port: h.port,
      username: 'root',
      privateKey: key,
      readyTimeout: 20_000,
      hostVerifier: (k) => known.get(name) === k.toString('base64'),
    });
  });
}

function exec(c, cmd, stdin) {
  return new Promise((resolve, reject) =>
    c.exec(cmd, (err, st) => {
      if (err) return reject(err);
      let out = '';
      let code = null;
      st.on('data', (d) => {
        out += d;
      });
      st.stderr.resume();
      st.on('exit', (x) => {
        code = x;
      });
      st.on('close', () => (code === 0 ? resolve(out) : reject(new Error(`${cmd}: exit ${code}`))));
      st.end(stdin ?? '');
    }),
  );
}

async function play(c, h) {
  const dir = `${spec.dir}/${h.name}`;
  await exec(c, `umask 022 && cat > ${q(`${dir}/data.txt`)}`, spec.file);
  await exec(c, `umask 022 && cat > ${q(`${dir}/small.yml`)}`, spec.template.replaceAll('{{host}}', h.name));
  await exec(c, `sha256sum ${q(`${dir}/data.txt`)}`);
}

async function inspect(c) {
  await exec(c, `hostname; cat ${spec.files.map(q).join(' ')}`);
}

const perHost = [];
let next = 0;
async function worker() {
  while (next < spec.hosts.length) {
    const h = spec.hosts[next++];
    const s = performance.now();
    const c = await connect(h);
    const connected = performance.now();
    await (spec.mode === 'inspect' ? inspect(c) : play(c, h));
    perHost.push({ connectMs: connected - s, workMs: performance.now() - connected });
    c.end();
  }
}
await Promise.all(Array.from({ length: Math.min(spec.forks, spec.hosts.length) }, worker));
process.stdout.write(`${JSON.stringify({ wallMs: performance.now() - t0, perHost })}\n`);
