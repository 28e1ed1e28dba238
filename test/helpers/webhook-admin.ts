// The admin API's view of webhook deliveries, for the webhook tests.
import assert from 'node:assert/strict';
import { api, waitUntil, type RunningServer } from './server.ts';

export const adminAuth = (server: RunningServer) => ({ authorization: `Bearer ${server.adminKey}` });

/** GET /v1/admin/webhooks/{id}/deliveries (`query`: '?limit=…'), newest first. */
export async function deliveries(server: RunningServer, webhookId: string, query = ''): Promise<any[]> {
  const res = await api(server, 'GET', `/v1/admin/webhooks/${webhookId}/deliveries${query}`, { headers: adminAuth(server) });
  assert.equal(res.status, 200, res.text);
  return res.json.deliveries;
}

/** The deliveries, once the newest has succeeded. */
export const newestSucceeded = (server: RunningServer, webhookId: string, what: string) =>
  waitUntil(async () => {
    const list = await deliveries(server, webhookId);
    return list[0]?.state === 'succeeded' ? list : undefined;
  }, what);
