import { fileURLToPath } from 'node:url';
import { defineConfig, type ProxyOptions } from 'vite';

/**
 * Builds the renderer (renderer/index.html + renderer/src) into dist/renderer, which
 * `schedbench serve` serves and Electron loads. Relative asset URLs (`base: './'`) so the same
 * build works from `http://127.0.0.1:PORT/` and from a `file:` URL. No inline script or style
 * attribute is emitted: the pages run under a CSP of `script-src 'self'`.
 *
 * Development against a running `schedbench serve`: set SCHEDBENCH_SERVE_URL to the ready URL it
 * printed (`http://127.0.0.1:PORT/?token=T`) and run `npx vite --config renderer/vite.config.ts`;
 * the dev server forwards `/api/` there with the token.
 */
const root = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('../dist/renderer', import.meta.url));

export default defineConfig({
  root,
  base: './',
  publicDir: false,
  build: {
    outDir,
    emptyOutDir: true,
    // Everything as files: no data: URLs for scripts, no inlined modules.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1024,
  },
  server: { proxy: devProxy(process.env.SCHEDBENCH_SERVE_URL) },
});

/** `/api` forwarded to a running `schedbench serve`, with its token (dev server only). */
function devProxy(readyUrl: string | undefined): Record<string, ProxyOptions> | undefined {
  if (!readyUrl) return undefined;
  const url = new URL(readyUrl);
  const token = url.searchParams.get('token') ?? '';
  return {
    '/api': {
      target: url.origin,
      changeOrigin: true,
      headers: { authorization: `Bearer ${token}` },
      configure: (proxy) => {
        // The server refuses a foreign Origin; the dev page's origin is the dev server's.
        proxy.on('proxyReq', (req) => req.removeHeader('origin'));
      },
    },
  };
}
