import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Vault } from '../../controller/input/vault.js';
import { readYamlFile, parseYaml } from '../../controller/input/yaml.js';
import { ConfigError } from '../../controller/input/errors.js';
import { type Secret, isSecret, secrets } from '../../controller/secrets.js';
import { privateFile, vaultPasswordFile } from '../helpers/secret-file.js';

// Fixtures were made by the real ansible-vault 2.14 (see test/fixtures/vault/README.md).
const dir = new URL('../fixtures/vault/', import.meta.url).pathname;
// The password file must be 0600; git checks the fixture out 0644, so the tests read a private copy.
const pwFile = vaultPasswordFile();
test.after.always(() => pwFile.remove());
const vault = () => Vault.fromPasswordFile(pwFile.path);

test('decrypts a format 1.1 file made by ansible-vault', (t) => {
  const plain = vault().decrypt(readFileSync(join(dir, 'vault-1.1.yml'), 'utf8'));
  t.is(plain, readFileSync(join(dir, 'plain.yml'), 'utf8'));
});

test('decrypts a format 1.2 file (with vault id) made by ansible-vault', (t) => {
  const plain = vault().decrypt(readFileSync(join(dir, 'vault-1.2.yml'), 'utf8'));
  t.is(plain, readFileSync(join(dir, 'plain.yml'), 'utf8'));
});

test('whole-file vault vars: string values become Secrets, others keep their type', (t) => {
  const doc = readYamlFile(join(dir, 'vault-1.1.yml'), { vault: vault() });
  const v = doc.value as Record<string, unknown>;
  t.true(isSecret(v.db_password));
  t.is((v.db_password as Secret).reveal(), 's3cr3t-Passw0rd');
  t.is(String(v.db_password), '********');
  t.is(JSON.stringify(v.db_password), '"********"');
  t.is(v.port, 9200);
  t.is(secrets.redact('pw=s3cr3t-Passw0rd'), 'pw=********');
});

test('inline !vault value decrypts to a Secret, plain values stay plain', (t) => {
  const doc = readYamlFile(join(dir, 'inline.yml'), { vault: vault() });
  const v = doc.value as Record<string, unknown>;
  t.true(isSecret(v.es_password));
  t.is((v.es_password as Secret).reveal(), 'inline-Secret-42');
  t.is(v.es_user, 'elastic');
});

test('wrong password → ConfigError naming file:line', (t) => {
  const pw = privateFile('pw', 'wrong\n');
  t.teardown(pw.remove);
  const e = t.throws(() => readYamlFile(join(dir, 'inline.yml'), { vault: Vault.fromPasswordFile(pw.path) }), {
    instanceOf: ConfigError,
  });
  t.is(e!.toString(), `${join(dir, 'inline.yml')}:1: wrong vault password (or the file was modified)`);
});

test('vault value without a password → clear error', (t) => {
  const e = t.throws(() => readYamlFile(join(dir, 'vault-1.2.yml')), { instanceOf: ConfigError });
  t.regex(e!.message, /encrypted with ansible-vault: give --vault-password-file/);
  const e2 = t.throws(() => parseYaml('a: 1\nb: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  3031\n', 'x.yml'), {
    instanceOf: ConfigError,
  });
  t.is(e2!.line, 2);
});

test('corrupted envelope and unsupported cipher are reported', (t) => {
  const v = vault();
  t.throws(() => v.decrypt('$ANSIBLE_VAULT;1.1;AES128\n3031'), { message: /unsupported vault cipher AES128/ });
  t.throws(() => v.decrypt('$ANSIBLE_VAULT;1.1;AES256\nzz'), { message: /not hex/ });
  t.throws(() => v.decrypt('$ANSIBLE_VAULT;2.0;AES256\n30'), { message: /unsupported vault format 2.0/ });
});

test('password file from env CROSSKEY_VAULT_PASSWORD_FILE; flag wins', (t) => {
  t.is(Vault.fromOptions(undefined, {}), undefined);
  const fromEnv = Vault.fromOptions(undefined, { CROSSKEY_VAULT_PASSWORD_FILE: pwFile.path });
  t.truthy(fromEnv!.decrypt(readFileSync(join(dir, 'vault-1.1.yml'), 'utf8')));
  t.throws(() => Vault.fromOptions('/nonexistent/pw', { CROSSKEY_VAULT_PASSWORD_FILE: pwFile.path }), {
    message: /cannot read vault password file \/nonexistent\/pw/,
  });
});
