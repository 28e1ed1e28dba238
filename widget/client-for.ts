// One API client per endpoint and token: the same instance until either changes, so what holds on to it (a
// retry in flight, the emote panel) keeps one client, and a new one tells them the user or server changed.
import { ApiClient } from './api/client.ts';
import { resolveEndpoint } from './endpoint.ts';

export interface ClientSource {
  endpoint: string;
  token: string;
  tokenProvider: (() => Promise<string> | string) | undefined;
}

export function clientFor(source: ClientSource): () => ApiClient {
  let client: ApiClient | undefined;
  let token: string | undefined;
  return () => {
    const endpoint = resolveEndpoint(source.endpoint);
    if (client?.options.endpoint !== endpoint || token !== source.token) {
      token = source.token;
      client = new ApiClient({
        endpoint,
        getToken: () => source.token,
        // Read when needed: a provider set after the token still counts.
        get tokenProvider() {
          return source.tokenProvider;
        },
        onTokenRefreshed: (fresh) => {
          source.token = fresh;
        },
      });
    }
    return client;
  };
}
