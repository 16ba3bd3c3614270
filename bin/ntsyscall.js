#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is compiled TypeScript under out/ (built by `npm run build`, run by `prepare`).
const path = require('path');
const fs = require('fs');
const entry = path.join(__dirname, '..', 'out', 'adapter', 'cli.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('ntsyscall: not built yet; run `npm run build` first\n');
  process.exit(2);
}
require(entry).main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error) => { process.stderr.write(`ntsyscall: ${error && error.stack ? error.stack : error}\n`); process.exitCode = 1; },
);
