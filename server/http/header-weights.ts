// The weights of a comma-separated list header (Accept, Accept-Encoding: RFC 9110 §12.4.2): each entry's token,
// lower-cased, and its q parameter (1 when absent or not a valid weight). q=0 means "not acceptable".
export function headerWeights(header: string | undefined): Map<string, number> {
  const weights = new Map<string, number>();
  for (const entry of (header ?? '').toLowerCase().split(',')) {
    const [token = '', ...params] = entry.split(';').map((part) => part.trim());
    if (!token) continue;
    const q = params.map((param) => /^q\s*=\s*([01](?:\.\d*)?)$/.exec(param)?.[1]).find((value) => value !== undefined);
    weights.set(token, q === undefined ? 1 : Number(q));
  }
  return weights;
}
