#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist (built by `npm install` through the root `prepare` script).
import('../dist/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/main.js')) {
    console.error('onsembl: not built yet. Run `npm install` (or `npm run build`) at the repository root.');
    process.exit(1);
  }
  throw err;
});
