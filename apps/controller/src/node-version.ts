/**
 * The Node.js version check, made when this module is evaluated. It is the first import of
 * both entry points (bin.ts, the `sluice` bin, and main.ts, which people also run directly as
 * `node dist/main.js`), and ES modules are evaluated in import order, so on an older Node the
 * user reads one sentence before any dependency that needs Node 24 runs (undici, for one,
 * fails on Node 20 with a stack trace).
 *
 * Contract: no imports, only old syntax and APIs, so it loads on any Node.js that can run an
 * ES module.
 */

/** The oldest Node.js major the app runs on; the same as `engines.node` in package.json. */
export const NODE_MAJOR_NEEDED = 24;

const found = process.versions.node;
if (Number(found.split('.')[0]) < NODE_MAJOR_NEEDED) {
  process.stderr.write(`sluice needs Node.js ${NODE_MAJOR_NEEDED} or later; this is Node.js ${found}.\n`);
  process.exit(1);
}
