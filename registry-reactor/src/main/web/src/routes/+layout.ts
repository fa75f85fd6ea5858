// Pure SPA: the registry serves one shell (index.html) for every page; nothing is rendered on a
// server and nothing is prerendered.
export const ssr = false;
export const prerender = false;
export const trailingSlash = 'never';
