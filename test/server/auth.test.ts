// Host apps' own login tokens: RS256/ES256 tokens from an identity provider, checked against its published keys
// (a local JWKS server that rotates keys), with issuer, audience and the user-id claim; HS256 with the shared
// secret keeps working. Every forged, expired, mis-addressed or unsigned token is 401.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { api, expectError, signJwt, startServer, userToken, type RunningServer } from '../helpers/server.ts';
import { createTokens } from '../../server/access/tokens.ts';

const ISSUER = 'https://id.example.test';
const AUDIENCE = 'avatars';
const now = () => Math.floor(Date.now() / 1000);

interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(kid: string, alg: SigningKey['alg']): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** A JWKS endpoint whose published keys the test changes, counting how often it is fetched. */
async function startJwksServer() {
  let keys: JWK[] = [];
  let fetches = 0;
  let down = false;
  const server: Server = createServer((req, res) => {
    fetches++;
    if (down) return void res.writeHead(503).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    publish: (...published: SigningKey[]) => (keys = published.map((k) => k.jwk)),
    /** Publishes a whole key set as given (keys of any kind). */
    publishRaw: (set: { keys: JWK[] }) => (keys = set.keys),
    setDown: (value: boolean) => (down = value),
    fetches: () => fetches,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

type Claims = Record<string, unknown>;

function sign(key: SigningKey, claims: Claims, header: Record<string, unknown> = {}) {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header }).sign(key.privateKey);
}

const standard = (extra: Claims = {}): Claims => ({ sub: 'idp-user', iss: ISSUER, aud: AUDIENCE, exp: now() + 600, ...extra });
const me = (server: RunningServer, token: string) => api(server, 'GET', '/v1/users/me', { token });

describe('tokens from an identity provider (AVATAR_JWT_JWKS_URL)', () => {
  let jwks: Awaited<ReturnType<typeof startJwksServer>>;
  let server: RunningServer;
  let rsa: SigningKey;
  let ec: SigningKey;
  let next: SigningKey;
  let stranger: SigningKey;

  before(async () => {
    [rsa, ec, next, stranger] = await Promise.all([signingKey('rsa-1', 'RS256'), signingKey('ec-1', 'ES256'), signingKey('rsa-2', 'RS256'), signingKey('rsa-1', 'RS256')]);
    jwks = await startJwksServer();
    jwks.publish(rsa, ec);
    server = await startServer({
      env: { AVATAR_JWT_JWKS_URL: jwks.url, AVATAR_JWT_ISSUER: ISSUER, AVATAR_JWT_AUDIENCE: AUDIENCE, AVATAR_JWT_JWKS_COOLDOWN_SECONDS: '0' },
    });
  });
  after(async () => {
    await server?.stop();
    await jwks?.close();
  });

  test('RS256 and ES256 tokens signed with the published keys identify the user', async () => {
    for (const key of [rsa, ec]) {
      const res = await me(server, await sign(key, standard()));
      assert.equal(res.status, 200, `${key.alg}: ${res.text}`);
      assert.equal(res.json.id, 'idp-user');
    }
  });

  test('the shared-secret HS256 tokens keep working beside them', async () => {
    const res = await me(server, userToken(server, 'local-user'));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.id, 'local-user');
    const issued = await api(server, 'POST', '/v1/admin/tokens', { token: server.adminKey, json: { user_id: 'issued' } });
    assert.equal((await me(server, issued.json.token)).json.id, 'issued', 'tokens the server issues itself verify');
  });

  test('a rotated key is picked up without a restart; a retired key stops working', async () => {
    jwks.publish(rsa, ec, next);
    const rotated = await me(server, await sign(next, standard({ sub: 'after-rotation' })));
    assert.equal(rotated.status, 200, rotated.text);
    assert.equal(rotated.json.id, 'after-rotation');
    jwks.publish(next, ec); // rsa-1 retired
    // jose keeps the set it has until a token names a key it does not know; a retired key's token still names a known kid,
    // so force a refresh with an unknown kid first, as a real rotation would.
    expectError(await me(server, await sign(await signingKey('unknown', 'RS256'), standard())), 401, 'UNAUTHENTICATED');
    expectError(await me(server, await sign(rsa, standard())), 401, 'UNAUTHENTICATED');
    assert.equal((await me(server, await sign(next, standard()))).status, 200);
  });

  test('forged, expired, mis-addressed, unsigned and confused tokens are all 401', async () => {
    const hs256WithPublicKey = signJwt(JSON.stringify(next.jwk), { ...standard() }); // alg confusion: HS256 keyed with the public JWK
    const cases: Array<[string, string | Promise<string>]> = [
      ['signed by another key under a published kid', sign(stranger, standard())],
      ['expired', sign(next, standard({ exp: now() - 10 }))],
      ['no exp', new SignJWT({ sub: 'x', iss: ISSUER, aud: AUDIENCE }).setProtectedHeader({ alg: 'RS256', kid: next.kid }).sign(next.privateKey)],
      ['not valid yet', sign(next, standard({ nbf: now() + 600 }))],
      ['wrong issuer', sign(next, standard({ iss: 'https://evil.example' }))],
      ['no issuer', sign(next, standard({ iss: undefined }))],
      ['wrong audience', sign(next, standard({ aud: 'someone-else' }))],
      ['alg none', `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(standard())).toString('base64url')}.`],
      ['HS256 keyed with the public key', hs256WithPublicKey],
      ['bad user id in sub', sign(next, standard({ sub: 'has spaces' }))],
      ['payload swapped after signing', sign(next, standard()).then((t) => { const [h, , s] = t.split('.'); return `${h}.${Buffer.from(JSON.stringify(standard({ sub: 'admin' }))).toString('base64url')}.${s}`; })],
      ['garbage', 'not-a-jwt'],
    ];
    for (const [name, token] of cases) {
      const res = await me(server, await token);
      assert.equal(res.status, 401, `${name}: ${res.status} ${res.text}`);
      assert.equal(res.json.error.code, 'UNAUTHENTICATED', name);
    }
  });

  test('a key set that cannot be fetched is 503 AUTH_UNAVAILABLE, not a silent pass', async () => {
    jwks.setDown(true);
    try {
      const res = await me(server, await sign(await signingKey('brand-new', 'ES256'), standard()));
      expectError(res, 503, 'AUTH_UNAVAILABLE');
    } finally {
      jwks.setDown(false);
    }
  });
});

describe('AVATAR_JWT_USER_CLAIM', () => {
  test('the user id comes from the configured claim', async () => {
    const jwks = await startJwksServer();
    const key = await signingKey('k', 'ES256');
    jwks.publish(key);
    const server = await startServer({ env: { AVATAR_JWT_JWKS_URL: jwks.url, AVATAR_JWT_USER_CLAIM: 'uid' } });
    try {
      const res = await me(server, await sign(key, { sub: 'ignored', uid: 'from-uid', exp: now() + 60 }));
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.id, 'from-uid');
      expectError(await me(server, await sign(key, { sub: 'only-sub', exp: now() + 60 })), 401, 'UNAUTHENTICATED');
    } finally {
      await server.stop();
      await jwks.close();
    }
  });
});

describe("the identity provider's key set is read up to 1 MiB", () => {
  const MiB = 1024 * 1024;

  /** A JWKS endpoint that answers with an endless body, counting the bytes it got out before the client hung up. */
  async function startEndlessJwksServer(opts: { contentLength?: number } = {}) {
    let written = 0;
    let closed: () => void = () => {};
    const hungUp = new Promise<void>((resolve) => (closed = resolve));
    const chunk = Buffer.alloc(64 * 1024, ' ');
    const server: Server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', ...(opts.contentLength ? { 'content-length': String(opts.contentLength) } : {}) });
      res.write('{"keys":[');
      const pump = () => {
        // Stops after 300 MB (what the attack sent) or when the client goes away.
        while (written < 300 * MiB && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      res.on('close', () => closed());
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`,
      written: () => written,
      hungUp,
      close: () => {
        server.closeAllConnections();
        return new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  test('an endless key set is cut off past 1 MiB and answered 503 AUTH_UNAVAILABLE', async () => {
    const jwks = await startEndlessJwksServer();
    const server = await startServer({ env: { AVATAR_JWT_JWKS_URL: jwks.url } });
    try {
      const key = await signingKey('k', 'ES256');
      expectError(await me(server, await sign(key, { sub: 'u', exp: now() + 60 })), 503, 'AUTH_UNAVAILABLE');
      await jwks.hungUp; // the server dropped the connection rather than reading on
      // What went out is the 1 MiB read plus what the sockets' buffers took, far from the 300 MB on offer.
      assert.ok(jwks.written() < 16 * MiB, `the server stopped reading: ${(jwks.written() / MiB).toFixed(1)} MiB were sent`);
    } finally {
      await server.stop();
      await jwks.close();
    }
  });

  test('a key set announced larger than 1 MiB is refused without reading it', async () => {
    const jwks = await startEndlessJwksServer({ contentLength: 300 * MiB });
    const server = await startServer({ env: { AVATAR_JWT_JWKS_URL: jwks.url } });
    try {
      const key = await signingKey('k', 'ES256');
      expectError(await me(server, await sign(key, { sub: 'u', exp: now() + 60 })), 503, 'AUTH_UNAVAILABLE');
      await jwks.hungUp;
      assert.ok(jwks.written() < 16 * MiB, `${(jwks.written() / MiB).toFixed(1)} MiB were sent`);
    } finally {
      await server.stop();
      await jwks.close();
    }
  });

  test('a large key set under the limit still works', async () => {
    const jwks = await startJwksServer();
    const key = await signingKey('wanted', 'ES256');
    // ~900 KB: the wanted key behind many others, as a provider with many tenants might publish.
    const others = await Promise.all(Array.from({ length: 8 }, (_, i) => signingKey(`other-${i}`, 'RS256')));
    const padding = Array.from({ length: 2200 }, (_, i) => ({ ...others[i % others.length]!.jwk, kid: `pad-${i}` }));
    const published = { keys: [...padding, key.jwk] };
    const size = JSON.stringify(published).length;
    assert.ok(size > 0.75 * MiB && size < MiB, `${size} bytes`);
    jwks.publishRaw(published);
    const server = await startServer({ env: { AVATAR_JWT_JWKS_URL: jwks.url } });
    try {
      const res = await me(server, await sign(key, { sub: 'many-keys', exp: now() + 60 }));
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.id, 'many-keys');
    } finally {
      await server.stop();
      await jwks.close();
    }
  });
});

describe('HS256 tokens remembered once verified', () => {
  const secret = 's'.repeat(32);
  const settings = { jwtSecret: secret, userClaim: 'sub', jwksCooldownSeconds: 30 };

  test('a remembered token still expires on time, and a tampered copy is still refused', async () => {
    let clock = 1_000_000;
    const tokens = createTokens(settings, () => clock);
    const token = signJwt(secret, { sub: 'kept', exp: clock + 10 });
    assert.equal(await tokens.verify(token), 'kept');
    const [header, payload] = token.split('.');
    await assert.rejects(tokens.verify(`${header}.${payload}.${'A'.repeat(43)}`), /signature/);
    clock += 9.5;
    assert.equal(await tokens.verify(token), 'kept', 'valid until its exp second');
    clock += 0.5;
    await assert.rejects(tokens.verify(token), /expired/);
  });

  test('a token signed with another secret is refused even when a valid one for the same user is remembered', async () => {
    const tokens = createTokens(settings, () => 1_000_000);
    assert.equal(await tokens.verify(signJwt(secret, { sub: 'kept', exp: 1_000_600 })), 'kept');
    await assert.rejects(tokens.verify(signJwt('x'.repeat(32), { sub: 'kept', exp: 1_000_600 })), /signature/);
  });
});
