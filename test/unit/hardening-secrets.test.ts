// Issue "hardening", items 2, 6, 8 and short secrets: a Secret is scrubbed in every form it can take in text
// (JSON-escaped once or twice, URL-encoded, hex, base64 at any alignment, e.g. inside HTTP Basic credentials), a
// short one as a whole word; variables named like secrets are Secrets wherever they are written; a secret never
// reaches a command line.
import test from 'ava';
import {
  Secret,
  SecretRegistry,
  encodedForms,
  isSecret,
  isSecretVarName,
  secretsByName,
  MASK,
} from '../../controller/secrets.js';
import { checkArgs } from '../../controller/modules/args.js';
import { validateModuleArgs } from '../../controller/modules/args.js';
import { commandModule } from '../../controller/modules/core/command.js';

const HOSTILE = [
  'pa"ss\\word',
  'line1\nline2',
  'ünï©ødé-päss',
  'QUJDREVGR0g=',
  "it's <b>&amp;</b> 100%",
  'tab\there/slash',
];

function registry(...values: string[]): SecretRegistry {
  const r = new SecretRegistry();
  for (const v of values) r.register(v);
  return r;
}

test('every encoded form of a hostile secret is scrubbed from text', (t) => {
  for (const v of HOSTILE) {
    const r = registry(v);
    const samples = [
      v,
      JSON.stringify({ password: v }),
      JSON.stringify(JSON.stringify({ password: v })),
      `https://u:${encodeURIComponent(v)}@host/`,
      Buffer.from(v).toString('hex'),
      ...[0, 1, 2].map((k) => Buffer.from(`${'x'.repeat(k)}elastic:${v}`).toString('base64')),
      ...[0, 1, 2].map((k) => Buffer.from(`${'y'.repeat(k)}${v}`).toString('base64url')),
    ];
    for (const s of samples) {
      const out = r.redact(`before ${s} after`);
      t.true(out.includes(MASK), `${JSON.stringify(v)} in ${JSON.stringify(s)} → ${out}`);
      for (const form of encodedForms(v).filter((f) => f.length >= 6))
        t.false(out.includes(form), `form ${form} left in ${out}`);
    }
  }
});

test('JSON-escaped output of a debug line keeps no trace of the secret (item 2)', (t) => {
  const v = 'q"u\\o\'te';
  const r = registry(v);
  const human = JSON.stringify({ msg: `password is ${v}` }, null, 4);
  t.false(r.redact(human).includes('q\\"u\\\\o'), r.redact(human));
  t.regex(r.redact(human), /password is \*{8}/);
});

test('a short secret (under 4 characters) is scrubbed as a whole word, not inside other words', (t) => {
  const r = registry('x9');
  t.is(r.redact('token x9 used; box9 stays; "x9"'), `token ${MASK} used; box9 stays; "${MASK}"`);
});

test('variables named like secrets become Secrets wherever they come from (item 8)', (t) => {
  for (const n of [
    'es_password',
    'ansible_become_password',
    'crosskey_cert_password',
    'client_secret',
    'vault_token',
    'api_key',
    'es_api_key',
  ]) {
    t.true(isSecretVarName(n), n);
  }
  for (const n of ['es_password_file', 'crosskey_api_key_access', 'es_user', 'password_policy', 'tokens'])
    t.false(isSecretVarName(n), n);
  const out = secretsByName({
    es_password: 'plain-text-pw',
    es_user: 'admin',
    port: 9200,
    es_api_key: 12345678,
    templ: 'x',
    vault_token: '{{ lookup }}',
  });
  t.true(isSecret(out.es_password));
  t.true(isSecret(out.es_api_key));
  t.is(out.es_user, 'admin');
  t.is(out.vault_token, '{{ lookup }}', 'a template is rendered from its source later');
});

test('a Secret in a command line is refused before the task runs (item 6): load time and after rendering', (t) => {
  const load = (args: Record<string, unknown>) =>
    validateModuleArgs('command', commandModule.schema, commandModule.rules, args, 'load');
  t.throws(() => load({ cmd: 'curl -u elastic:{{ es_password }} https://x' }), {
    message: /command: argument 'cmd' would put the secret variable 'es_password' on the command line/,
  });
  t.throws(() => load({ argv: ['echo', '{{ secret_file "/x" }}'] }), { message: /a secret_file/ });
  t.notThrows(() => load({ argv: ['echo', '{{ es_user }}'], stdin: '{{ es_password }}' }));
  const run = t.throws(() =>
    checkArgs('command', commandModule.schema, { argv: ['tool', new Secret('runtime-secret')] }),
  );
  t.regex(run!.message, /argument 'argv' would put a secret on the command line/);
  t.notThrows(() => checkArgs('command', commandModule.schema, { argv: ['tool'], stdin: new Secret('on-stdin-only') }));
});
