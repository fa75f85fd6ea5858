// OpenRegistry's own initializer for the Swagger UI webjar (served at /api-docs/): the management
// API's document, no top bar (its URL field would load any document; connect-src 'self' forbids
// foreign ones anyway), and requests sent with the browser's session cookie. Unsafe requests made
// from this page need the X-CSRF-Token of GET /auth/session, which it adds when it can.
window.addEventListener('load', function () {
  var csrf = null;
  fetch('/auth/session', { credentials: 'same-origin' })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (s) { csrf = s && s.csrf_token; })
    .catch(function () {});
  window.ui = SwaggerUIBundle({
    url: '/api/v1/openapi.json',
    dom_id: '#swagger-ui',
    // no deep links: Swagger UI renders them as links inside the operation's button (axe: nested-interactive)
    deepLinking: false,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    // Swagger UI's servers list is a <select> with no label
    onComplete: function () {
      var servers = document.getElementById('servers');
      if (servers && !servers.getAttribute('aria-label')) servers.setAttribute('aria-label', 'Server');
    },
    requestInterceptor: function (req) {
      if (csrf && req.method && !/^(GET|HEAD|OPTIONS)$/i.test(req.method)) req.headers['X-CSRF-Token'] = csrf;
      return req;
    }
  });
});
