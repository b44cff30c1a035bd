// Vite builds the example Mini App (`npm run miniapp:build` → examples/miniapp/dist).
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  // A Mini App may be served from any path of its host.
  base: './',
  build: { outDir: 'dist', emptyOutDir: true },
  server: { host: '127.0.0.1', port: 5173 },
});
