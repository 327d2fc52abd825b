// `crosskey report` on a real run: `crosskey run` (the CLI, in-process) runs a small playbook against a lab
// (2 simulated nodes per cluster, real OpenSSH hosts): verify RCS1, a health-gated rolling restart of the local
// cluster (real service restarts over SSH), verify again. The report is then made from the journal by the CLI:
// every play, task and host, a restart per node with health, both verifications, and no lab password anywhere.
import test from 'ava';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../controller/cli/main.js';
import type { RunReport } from '../../controller/report/model.js';
import { labPasswords, runInLab, sharedLab } from '../helpers/lab.js';
import { launch } from 'puppeteer-core';
import { pathToFileURL } from 'node:url';
import { ROOT } from './cli-bundle.js';

/** Debian's chromium (.ci/run installs it). */
const CHROMIUM = process.env.CROSSKEY_CHROMIUM ?? '/usr/bin/chromium';

const PLAYBOOK = `
- name: preflight
  hosts: local
  gather_facts: false
  tasks:
    - name: every local node uses certificates
      es_remote_verify:
        alias: my_remote
        expect: rcs1
        timeout: 30
      run_once: true

- name: restart the local cluster
  hosts: local
  gather_facts: false
  tasks:
    - name: rolling restart of the local nodes
      es_rolling_restart:
        force: true
        min_status: green
      run_once: true
    - name: still certificates after the restart
      es_remote_verify:
        alias: my_remote
        expect: rcs1
        timeout: 60
      run_once: true
`;

// The lab as `crosskey lab up --nodes 2` makes it (default start and recovery times).
const lab = sharedLab(test, {
  prefix: 'ck-report-',
  startDelayMs: 1000,
  recoveryMs: 1000,
  setup: (l) => writeFileSync(join(l.dir, 'restart.yml'), PLAYBOOK),
});

const crosskey = (argv: string[]) => runInLab(lab(), main, argv);

test.serial(
  'report of a real rolling-restart run: steps, per-node restarts with health, verification, no secret',
  async (t) => {
    const inv = lab().inventory;
    const run = await crosskey(['run', join(lab().dir, 'restart.yml'), '-i', inv, '--diff']);
    t.is(run.code, 0, run.stdout + run.stderr);

    const json = await crosskey(['report', '-i', inv, '--json']);
    t.is(json.code, 0, json.stderr);
    const r = JSON.parse(json.stdout) as RunReport;
    t.is(r.status, 'ok');
    t.deepEqual(
      r.plays.map((p) => p.name),
      ['preflight', 'restart the local cluster'],
    );
    t.deepEqual(
      r.plays.flatMap((p) => p.tasks.map((x) => x.name)),
      [
        'every local node uses certificates',
        'rolling restart of the local nodes',
        'still certificates after the restart',
      ],
    );
    t.deepEqual(r.hosts.sort(), ['local-1', 'local-2']);

    // One restart per local node, each done, green before and after, in order (one node at a time).
    t.deepEqual(r.restarts.map((x) => x.host).sort(), ['local-1', 'local-2']);
    for (const x of r.restarts) {
      t.is(x.outcome, 'done', `${x.host}: ${x.note ?? ''}`);
      t.is(x.healthBefore, 'green');
      t.is(x.healthAfter, 'green');
      t.true(x.awayMs! >= 0 && x.totalMs! >= x.awayMs!);
      // The health the engine sampled while the node restarted: its worst status and how long it was yellow.
      t.true(['green', 'yellow', 'red'].includes(x.worstHealth ?? ''), `${x.host}: worst health ${x.worstHealth}`);
      t.is(typeof x.yellowMs, 'number');
    }
    t.log(
      r.restarts
        .map(
          (x) =>
            `${x.host}: worst ${x.worstHealth}, yellow ${x.yellowMs} ms, red ${x.redMs} ms, ${JSON.stringify(x.maxShards)}`,
        )
        .join('; '),
    );
    t.log(
      Object.values(r.timeline)
        .flat()
        .filter((e) => e.health)
        .map((e) => `${e.gate ?? e.kind}:${e.health}`)
        .join(' '),
    );
    // The progress lines on stderr name the node the run-once task (on local-1) restarts.
    t.regex(run.stderr, /\[local-1 -> local-2\] /);
    const [a, b] = r.restarts;
    t.true(
      Date.parse(a!.greenAt!) <= Date.parse(b!.stopAt!),
      'the second node stops only after the first is green again',
    );
    t.true(r.changes.some((c) => c.action === 'restart' && /local-1/.test(c.target)));

    // Both verifications, every local node RCS1 and connected.
    t.is(r.verifications.length, 2);
    for (const v of r.verifications) {
      t.is(v.status, 'ok');
      t.deepEqual(v.nodes.map((n) => `${n.host}:${n.ok}:${n.model}:${n.connected}`).sort(), [
        'local-1:true:RCS1:true',
        'local-2:true:RCS1:true',
      ]);
    }

    // The summary's models: two verifications and no preflight, so the first is "before", the last "after";
    // who ran it from the run_start event.
    t.deepEqual(r.nodeModels?.nodes, [
      { host: 'local-1', before: 'RCS1', after: 'RCS1' },
      { host: 'local-2', before: 'RCS1', after: 'RCS1' },
    ]);
    t.regex(r.operator ?? '', /^\S+@\S+$/);

    // Human text and the HTML file: every task and host; no lab password in any of them, nor in the journal.
    const htmlFile = join(lab().dir, 'change-record.html');
    const text = await crosskey(['report', '-i', inv, '--html', htmlFile]);
    t.is(text.code, 0);
    const html = readFileSync(htmlFile, 'utf8');
    for (const out of [text.stdout, html]) {
      for (const s of [
        'every local node uses certificates',
        'rolling restart of the local nodes',
        'still certificates after the restart',
        'local-1',
        'local-2',
        'RCS1',
      ]) {
        t.true(out.includes(s), `report shows ${s}`);
      }
    }
    t.false(/<script|<link|\bsrc=|\bhref=/i.test(html), 'self-contained HTML');

    // In a real browser (Debian's chromium, driven by puppeteer-core; nothing is downloaded): readable at 800 px
    // (no horizontal overflow), one timeline row per restarted node, the summary first. The screenshot is the
    // README's picture of the report.
    const browser = await launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    t.teardown(() => browser.close());
    const page = await browser.newPage();
    await page.setViewport({ width: 800, height: 1000 });
    await page.goto(pathToFileURL(htmlFile).href, { waitUntil: 'load' });
    const layout = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
      rows: [...document.querySelectorAll('svg.timeline g.node-row')].map((g) => g.getAttribute('data-host')),
      firstSection: document.querySelector('h1 + p + dl.summary') !== null,
      // An inline box that wraps has more than one rectangle.
      wrappedHosts: [...document.querySelectorAll('td span')]
        .filter((el) => /^local-\d$/.test(el.textContent ?? '') && el.getClientRects().length > 1)
        .map((el) => el.textContent),
      wrappedBadges: [...document.querySelectorAll('.badge')]
        .filter((b) => b.getClientRects().length > 1)
        .map((b) => `${b.textContent}:${b.getClientRects().length}:${b.parentElement?.tagName}`),
    }));
    t.true(
      layout.scrollWidth <= layout.clientWidth,
      `no horizontal overflow at 800 px: ${layout.scrollWidth} > ${layout.clientWidth}`,
    );
    t.deepEqual(
      layout.rows.sort(),
      r.restarts
        .filter((x) => x.outcome === 'done')
        .map((x) => x.host)
        .sort(),
    );
    t.is(layout.rows.length, 2, 'one timeline row per restarted node');
    t.true(layout.firstSection, 'the summary block comes first');
    t.deepEqual(layout.wrappedHosts, [], 'host names do not wrap');
    t.deepEqual(layout.wrappedBadges, [], 'status badges do not wrap');
    await page.screenshot({ path: join(ROOT, 'docs', 'report.png'), fullPage: false });
    const journals = readdirSync(join(lab().dir, '.crosskey', 'runs')).map((f) =>
      readFileSync(join(lab().dir, '.crosskey', 'runs', f), 'utf8'),
    );
    for (const s of labPasswords(lab())) {
      for (const out of [run.stdout, run.stderr, json.stdout, text.stdout, html, ...journals]) {
        t.false(out.includes(s), 'no lab password');
        t.false(out.includes(Buffer.from(s).toString('base64')), 'no lab password in base64');
      }
    }
  },
);
