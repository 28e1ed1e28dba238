// What server and widget agree on about users: how a user id is spelled (the host app's own ids, a token's `sub`),
// and how many users one GET /v1/avatars may name.

export const USER_ID = /^[A-Za-z0-9_.:@-]{1,128}$/;

/** The most users one GET /v1/avatars asks about: a page's worth of avatars, in a URL short enough for any CDN. */
export const MAX_AVATARS_PER_REQUEST = 100;
