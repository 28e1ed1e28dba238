// The /docs page's own script and styles, served as files (its CSP allows no inline script or style). The script
// starts Swagger UI on the OpenAPI document the page names (data-* attributes also say whether the server is in dev
// mode). In dev mode "Try it out" is open on every operation, and the token POST /v1/dev/token answers with
// authorizes the page at once (kept across reloads), so a developer tries any user route in two clicks.
export const DOCS_SCRIPT = `'use strict';
(function () {
  var root = document.getElementById('docs');
  var dev = root.dataset.dev === 'true';
  // Swagger UI's dark styles apply under html.dark-mode: follow the system's setting, as it changes too.
  var dark = matchMedia('(prefers-color-scheme: dark)');
  var followScheme = function () { document.documentElement.classList.toggle('dark-mode', dark.matches); };
  followScheme();
  dark.addEventListener('change', followScheme);
  var ui = SwaggerUIBundle({
    url: root.dataset.openapi,
    domNode: root,
    // Swagger UI would otherwise send the document's URL to validator.swagger.io for a badge.
    validatorUrl: null,
    deepLinking: true,
    displayRequestDuration: true,
    defaultModelsExpandDepth: 0,
    tryItOutEnabled: dev,
    persistAuthorization: dev,
    responseInterceptor: function (response) {
      var url = new URL(response.url, location.href);
      if (dev && response.ok && url.origin === location.origin && url.pathname === root.dataset.devToken && response.body && response.body.token) {
        ui.preauthorizeApiKey('userToken', response.body.token);
      }
      return response;
    },
  });
})();
`;

/** Swagger UI's layout fitted to a phone: its responses table keeps a column for OpenAPI links, which we do not use. */
export const DOCS_STYLES = `@media (max-width: 600px) {
  .swagger-ui .wrapper { padding: 0 8px; }
  .swagger-ui .info { margin: 24px 0; }
  .swagger-ui .scheme-container { padding: 12px 0; }
  .swagger-ui .opblock .opblock-section-header { padding: 8px; }
  .swagger-ui .responses-inner { padding: 8px; }
  .swagger-ui .response-col_links { display: none; }
  .swagger-ui table tbody tr td:first-of-type { min-width: 3em; padding-right: 8px; }
  .swagger-ui .response-col_description { width: 100%; }
}
`;
