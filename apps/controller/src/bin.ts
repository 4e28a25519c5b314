#!/usr/bin/env node
/**
 * The `sluice` command's entry point: checks the Node.js version, then loads the app.
 *
 * Contract: this file is the first code the bin runs, so it must load on any Node.js that can
 * run an ES module. It therefore imports nothing statically, uses only old syntax and APIs
 * (no top-level await), and loads main.ts, whose dependency graph needs Node 24 (undici, for
 * one, fails at import on Node 20 with a stack trace), only after the check has passed.
 */

/** The oldest Node.js major the app runs on; the same as `engines.node` in package.json. */
const NODE_MAJOR_NEEDED = 24;

const found = process.versions.node;
if (Number(found.split('.')[0]) < NODE_MAJOR_NEEDED) {
  process.stderr.write(`sluice needs Node.js ${NODE_MAJOR_NEEDED} or later; this is Node.js ${found}.\n`);
  process.exit(1);
}
void import('./main.ts');
