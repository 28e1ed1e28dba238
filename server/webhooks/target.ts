// Where webhooks may be sent (SSRF rules). A target must be https to a public address; loopback and private
// addresses (and plain http, only to those) need AVATAR_WEBHOOK_ALLOW_PRIVATE. Link-local (cloud metadata),
// unspecified, multicast and reserved addresses are never targets. The rules are applied to the URL when an
// endpoint is created, and again to every address the host resolves to when a delivery connects.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';

export const MAX_URL_LENGTH = 2048;

/** Why a URL cannot be a webhook target: malformed ('invalid') or pointing somewhere it must not ('forbidden'). */
export class WebhookUrlError extends Error {
  constructor(readonly kind: 'invalid' | 'forbidden', message: string) {
    super(message);
  }
}

type AddressKind = 'public' | 'private' | 'loopback' | 'blocked';
interface AddressClass {
  kind: AddressKind;
  what: string;
}

type Range = [base: number, prefix: number, kind: AddressKind, what: string];

const V4_RANGES: Range[] = [
  [ipv4Number('0.0.0.0'), 8, 'blocked', 'an unspecified ("this network") address'],
  [ipv4Number('10.0.0.0'), 8, 'private', 'a private (RFC 1918) address'],
  [ipv4Number('100.64.0.0'), 10, 'private', 'a shared (CGNAT) address'],
  [ipv4Number('127.0.0.0'), 8, 'loopback', 'a loopback address'],
  [ipv4Number('169.254.0.0'), 16, 'blocked', 'a link-local address (cloud metadata lives there)'],
  [ipv4Number('172.16.0.0'), 12, 'private', 'a private (RFC 1918) address'],
  [ipv4Number('192.0.0.0'), 24, 'blocked', 'a reserved (IETF protocol) address'],
  [ipv4Number('192.0.2.0'), 24, 'blocked', 'a documentation address'],
  [ipv4Number('192.168.0.0'), 16, 'private', 'a private (RFC 1918) address'],
  [ipv4Number('198.18.0.0'), 15, 'blocked', 'a benchmarking address'],
  [ipv4Number('198.51.100.0'), 24, 'blocked', 'a documentation address'],
  [ipv4Number('203.0.113.0'), 24, 'blocked', 'a documentation address'],
  [ipv4Number('224.0.0.0'), 4, 'blocked', 'a multicast address'],
  [ipv4Number('240.0.0.0'), 4, 'blocked', 'a reserved or broadcast address'],
];

function ipv4Number(text: string): number {
  return text.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function classifyV4(n: number): AddressClass {
  for (const [base, prefix, kind, what] of V4_RANGES) {
    const size = 2 ** (32 - prefix);
    if (n >= base && n < base + size) return { kind, what };
  }
  return { kind: 'public', what: 'a public address' };
}

/** The eight 16-bit groups of an IPv6 address (already known to be valid by isIP). */
function ipv6Groups(text: string): number[] {
  // A trailing dotted quad (::ffff:127.0.0.1) is two groups written another way.
  const address = text.replace(/(\d+\.\d+\.\d+\.\d+)$/, (quad) => {
    const n = ipv4Number(quad);
    return `${Math.floor(n / 65536).toString(16)}:${(n % 65536).toString(16)}`;
  });
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const [head = '', tail] = address.split('::') as [string, string | undefined];
  if (tail === undefined) return parse(head);
  const left = parse(head);
  const right = parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

function classifyV6(groups: number[]): AddressClass {
  const [g0 = 0, g1 = 0, , , , g5 = 0, g6 = 0, g7 = 0] = groups;
  const embeddedV4 = (hi: number, lo: number) => classifyV4(hi * 65536 + lo);
  const zeroUpTo = (n: number) => groups.slice(0, n).every((g) => g === 0);
  if (zeroUpTo(8)) return { kind: 'blocked', what: 'the unspecified address' };
  if (zeroUpTo(7) && g7 === 1) return { kind: 'loopback', what: 'a loopback address' };
  if (zeroUpTo(5) && g5 === 0xffff) return embeddedV4(g6, g7); // IPv4-mapped
  if (zeroUpTo(4) && groups[4] === 0xffff && g5 === 0) return embeddedV4(g6, g7); // IPv4-translated (SIIT)
  if (zeroUpTo(6)) return { kind: 'blocked', what: 'an IPv4-compatible (deprecated) address' };
  if (g0 === 0x64 && g1 === 0xff9b && groups.slice(2, 6).every((g) => g === 0)) return embeddedV4(g6, g7); // NAT64
  if (g0 === 0x64 && g1 === 0xff9b && groups[2] === 1) return localNat64(embeddedV4(g6, g7));
  if (g0 === 0x2002) return embeddedV4(g1, groups[2] ?? 0); // 6to4
  if ((g0 & 0xfe00) === 0xfc00) return { kind: 'private', what: 'a unique local (private) address' };
  if ((g0 & 0xffc0) === 0xfe80 || (g0 & 0xffc0) === 0xfec0) return { kind: 'blocked', what: 'a link-local address' };
  if ((g0 & 0xff00) === 0xff00) return { kind: 'blocked', what: 'a multicast address' };
  if (g0 === 0x2001 && g1 === 0x0db8) return { kind: 'blocked', what: 'a documentation address' };
  if (g0 === 0x0100 && groups.slice(1, 4).every((g) => g === 0)) return { kind: 'blocked', what: 'a discard-only address' };
  return { kind: 'public', what: 'a public address' };
}

/**
 * A local-use NAT64 address (64:ff9b:1::/48, RFC 8215) reaches whatever IPv4 network its operator's translator
 * serves, internal ones included, and where its prefix ends the IPv4 address sits is the operator's choice: private
 * at least, or what the IPv4 address in its last 32 bits is when that is stricter.
 */
function localNat64(lastBits: AddressClass): AddressClass {
  return lastBits.kind === 'blocked' || lastBits.kind === 'loopback' ? lastBits : { kind: 'private', what: 'a local-use NAT64 address (it reaches private IPv4 networks)' };
}

/** What kind of address an IP literal is. Anything unparseable is blocked. */
export function classifyAddress(ip: string): AddressClass {
  const bare = ip.replace(/^\[|\]$/g, '');
  const version = isIP(bare);
  if (version === 4) return classifyV4(ipv4Number(bare));
  if (version === 6) {
    if (bare.includes('%')) return { kind: 'blocked', what: 'a scoped (link-local) address' };
    return classifyV6(ipv6Groups(bare.toLowerCase()));
  }
  return { kind: 'blocked', what: 'not an IP address' };
}

export interface TargetPolicy {
  /** AVATAR_WEBHOOK_ALLOW_PRIVATE: loopback and private addresses (and http to them) are allowed. */
  allowPrivate: boolean;
}

/** Why `ip` may not be connected to for a `protocol` URL ("is …", to follow the address), or null when it may. */
export function addressRefusal(ip: string, protocol: string, policy: TargetPolicy): string | null {
  const { kind, what } = classifyAddress(ip);
  if (kind === 'blocked') return `is ${what}`;
  if (kind === 'public') return protocol === 'https:' ? null : 'is a public address: plain http is allowed only to loopback or private addresses, use https';
  return policy.allowPrivate ? null : `is ${what}, allowed only with AVATAR_WEBHOOK_ALLOW_PRIVATE=1`;
}

/** The host of a URL as an IP literal (brackets dropped), or null for a name. */
export function ipLiteral(url: URL): string | null {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return isIP(host) ? host : null;
}

/** The checks that need no DNS: syntax, scheme, credentials, and IP literals. Throws WebhookUrlError. */
export function parseWebhookUrl(raw: string, policy: TargetPolicy): URL {
  if (raw.length > MAX_URL_LENGTH) throw new WebhookUrlError('invalid', `the URL is longer than ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookUrlError('invalid', 'is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new WebhookUrlError('invalid', 'must be an https URL');
  if (url.username || url.password) throw new WebhookUrlError('invalid', 'must not contain credentials (user:password@)');
  if (url.protocol === 'http:' && !policy.allowPrivate) {
    throw new WebhookUrlError('forbidden', 'must be https (plain http is allowed only to loopback or private addresses with AVATAR_WEBHOOK_ALLOW_PRIVATE=1)');
  }
  const literal = ipLiteral(url);
  if (literal !== null) {
    const why = addressRefusal(literal, url.protocol, policy);
    if (why) throw new WebhookUrlError('forbidden', `is not an allowed target: ${literal} ${why}`);
  }
  return url;
}

/** Every address `hostname` resolves to, each checked; a refusal is a WebhookUrlError('forbidden'). */
async function resolveChecked(hostname: string, protocol: string, policy: TargetPolicy): Promise<LookupAddress[]> {
  const addresses = await new Promise<LookupAddress[]>((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (err, found) => (err ? reject(err) : resolve(found)));
  });
  if (addresses.length === 0) throw Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' });
  for (const { address } of addresses) {
    const why = addressRefusal(address, protocol, policy);
    if (why) throw new WebhookUrlError('forbidden', `${hostname} resolves to ${address}, which ${why}`);
  }
  return addresses;
}

/** parseWebhookUrl, then the host is resolved and every address it has must be allowed (endpoint creation). */
export async function checkWebhookUrl(raw: string, policy: TargetPolicy): Promise<URL> {
  const url = parseWebhookUrl(raw, policy);
  if (ipLiteral(url) !== null) return url;
  try {
    await resolveChecked(url.hostname, url.protocol, policy);
  } catch (err) {
    if (err instanceof WebhookUrlError) throw new WebhookUrlError('forbidden', `is not an allowed target: ${err.message}`);
    throw new WebhookUrlError('invalid', `its host ${url.hostname} does not resolve (${(err as NodeJS.ErrnoException).code ?? 'DNS error'})`);
  }
  return url;
}

/**
 * A `lookup` for node:http(s) requests that resolves the host itself and refuses the connection unless every
 * address is allowed, so the address connected to is the address checked (no DNS-rebinding window).
 * IP literals never reach a lookup: check those with addressRefusal before the request.
 */
export function guardedLookup(protocol: string, policy: TargetPolicy): LookupFunction {
  return (hostname, options, callback) => {
    resolveChecked(hostname, protocol, policy).then(
      (addresses) => {
        const family = options.family === 4 || options.family === 6 ? options.family : 0;
        const usable = family ? addresses.filter((a) => a.family === family) : addresses;
        if (options.all) callback(null, usable);
        else if (usable[0]) callback(null, usable[0].address, usable[0].family);
        else callback(Object.assign(new Error(`${hostname} has no IPv${family} address`), { code: 'ENOTFOUND' }), '');
      },
      (err: unknown) => {
        const error = err instanceof WebhookUrlError ? Object.assign(new Error(err.message), { code: 'ADDRESS_FORBIDDEN' }) : (err as NodeJS.ErrnoException);
        callback(error, '');
      },
    );
  };
}
