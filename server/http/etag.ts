// Conditional GETs: one reading of If-None-Match for every route that sends an ETag.

/** "*" matches any current representation (RFC 9110 §13.1.2); weak tags compare equal to ours. */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  if (ifNoneMatch === etag) return true;
  return ifNoneMatch.split(',').some((tag) => {
    const bare = tag.trim().replace(/^W\//, '');
    return bare === '*' || bare === etag;
  });
}
