// Certificates for Elasticsearch (a pure library: no project imports). See docs/ARCHITECTURE.md.
export {
  createCa,
  createCaAsync,
  writeCa,
  loadCa,
  assertCaCurrentlyValid,
  DEFAULT_CA_DN,
  DEFAULT_DAYS,
  DEFAULT_KEY_SIZE,
} from './ca.js';
export type { CaOptions, CertAndKey, LoadedCa } from './ca.js';
export { issueCert, issueCertAsync, leafValidity, validateDns, validateIp } from './issue.js';
export type { IssueOptions, IssuedCert } from './issue.js';
export { toPkcs12, readPkcs12 } from './pkcs12.js';
export type { Pkcs12Input, Pkcs12Contents } from './pkcs12.js';
export { inspect, certInfoFromPem, validityOf, sniffCertFile, EXPIRY_WARNING_DAYS } from './inspect.js';
export type { CertInfo, Validity, ValidityStatus } from './inspect.js';
export { CertError, encryptKeyPem, decryptKeyPem, isEncryptedKeyPem } from './keys.js';
export { parseDn, formatDn } from './dn.js';
