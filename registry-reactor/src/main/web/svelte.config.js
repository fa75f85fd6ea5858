import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    // SPA: no prerendered pages except the fallback shell; every route renders in the browser.
    adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', strict: true }),
    // Served from the jar at "/"; app files under /_app/ are content-hashed (immutable cache).
    appDir: '_app',
    output: { bundleStrategy: 'single' }
  }
};
export default config;
