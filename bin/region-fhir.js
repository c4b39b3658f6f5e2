#!/usr/bin/env node
'use strict';
// The CLI entry: builds the TypeScript sources first when dist/ is missing or stale, then runs the command.
require('./ensure-build.js');
const { main } = require('../dist/src/main.js');
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`region-fhir: ${err && err.message ? err.message : err}\n`);
    process.exit(1);
  },
);
