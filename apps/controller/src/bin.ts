#!/usr/bin/env node
/**
 * The `sluice` command's entry point: checks the Node.js version (node-version.ts, evaluated
 * first), then loads the app.
 *
 * Contract: this file is the first code the bin runs, so it must load on any Node.js that can
 * run an ES module. It therefore imports statically only node-version.ts (which imports
 * nothing), uses only old syntax (no top-level await), and loads main.ts, whose dependency
 * graph needs Node 24, only after the check has passed: even syntax an old Node cannot parse
 * in that graph never hides the sentence.
 */
import './node-version.ts';

void import('./main.ts');
