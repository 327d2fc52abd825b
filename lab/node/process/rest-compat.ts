// REST API compatibility headers (`compatible-with=N` on Accept / Content-Type), checked before routing as ES
// does (server/src/main/java/org/elasticsearch/rest/RestCompatibleVersionHelper.java, getCompatibleVersion;
// docs/es-9x.md §1.2): a node of major M accepts M and M-1; a request with a body carries the same version on
// both headers or on neither. The 8.x client sends compatible-with=8 on both, so it works against 8.x and 9.x.
import { esError } from '../http-error.js';

/** The N of `compatible-with=N` in a media type header, or undefined when the header does not ask for one. */
export function compatibleWith(header: string | string[] | undefined): number | undefined {
  const text = Array.isArray(header) ? header.join(',') : header;
  if (!text) return undefined;
  const m = /compatible-with\s*=\s*"?(\d+)"?/i.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** Throws ES's 400 status_exception when the headers ask for a version this node cannot serve. */
export function checkCompatibleHeaders(
  esVersion: string,
  headers: { accept?: string | string[]; 'content-type'?: string | string[] },
  hasContent: boolean,
): void {
  const current = Number(esVersion.split('.')[0]);
  const minimum = current - 1;
  const accept = compatibleWith(headers.accept);
  const contentType = compatibleWith(headers['content-type']);
  const acceptVersion = accept ?? current;
  const contentTypeVersion = contentType ?? current;
  const raw = (h: string | string[] | undefined) => (Array.isArray(h) ? h.join(',') : (h ?? 'null'));
  if (acceptVersion > current || acceptVersion < minimum)
    throw esError(
      400,
      'status_exception',
      `Accept version must be either version ${current} or ${minimum}, but found ${acceptVersion}. Accept=${raw(headers.accept)}`,
    );
  if (!hasContent) return;
  if (contentTypeVersion > current || contentTypeVersion < minimum)
    throw esError(
      400,
      'status_exception',
      `Content-Type version must be either version ${current} or ${minimum}, but found ${contentTypeVersion}. Content-Type=${raw(headers['content-type'])}`,
    );
  if (contentTypeVersion !== acceptVersion)
    throw esError(
      400,
      'status_exception',
      `A compatible version is required on both Content-Type and Accept headers if either one has requested a compatible version and the compatible versions must match. Accept=${raw(headers.accept)}, Content-Type=${raw(headers['content-type'])}`,
    );
  if ((contentType === undefined) !== (accept === undefined))
    throw esError(
      400,
      'status_exception',
      `A compatible version is required on both Content-Type and Accept headers if either one has requested a compatible version. Accept=${raw(headers.accept)}, Content-Type=${raw(headers['content-type'])}`,
    );
}
