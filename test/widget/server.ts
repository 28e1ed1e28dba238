// The real avatar-server the test runner started (web-test-runner.config.mjs), and fresh users on it.

export interface ServerInfo {
  url: string;
  adminKey: string;
}

export const server: ServerInfo = await (await fetch('/__avatar-server.json')).json();

let userCounter = 0;

export async function tokenFor(userId: string, ttlSeconds = 3600): Promise<string> {
  const res = await fetch(`${server.url}/v1/admin/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ user_id: userId, ttl_seconds: ttlSeconds }),
  });
  return ((await res.json()) as { token: string }).token;
}

/** A fresh user for every test, so drafts and avatars never leak between tests. */
export async function newUser() {
  const id = `widget-${Date.now().toString(36)}-${userCounter++}`;
  return { id, token: await tokenFor(id) };
}
