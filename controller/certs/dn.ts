// Distinguished names as text ("CN=node1,OU=es,O=Example") ⇄ node-forge attribute lists.
// certutil accepts a full DN for --ca-dn and for --name when it contains '='.
import type forge from 'node-forge';

const SHORT_NAMES = new Set(['CN', 'O', 'OU', 'L', 'ST', 'C', 'DC', 'E', 'emailAddress', 'serialNumber']);

export class DnError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DnError';
  }
}

/** Splits on unescaped commas; "\," keeps a literal comma inside a value. */
export function parseDn(dn: string): forge.pki.CertificateField[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < dn.length; i++) {
    const ch = dn[i];
    if (ch === '\\' && i + 1 < dn.length) {
      cur += dn[++i];
      continue;
    }
    if (ch === ',') {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  parts.push(cur);
  const fields: forge.pki.CertificateField[] = [];
  for (const raw of parts) {
    const part = raw.trim();
    const eq = part.indexOf('=');
    if (eq <= 0) throw new DnError(`bad distinguished name "${dn}": "${part}" is not KEY=value`);
    let key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 'E') key = 'emailAddress';
    if (!SHORT_NAMES.has(key)) {
      throw new DnError(`bad distinguished name "${dn}": unknown attribute "${key}" (use CN, O, OU, L, ST, C, DC)`);
    }
    if (!value) throw new DnError(`bad distinguished name "${dn}": empty value for ${key}`);
    fields.push(key === 'emailAddress' || key === 'serialNumber' ? { name: key, value } : { shortName: key, value });
  }
  return fields;
}

/** "CN=instance" for a plain name, the parsed DN when the name contains '=' (like certutil --name). */
export function nameToDn(name: string): forge.pki.CertificateField[] {
  return name.includes('=') ? parseDn(name) : [{ shortName: 'CN', value: name }];
}

export function formatDn(attrs: forge.pki.CertificateField[]): string {
  return attrs.map((a) => `${a.shortName ?? a.name ?? a.type}=${String(a.value).replace(/,/g, '\\,')}`).join(',');
}
