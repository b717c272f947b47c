#!/usr/bin/env node
// Entry point: the compiled CLI lives in dist/ (run `npm run build` after changing src/).
import { main } from '../dist/cli/main.js'
main(process.argv).then(
  (code) => { process.exitCode = code ?? 0 },
  (err) => { console.error(`ocdw: ${err?.message ?? err}`); process.exitCode = 1 },
)
