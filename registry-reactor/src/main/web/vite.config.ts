import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

// `npm run dev` next to a registry on localhost:5000 (run it with webauthn.origins including
// http://localhost:5173 to try passkeys from the dev server).
const registry = 'http://localhost:5000';
export default defineConfig({
  plugins: [sveltekit()],
  server: { proxy: { '/api/': registry, '/auth/': registry, '/v2/': registry, '/token': registry } }
});
