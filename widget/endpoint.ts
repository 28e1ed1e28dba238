// Where the widget talks to by default: the origin this script was loaded from (the avatar server serves it).
export const scriptOrigin = new URL(import.meta.url).origin;

export function resolveEndpoint(endpoint: string | undefined | null): string {
  return (endpoint || scriptOrigin).replace(/\/+$/, '');
}
