// POSIX shell quoting for the command strings sent over SSH (the remote side always runs them with a shell).
export function shQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function shJoin(argv: string[]): string {
  return argv.map(shQuote).join(' ');
}

/** Wraps a command so it runs under POSIX sh, optionally as another user through `sudo -n` (no prompt, ever). */
export function wrapCommand(script: string, become?: { user: string }): string {
  const sh = `sh -c ${shQuote(script)}`;
  return become ? `sudo -n -u ${shQuote(become.user)} -- ${sh}` : sh;
}
