// User tokens, verified with jose: HS256 with the shared AVATAR_JWT_SECRET (what this server issues itself),
// and, when AVATAR_JWT_JWKS_URL is set, the asymmetric tokens a host's identity provider issues, checked
// against its published keys (fetched, cached and refreshed on rotation by jose).
import { createRemoteJWKSet, customFetch, errors, jwtVerify, SignJWT, type FetchImplementation, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { USER_ID } from '../../media/users.ts';
import { ApiError } from '../http/errors.ts';

export { USER_ID };

/** Asymmetric algorithms an identity provider's keys may use; never "none", never HS* with a public key. */
const JWKS_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

export interface TokenSettings {
  jwtSecret: string;
  jwksUrl?: string | undefined;
  /** Checked on identity-provider (JWKS) tokens when set. */
  issuer?: string | undefined;
  audience?: string | undefined;
  /** The claim that holds the user id (default "sub"). */
  userClaim: string;
  /** Shortest time between two fetches of the key set (jose refetches when a token names an unknown key). */
  jwksCooldownSeconds: number;
}

export interface Tokens {
  /** The user id of a valid token; 401 UNAUTHENTICATED otherwise (503 when the identity provider's keys cannot be fetched). */
  verify(token: string): Promise<string>;
  /** An HS256 token for `userId` that expires at `expiresAt` (Unix seconds). */
  sign(userId: string, expiresAt: number): Promise<string>;
}

const unauthenticated = (why: string) => new ApiError('UNAUTHENTICATED', why);
const keysUnavailable = () => new ApiError('AUTH_UNAVAILABLE', "The identity provider's keys could not be fetched; try again");

/** The most of a key set that is read: real ones are a few KiB; an endless answer must not fill the memory. */
export const MAX_JWKS_BYTES = 1024 * 1024;

/**
 * fetch for jose that reads at most `maxBytes` of the answer: a larger announced length is refused before the
 * body is read, and a body that grows past the limit is cancelled (the connection goes with it).
 */
export function limitedFetch(maxBytes: number): FetchImplementation {
  return async (url, options) => {
    const response = await fetch(url, options);
    const tooLarge = () => new Error(`the key set at ${url} is larger than ${maxBytes} bytes`);
    const announced = Number(response.headers.get('content-length') ?? NaN);
    if (announced > maxBytes) {
      await response.body?.cancel();
      throw tooLarge();
    }
    const chunks: Uint8Array[] = [];
    let length = 0;
    if (response.body) {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        length += value.byteLength;
        if (length > maxBytes) {
          await reader.cancel();
          throw tooLarge();
        }
        chunks.push(value);
      }
    }
    return new Response(Buffer.concat(chunks), { status: response.status, headers: response.headers });
  };
}

/** The identity provider's key set, where a failure to fetch it is told apart from a token that names no known key. */
function remoteKeySet(url: string, cooldownSeconds: number): JWTVerifyGetKey {
  const keys = createRemoteJWKSet(new URL(url), {
    cooldownDuration: cooldownSeconds * 1000,
    timeoutDuration: 5000,
    [customFetch]: limitedFetch(MAX_JWKS_BYTES),
  });
  return async (header, token) => {
    try {
      return await keys(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      throw keysUnavailable();
    }
  };
}

/** Why a token was refused, in words a host developer can act on (never the token itself). */
function refusal(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof errors.JWTExpired) return unauthenticated('Token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'exp') return unauthenticated('Token has no exp claim');
    if (error.claim === 'nbf') return unauthenticated('Token is not valid yet');
    return unauthenticated(`Token ${error.claim} claim is not accepted`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return unauthenticated('Token algorithm is not accepted');
  if (error instanceof errors.JWKSNoMatchingKey) return unauthenticated('Token is signed with an unknown key');
  if (error instanceof errors.JWSSignatureVerificationFailed) return unauthenticated('Token signature is invalid');
  return unauthenticated('Malformed token');
}

function userIdOf(payload: JWTPayload, claim: string): string {
  const value = payload[claim];
  if (typeof value !== 'string' || !USER_ID.test(value)) throw unauthenticated(`Token ${claim} must be 1-128 characters of A-Za-z0-9_.:@-`);
  return value;
}

/**
 * How many HS256 tokens are remembered once verified. A page sends the same token with every request, and checking
 * it again costs ~0.1 ms of CPU (WebCrypto's HMAC, the claims). Only HS256: its key cannot change while the process
 * runs, whereas an identity provider may retire a key at any time.
 */
const VERIFIED_TOKENS_KEPT = 10_000;

/** `clock` gives Unix seconds, so tests and the server agree on "now". */
export function createTokens(settings: TokenSettings, clock: () => number): Tokens {
  // Imported once: given the raw bytes, jose imports the key again for every token it checks.
  const secret = crypto.subtle.importKey('raw', new TextEncoder().encode(settings.jwtSecret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  const remoteKeys = settings.jwksUrl ? remoteKeySet(settings.jwksUrl, settings.jwksCooldownSeconds) : null;
  /** Verified HS256 tokens → their user and exp (insertion order: the oldest is dropped first). */
  const verified = new Map<string, { userId: string; exp: number }>();
  const remember = (token: string, userId: string, exp: number) => {
    if (verified.size >= VERIFIED_TOKENS_KEPT) verified.delete(verified.keys().next().value!);
    verified.set(token, { userId, exp });
  };
  return {
    async verify(token) {
      const known = verified.get(token);
      // Valid while exp is in the future, as jose counts it (whole seconds); once expired, jose says why.
      if (known && known.exp > Math.floor(clock())) return known.userId;
      verified.delete(token);
      try {
        const now = new Date(clock() * 1000);
        const common = { currentDate: now, requiredClaims: ['exp'] };
        // The header is read only to pick the key; the library then checks the algorithm against the allow-list.
        const alg = headerAlg(token);
        if (alg === 'HS256' || !remoteKeys) {
          const { payload } = await jwtVerify(token, await secret, { ...common, algorithms: ['HS256'] });
          const userId = userIdOf(payload, settings.userClaim);
          remember(token, userId, payload.exp!);
          return userId;
        }
        const { payload } = await jwtVerify(token, remoteKeys, {
          ...common,
          algorithms: JWKS_ALGORITHMS,
          ...(settings.issuer ? { issuer: settings.issuer } : {}),
          ...(settings.audience ? { audience: settings.audience } : {}),
        });
        return userIdOf(payload, settings.userClaim);
      } catch (error) {
        throw refusal(error);
      }
    },
    async sign(userId, expiresAt) {
      return new SignJWT({ sub: userId }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt(clock()).setExpirationTime(expiresAt).sign(await secret);
    },
  };
}

/** The "alg" of a compact JWS, or null when the header cannot be read (the verifier then refuses it). */
function headerAlg(token: string): string | null {
  try {
    const header: unknown = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8'));
    return header !== null && typeof header === 'object' && 'alg' in header && typeof header.alg === 'string' ? header.alg : null;
  } catch {
    return null;
  }
}
