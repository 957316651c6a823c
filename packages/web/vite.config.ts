import { defineConfig } from 'vite';

// The server (default port 3001) serves the built files; in `vite dev` the WebSocket and the REST API are proxied to it.
const serverUrl = process.env.ONSEMBL_SERVER_URL ?? 'http://localhost:3001';

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  // Workspace packages resolve to their TypeScript sources, so the build never bundles a stale dist.
  resolve: { conditions: ['source', 'browser', 'module', 'import', 'default'] },
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1024,
  },
  server: { proxy: { '/ws': { target: serverUrl, ws: true }, '/api': serverUrl, '/health': serverUrl } },
});
