// Certificates for Elasticsearch (a pure library: no project imports). See docs/ARCHITECTURE.md.
export { createCa, createCaAsync, writeCa, loadCa, DEFAULT_CA_DN, DEFAULT_DAYS, DEFAULT_KEY_SIZE } from './ca.js';
export type { CaOptions, CertAndKey } from './ca.js';
export { issueCert, issueCertAsync, validateDns, validateIp } from './issue.js';
export type { IssueOptions } from './issue.js';
export { toPkcs12, readPkcs12 } from './pkcs12.js';
export type { Pkcs12Input, Pkcs12Contents } from './pkcs12.js';
export { inspect, certInfoFromPem } from './inspect.js';
export type { CertInfo } from './inspect.js';
export { CertError, encryptKeyPem, decryptKeyPem } from './keys.js';
export { parseDn, formatDn } from './dn.js';
