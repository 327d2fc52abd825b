// bin/elasticsearch-keystore of a lab node, on the real on-disk format (agent/keystore/format.ts), with ES's
// prompts, messages and exit codes (docs/procedure.md §7.3, §7.4): create [-p], list, add [-f] [-x|--stdin], add-file,
// remove, show [-o], has-passwd, passwd, upgrade. Prompts and answers go through stdin/stdout like ES's
// SystemTerminal: a password-protected keystore reads its password as the first stdin line.
import { chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import {
  readKeystore,
  readKeystoreHeader,
  writeKeystore,
  keystoreVersionFor,
  KeystoreError,
  SETTING_NAME_PATTERN,
  CURRENT_VERSION,
} from '../../../agent/keystore/format.js';

export const EXIT = { OK: 0, NO: 1, USAGE: 64, DATA_ERROR: 65, CANT_CREATE: 73, IO_ERROR: 74, CONFIG: 78 } as const;

export class UserException extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Terminal {
  print(text: string): void;
  errorPrint(text: string): void;
  /** Next stdin line without its terminator; null at end of input. `secret`: no echo on a terminal. */
  readLine(prompt: string, secret?: boolean): Promise<string | null>;
}

/** A terminal on the process's stdin/stdout, reading one line at a time (stdin may stay open). */
export function processTerminal(): Terminal {
  let buf = '';
  let ended = false;
  const waiters: Array<() => void> = [];
  let attached = false;
  const attach = () => {
    if (attached) return;
    attached = true;
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (d: string) => {
      buf += d;
      waiters.splice(0).forEach((w) => w());
    });
    process.stdin.on('end', () => {
      ended = true;
      waiters.splice(0).forEach((w) => w());
    });
  };
  return {
    print: (t) => process.stdout.write(t),
    errorPrint: (t) => process.stderr.write(t),
    async readLine(prompt, secret) {
      if (prompt) process.stdout.write(prompt);
      if (process.stdin.isTTY) return readFromTty(!secret);
      attach();
      for (;;) {
        const m = /\r?\n|\r/.exec(buf);
        if (m) {
          const line = buf.slice(0, m.index);
          buf = buf.slice(m.index + m[0].length);
          return line;
        }
        if (ended) {
          if (buf.length) {
            const line = buf;
            buf = '';
            return line;
          }
          return null;
        }
        await new Promise<void>((r) => waiters.push(r));
      }
    },
  };
}

/** Reads a line from the terminal in raw mode, echoing it only when it is not a secret (ES's readSecret). */
function readFromTty(echo: boolean): Promise<string | null> {
  return new Promise((resolve) => {
    const stdin = process.stdin;
    let value = '';
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    const done = (v: string | null) => {
      stdin.setRawMode(false);
      stdin.off('data', onData);
      stdin.pause();
      process.stdout.write('\n');
      resolve(v);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done(value);
        if (ch === '\u0003' || ch === '\u0004') return done(null); // Ctrl-C, Ctrl-D
        if (ch === '\u007f') {
          if (echo && value) process.stdout.write('\b \b');
          value = value.slice(0, -1);
        } else {
          value += ch;
          if (echo) process.stdout.write(ch);
        }
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

interface Ctx {
  configDir: string;
  file: string;
  esVersion: string;
  term: Terminal;
  silent: boolean;
}

const USAGE = `A tool for managing settings stored in the elasticsearch keystore

Commands
--------
create - Creates a new elasticsearch keystore
list - List entries in the keystore
add - Add a string settings to the keystore
add-file - Add a file setting to the keystore
remove - Remove settings from the keystore
upgrade - Upgrade the keystore format
passwd - Changes the password of a keystore
has-passwd - Succeeds if the keystore exists and is password-protected, fails with exit code 1 otherwise.
show - Show a value from the keystore

Non-option arguments:
command

Option             Description
------             -----------
-E <KeyValuePair>  Configure a setting
-h, --help         Show help
-s, --silent       Show minimal output
-v, --verbose      Show verbose output
`;

function notFound(ctx: Ctx): UserException {
  return new UserException(
    EXIT.DATA_ERROR,
    `Elasticsearch keystore not found at [${ctx.file}]. Use 'create' command to create one.`,
  );
}

async function readPassword(ctx: Ctx, hasPassword: boolean): Promise<string> {
  if (!hasPassword) return '';
  const line = await ctx.term.readLine('Enter password for the elasticsearch keystore : ', true);
  return line ?? '';
}

interface Loaded {
  version: number;
  password: string;
  entries: Map<string, Buffer>;
}

async function load(ctx: Ctx): Promise<Loaded> {
  if (!existsSync(ctx.file)) throw notFound(ctx);
  const buf = readFileSync(ctx.file);
  try {
    const maxVersion = Math.max(keystoreVersionFor(ctx.esVersion), 3);
    const header = readKeystoreHeader(buf, { path: ctx.file, maxVersion });
    const password = await readPassword(ctx, header.hasPassword);
    const ks = readKeystore(buf, password, { path: ctx.file, maxVersion });
    return { version: ks.version, password, entries: ks.entries };
  } catch (e) {
    if (e instanceof KeystoreError) throw new UserException(EXIT.DATA_ERROR, e.message);
    throw e;
  }
}

/** ES's KeyStoreWrapper.save: temp file 0660 in the config dir, owner check, atomic rename. */
function save(ctx: Ctx, ks: Loaded): void {
  const tmp = join(ctx.configDir, 'elasticsearch.keystore.tmp');
  const bytes = writeKeystore({ version: ks.version, entries: ks.entries, password: ks.password });
  try {
    writeFileSync(tmp, bytes, { mode: 0o660 });
    chmodSync(tmp, 0o660);
  } catch {
    throw new UserException(
      EXIT.IO_ERROR,
      `unable to create temporary keystore at [${tmp}], write permissions required for [${ctx.configDir}] or run [elasticsearch-keystore upgrade]`,
    );
  }
  if (existsSync(ctx.file)) {
    const before = statSync(ctx.file);
    const after = statSync(tmp);
    if (before.uid !== after.uid) {
      rmSync(tmp, { force: true });
      throw new UserException(
        EXIT.CONFIG,
        `will not overwrite keystore at [${ctx.file}], because this incurs changing the file owner`,
      );
    }
  }
  renameSync(tmp, ctx.file);
}

async function confirm(ctx: Ctx, question: string): Promise<boolean> {
  const answer = await ctx.term.readLine(`${question} [y/N]`);
  return (answer ?? '').trim().toLowerCase() === 'y';
}

async function newPassword(ctx: Ctx): Promise<string> {
  const a =
    (await ctx.term.readLine('Enter new password for the elasticsearch keystore (empty for no password): ', true)) ??
    '';
  const b = (await ctx.term.readLine('Enter same password again: ', true)) ?? '';
  if (a !== b) throw new UserException(EXIT.DATA_ERROR, 'Passwords are not equal, exiting.');
  return a;
}

function validateName(name: string): void {
  if (!SETTING_NAME_PATTERN.test(name)) {
    throw new UserException(
      EXIT.DATA_ERROR,
      `Setting name [${name}] does not match the allowed setting name pattern [[A-Za-z0-9_\\-.]+]`,
    );
  }
}

function parseFlags(
  args: string[],
  flags: Record<string, string[]>,
  withValue: string[] = [],
): { opts: Set<string>; values: Map<string, string>; rest: string[] } {
  const opts = new Set<string>();
  const values = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const flag = Object.entries(flags).find(([, names]) => names.includes(a))?.[0];
    if (flag) {
      if (withValue.includes(flag)) {
        const v = args[++i];
        if (v === undefined) throw new UserException(EXIT.USAGE, `Option ${a} requires an argument`);
        values.set(flag, v);
      } else opts.add(flag);
    } else if (a.startsWith('-') && a !== '-')
      throw new UserException(EXIT.USAGE, `${a.replace(/^-+/, '')} is not a recognized option`);
    else rest.push(a);
  }
  return { opts, values, rest };
}

async function cmdCreate(ctx: Ctx, args: string[]): Promise<number> {
  const { opts } = parseFlags(args, { p: ['-p', '--password'] });
  if (existsSync(ctx.file)) {
    if (!(await confirm(ctx, 'An elasticsearch keystore already exists. Overwrite?'))) {
      ctx.term.print('Exiting without creating keystore.\n');
      return EXIT.OK;
    }
  }
  const password = opts.has('p') ? await newPassword(ctx) : '';
  save(ctx, { version: keystoreVersionFor(ctx.esVersion), password, entries: new Map() });
  if (!ctx.silent) ctx.term.print(`Created elasticsearch keystore in ${ctx.configDir}/elasticsearch.keystore\n`);
  return EXIT.OK;
}

async function createForAdd(ctx: Ctx, force: boolean): Promise<Loaded | null> {
  if (existsSync(ctx.file)) return load(ctx);
  if (!force && !(await confirm(ctx, 'The elasticsearch keystore does not exist. Do you want to create it?'))) {
    ctx.term.print('Exiting without creating keystore.\n');
    return null;
  }
  return { version: keystoreVersionFor(ctx.esVersion), password: '', entries: new Map() };
}

async function cmdAdd(ctx: Ctx, args: string[]): Promise<number> {
  const { opts, rest: names } = parseFlags(args, { f: ['-f', '--force'], x: ['-x', '--stdin'] });
  if (names.length === 0) throw new UserException(EXIT.USAGE, 'the setting names can not be empty');
  for (const n of names) validateName(n);
  const ks = await createForAdd(ctx, opts.has('f'));
  if (!ks) return EXIT.OK;
  for (const name of names) {
    if (ks.entries.has(name) && !opts.has('f')) {
      if (!(await confirm(ctx, `Setting ${name} already exists. Overwrite?`))) {
        ctx.term.print('Exiting without modifying keystore.\n');
        return EXIT.OK;
      }
    }
    const value = await ctx.term.readLine(opts.has('x') ? '' : `Enter value for ${name}: `, true);
    if (value === null && opts.has('x'))
      throw new UserException(EXIT.DATA_ERROR, `missing value for setting [${name}] on standard input`);
    ks.entries.set(name, Buffer.from(value ?? '', 'utf8'));
  }
  save(ctx, ks);
  return EXIT.OK;
}

async function cmdAddFile(ctx: Ctx, args: string[]): Promise<number> {
  const { opts, rest } = parseFlags(args, { f: ['-f', '--force'] });
  if (rest.length === 0) throw new UserException(EXIT.USAGE, 'Missing setting name');
  if (rest.length % 2 !== 0) throw new UserException(EXIT.USAGE, 'settings and filenames must come in pairs');
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < rest.length; i += 2) {
    validateName(rest[i]!);
    pairs.push([rest[i]!, rest[i + 1]!]);
  }
  const ks = await createForAdd(ctx, opts.has('f'));
  if (!ks) return EXIT.OK;
  for (const [name, path] of pairs) {
    if (ks.entries.has(name) && !opts.has('f')) {
      if (!(await confirm(ctx, `Setting ${name} already exists. Overwrite?`))) {
        ctx.term.print('Exiting without modifying keystore.\n');
        return EXIT.OK;
      }
    }
    if (!existsSync(path)) throw new UserException(EXIT.IO_ERROR, `File [${path}] does not exist`);
    ks.entries.set(name, readFileSync(path));
  }
  save(ctx, ks);
  return EXIT.OK;
}

async function cmdRemove(ctx: Ctx, args: string[]): Promise<number> {
  const { rest: names } = parseFlags(args, {});
  if (names.length === 0) throw new UserException(EXIT.USAGE, 'Must supply at least one setting to remove');
  const ks = await load(ctx);
  for (const name of names) {
    if (!ks.entries.has(name))
      throw new UserException(EXIT.CONFIG, `Setting [${name}] does not exist in the keystore.`);
    ks.entries.delete(name);
  }
  save(ctx, ks);
  return EXIT.OK;
}

async function cmdList(ctx: Ctx): Promise<number> {
  const ks = await load(ctx);
  for (const name of [...ks.entries.keys()].sort()) ctx.term.print(name + '\n');
  return EXIT.OK;
}

async function cmdShow(ctx: Ctx, args: string[]): Promise<number> {
  const { values, rest } = parseFlags(args, { o: ['-o', '--output'] }, ['o']);
  if (rest.length !== 1) throw new UserException(EXIT.USAGE, 'Must provide a single setting name to show');
  const ks = await load(ctx);
  const value = ks.entries.get(rest[0]!);
  if (!value) throw new UserException(EXIT.CONFIG, `Setting [${rest[0]}] does not exist in the keystore.`);
  const out = values.get('o');
  if (out) {
    writeFileSync(out, value);
    return EXIT.OK;
  }
  const text = value.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(value)) {
    throw new UserException(
      EXIT.DATA_ERROR,
      `The value of the setting [${rest[0]}] is not UTF-8 or ASCII and thus cannot be shown to the terminal. Please use the -o option to write it to a file.`,
    );
  }
  ctx.term.print(text + '\n');
  return EXIT.OK;
}

async function cmdHasPasswd(ctx: Ctx): Promise<number> {
  if (!existsSync(ctx.file)) throw new UserException(EXIT.NO, 'Elasticsearch keystore not found');
  let header;
  try {
    header = readKeystoreHeader(readFileSync(ctx.file), { path: ctx.file });
  } catch (e) {
    if (e instanceof KeystoreError) throw new UserException(EXIT.DATA_ERROR, e.message);
    throw e;
  }
  if (!header.hasPassword) throw new UserException(EXIT.NO, 'Keystore is not password-protected');
  if (!ctx.silent) ctx.term.print('Keystore is password-protected\n');
  return EXIT.OK;
}

async function cmdPasswd(ctx: Ctx): Promise<number> {
  const ks = await load(ctx);
  ks.password = await newPassword(ctx);
  save(ctx, ks);
  if (!ctx.silent) ctx.term.print('Elasticsearch keystore password changed successfully.\n');
  return EXIT.OK;
}

async function cmdUpgrade(ctx: Ctx): Promise<number> {
  const ks = await load(ctx);
  const target = Math.min(keystoreVersionFor(ctx.esVersion), CURRENT_VERSION);
  if (ks.version >= target) return EXIT.OK;
  ks.version = target;
  save(ctx, ks);
  return EXIT.OK;
}

export interface KeystoreCliEnv {
  configDir: string;
  esVersion: string;
  term?: Terminal;
}

/** ES_HOME/lab-node.json gives the node's ES version (v5 keystores below 8.14). */
export function esVersionOfHome(home: string | undefined): string {
  if (home && existsSync(join(home, 'lab-node.json'))) {
    return (JSON.parse(readFileSync(join(home, 'lab-node.json'), 'utf8')) as { esVersion: string }).esVersion;
  }
  return '8.15.0';
}

export async function keystoreCli(argv: string[], env: KeystoreCliEnv): Promise<number> {
  const term = env.term ?? processTerminal();
  const silent = argv.includes('-s') || argv.includes('--silent');
  const args = argv.filter((a) => !['-s', '--silent', '-v', '--verbose'].includes(a));
  const ctx: Ctx = {
    configDir: env.configDir,
    file: join(env.configDir, 'elasticsearch.keystore'),
    esVersion: env.esVersion,
    term,
    silent,
  };
  const [command, ...rest] = args;
  try {
    if (!command || command === '-h' || command === '--help') {
      term.print(USAGE);
      return command ? EXIT.OK : EXIT.USAGE;
    }
    if (!existsSync(dirname(ctx.file)))
      throw new UserException(EXIT.CONFIG, `the config directory [${env.configDir}] does not exist`);
    switch (command) {
      case 'create':
        return await cmdCreate(ctx, rest);
      case 'list':
        return await cmdList(ctx);
      case 'add':
        return await cmdAdd(ctx, rest);
      case 'add-file':
        return await cmdAddFile(ctx, rest);
      case 'remove':
        return await cmdRemove(ctx, rest);
      case 'show':
        return await cmdShow(ctx, rest);
      case 'has-passwd':
        return await cmdHasPasswd(ctx);
      case 'passwd':
        return await cmdPasswd(ctx);
      case 'upgrade':
        return await cmdUpgrade(ctx);
      default:
        throw new UserException(EXIT.USAGE, `Unknown command [${command}]`);
    }
  } catch (e) {
    if (e instanceof UserException) {
      if (e.exitCode === EXIT.USAGE) term.errorPrint(USAGE);
      if (!(silent && e.exitCode === EXIT.NO)) term.errorPrint(`ERROR: ${e.message}, with exit code ${e.exitCode}\n`);
      return e.exitCode;
    }
    throw e;
  }
}
