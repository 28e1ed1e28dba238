// The upload path against a real avatar-server (started by web-test-runner.config.mjs), in real Chromium.
import { expect } from '@open-wc/testing';
import { ApiClient, backoffDelay, DEFAULT_RETRY, type ApiClientOptions, type RetryInfo } from '../../widget/api/client.ts';
import { parseRetryAfter, WidgetError } from '../../widget/api/errors.ts';
import { currentAvatar, removeAvatar, uploadAvatar, type UploadProgress } from '../../widget/api/upload.ts';

interface ServerInfo {
  url: string;
  adminKey: string;
}

let server: ServerInfo;

before(async () => {
  server = (await (await fetch('/__avatar-server.json')).json()) as ServerInfo;
});

/** A fresh user per test: no shared avatar state, and the per-user upload rate limit never bites. */
async function newUserToken(): Promise<string> {
  const response = await fetch(`${server.url}/v1/admin/tokens`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${server.adminKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ user_id: `wtr-${crypto.randomUUID()}`, ttl_seconds: 600 }),
  });
  expect(response.status).to.equal(200);
  return ((await response.json()) as { token: string }).token;
}

/** A real WebP, encoded by the browser. */
async function webp(side = 96): Promise<Blob> {
  const canvas = new OffscreenCanvas(side, side);
  const ctx = canvas.getContext('2d')!;
  const gradient = ctx.createLinearGradient(0, 0, side, side);
  gradient.addColorStop(0, '#0a7');
  gradient.addColorStop(1, '#a07');
  ctx.fillStyle = gradient;
  ctx.fillRect(0, 0, side, side);
  const blob = await canvas.convertToBlob({ type: 'image/webp', quality: 0.9 });
  expect(blob.type).to.equal('image/webp');
  return blob;
}

/** Through the test runner's proxy that fails the first `failures` requests under a fresh key (503, or 429 + Retry-After: 1). */
const flakyEndpoint = (failures: number, status: 503 | 429 = 503) => `${location.origin}/__flaky/${failures}x${status}/${crypto.randomUUID()}`;

function clientFor(token: string, options: Partial<ApiClientOptions> = {}): ApiClient {
  return new ApiClient({ endpoint: server.url, getToken: () => token, retry: { baseDelayMs: 20, maxDelayMs: 200 }, ...options });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('uploadAvatar', () => {
  it('uploads a WebP and resolves with URLs that serve WebP', async () => {
    const client = clientFor(await newUserToken());
    const blob = await webp();
    const progress: UploadProgress[] = [];
    const detail = await uploadAvatar(client, blob, { onProgress: (p) => progress.push(p) });

    expect(detail.source).to.equal('upload');
    expect(detail.version).to.be.greaterThan(0);
    expect(detail.url).to.equal(detail.urls['256']);
    expect(Object.keys(detail.urls)).to.include.members(['cropped', '256', '64']);
    for (const url of [detail.url, detail.urls['64']!]) {
      const image = await fetch(url);
      expect(image.status).to.equal(200);
      expect(image.headers.get('content-type')).to.equal('image/webp');
    }
    expect((await currentAvatar(client))?.file_id).to.equal(detail.file_id);

    const upload = progress.filter((p) => p.phase === 'upload');
    expect(upload.length).to.be.greaterThan(1);
    upload.forEach((p, i) => {
      expect(p.total).to.equal(blob.size);
      if (i > 0) expect(p.loaded).to.be.at.least(upload[i - 1]!.loaded);
    });
    expect(upload.at(-1)!.loaded).to.equal(blob.size);
    // Every upload event comes before the processing ones, which end complete.
    expect(progress.findIndex((p) => p.phase === 'processing')).to.equal(upload.length);
    expect(progress.at(-1)).to.deep.equal({ phase: 'processing', loaded: 1, total: 1 });
  });

  it('learns that processing ended from one long-poll (GET /v1/files/{id}?wait=N), not by polling', async () => {
    const client = clientFor(await newUserToken());
    const detail = await uploadAvatar(client, await webp(256));
    const asked = performance
      .getEntriesByType('resource')
      .map((entry) => new URL(entry.name))
      .filter((url) => url.pathname === `/v1/files/${detail.file_id}`);
    expect(asked.map((url) => url.search)).to.deep.equal(['?wait=25']);
  });

  it('applies the crop it is given', async () => {
    const client = clientFor(await newUserToken());
    const detail = await uploadAvatar(client, await webp(200), { crop: { x: 10, y: 20, w: 100, h: 100 } });
    const cropped = await fetch(detail.urls.cropped!);
    const bitmap = await createImageBitmap(await cropped.blob());
    expect([bitmap.width, bitmap.height]).to.deep.equal([100, 100]);
  });

  it('retries with backoff when the server fails twice with 503', async () => {
    const retries: RetryInfo[] = [];
    const client = clientFor(await newUserToken(), { endpoint: flakyEndpoint(2), onRetry: (info) => retries.push(info) });
    const detail = await uploadAvatar(client, await webp());
    expect(retries.map((r) => [r.attempt, r.error.status, r.error.retryable])).to.deep.equal([
      [1, 503, true],
      [2, 503, true],
    ]);
    expect(retries[1]!.delayMs).to.be.greaterThan(retries[0]!.delayMs / 2);
    expect(detail.url).to.match(/^http/);
  });

  it('waits as long as Retry-After says on 429', async () => {
    const retries: RetryInfo[] = [];
    const client = clientFor(await newUserToken(), { endpoint: flakyEndpoint(1, 429), onRetry: (info) => retries.push(info) });
    const started = performance.now();
    await uploadAvatar(client, await webp());
    expect(retries).to.have.length(1);
    expect(retries[0]!.error).to.include({ code: 'RATE_LIMITED', status: 429, retryAfter: 1 });
    expect(retries[0]!.delayMs).to.be.at.least(1000);
    expect(performance.now() - started).to.be.at.least(1000);
  });

  it('does not sit out a Retry-After longer than the policy allows', async () => {
    const retries: RetryInfo[] = [];
    const client = clientFor(await newUserToken(), { endpoint: flakyEndpoint(1, 429), onRetry: (info) => retries.push(info), retry: { maxRetryAfterSeconds: 0 } });
    const error = await rejection(uploadAvatar(client, await webp()));
    expect(error).to.include({ code: 'RATE_LIMITED', status: 429, retryable: true, retryAfter: 1 });
    expect(retries).to.have.length(0);
  });

  it('gives up after the last attempt with a retryable error', async () => {
    const retries: RetryInfo[] = [];
    const client = clientFor(await newUserToken(), { endpoint: flakyEndpoint(10), onRetry: (info) => retries.push(info), retry: { attempts: 3, baseDelayMs: 10 } });
    const error = await rejection(uploadAvatar(client, await webp()));
    expect(error).to.be.instanceOf(WidgetError);
    expect(error).to.include({ status: 503, retryable: true });
    expect(retries).to.have.length(2);
  });

  it('calls tokenProvider once on 401 and carries on with the new token', async () => {
    const fresh = await newUserToken();
    let calls = 0;
    const refreshed: string[] = [];
    const client = clientFor('expired.or.bogus', {
      tokenProvider: async () => {
        calls++;
        return fresh;
      },
      onTokenRefreshed: (token) => refreshed.push(token),
    });
    const detail = await uploadAvatar(client, await webp());
    expect(calls).to.equal(1);
    expect(refreshed).to.deep.equal([fresh]);
    expect(detail.source).to.equal('upload');
  });

  it('shares one tokenProvider call between requests refused at the same time', async () => {
    const fresh = await newUserToken();
    let calls = 0;
    const client = clientFor('expired.or.bogus', {
      tokenProvider: async () => {
        calls++;
        return fresh;
      },
    });
    expect(await Promise.all([currentAvatar(client), currentAvatar(client), currentAvatar(client)])).to.deep.equal([null, null, null]);
    expect(calls).to.equal(1);
  });

  it('fails with UNAUTHENTICATED when the refreshed token is refused too', async () => {
    let calls = 0;
    const client = clientFor('expired.or.bogus', {
      tokenProvider: () => {
        calls++;
        return 'still.bogus.token';
      },
    });
    const error = await rejection(uploadAvatar(client, await webp()));
    expect(error).to.be.instanceOf(WidgetError);
    expect(error).to.include({ code: 'UNAUTHENTICATED', status: 401, retryable: false });
    expect(calls).to.equal(1);
  });

  it('fails with UNAUTHENTICATED on 401 when there is no tokenProvider', async () => {
    const error = await rejection(currentAvatar(clientFor('expired.or.bogus')));
    expect(error).to.include({ code: 'UNAUTHENTICATED', status: 401, retryable: false });
  });

  it('rejects with AbortError when aborted while the bytes are in flight, and sets no avatar', async () => {
    const client = clientFor(await newUserToken());
    const controller = new AbortController();
    const progress: UploadProgress[] = [];
    const pending = uploadAvatar(client, await webp(), {
      signal: controller.signal,
      // The 0-byte event is reported just before the PUT is sent: a microtask later it is in flight.
      onProgress: (p) => {
        progress.push(p);
        if (p.phase === 'upload' && p.loaded === 0) queueMicrotask(() => controller.abort());
      },
    });
    const error = await rejection(pending);
    expect(error).to.be.instanceOf(DOMException);
    expect((error as DOMException).name).to.equal('AbortError');
    // The PUT was cancelled, not left to finish: no byte was ever reported as sent.
    expect(progress).to.deep.equal([{ phase: 'upload', loaded: 0, total: progress[0]!.total }]);
    expect(await currentAvatar(client)).to.equal(null);
  });

  it('rejects with AbortError when aborted while waiting for processing', async () => {
    const controller = new AbortController();
    const pending = uploadAvatar(clientFor(await newUserToken()), await webp(), {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'processing' && p.loaded === 0) controller.abort();
      },
    });
    expect(((await rejection(pending)) as DOMException).name).to.equal('AbortError');
  });

  it('rejects with AbortError when aborted during a backoff wait, without waiting it out', async () => {
    const controller = new AbortController();
    let retries = 0;
    const client = clientFor(await newUserToken(), {
      endpoint: flakyEndpoint(3),
      // Three times the test's 20 s timeout: the test can only pass if the abort cuts the wait short.
      retry: { baseDelayMs: 60_000, maxDelayMs: 60_000 },
      onRetry: () => {
        retries++;
        queueMicrotask(() => controller.abort()); // once the wait has begun
      },
    });
    const error = await rejection(uploadAvatar(client, await webp(), { signal: controller.signal }));
    expect((error as DOMException).name).to.equal('AbortError');
    expect(retries, 'no attempt after the abort').to.equal(1);
  });

  it('rejects with IMAGE_INVALID, not retryable, when the bytes are not an image', async () => {
    const text = new Blob(['this is text, not a WebP image'], { type: 'image/webp' });
    const error = await rejection(uploadAvatar(clientFor(await newUserToken()), text));
    expect(error).to.be.instanceOf(WidgetError);
    expect(error).to.include({ code: 'IMAGE_INVALID', retryable: false });
  });

  it('passes on the server error for a refused upload', async () => {
    const svg = new Blob(['<svg xmlns="http://www.w3.org/2000/svg"/>'], { type: 'image/svg+xml' });
    const error = await rejection(uploadAvatar(clientFor(await newUserToken()), svg));
    expect(error).to.include({ code: 'UNSUPPORTED_MEDIA_TYPE', status: 415, retryable: false });
  });
});

describe('currentAvatar and removeAvatar', () => {
  it('reads null without an avatar, the avatar after an upload, null again after removal', async () => {
    const client = clientFor(await newUserToken());
    expect(await currentAvatar(client)).to.equal(null);
    const detail = await uploadAvatar(client, await webp());
    expect(await currentAvatar(client)).to.deep.equal(detail);
    await removeAvatar(client);
    expect(await currentAvatar(client)).to.equal(null);
    await removeAvatar(client); // idempotent
  });
});

describe('retry timing', () => {
  it('backs off exponentially with jitter, within bounds', () => {
    const policy = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 5].map((n) => backoffDelay(n, policy, () => 0))).to.deep.equal([50, 100, 200, 500]);
    expect([1, 2, 3, 5].map((n) => backoffDelay(n, policy, () => 1))).to.deep.equal([100, 200, 400, 1000]);
  });

  it('reads Retry-After as seconds or as a date', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).to.equal(3);
    expect(parseRetryAfter('Tue, 01 Jan 2030 00:00:07 GMT', now)).to.equal(7);
    expect(parseRetryAfter(null, now)).to.equal(undefined);
    expect(parseRetryAfter('soon', now)).to.equal(undefined);
  });
});
