/**
 * Which files of a packed tarball are tests or test support: check-publish.ts fails a package
 * that ships any.
 */

/** Paths (inside a tarball) of tests and the code that only tests use. */
const TEST_PATHS = [/\.test\.[^/]+$/, /\.e2e\.[^/]+$/, /(^|\/)test-support\//, /(^|\/)__tests__\//];
/**
 * `testing/` is test code, unless the package exports it as `./testing`: then it is public API
 * for those who build on the package (@sluice/core's fake clock, recording provider and provider
 * conformance suite; @sluice/dataplane's loopback backends and manual timers).
 */
const TESTING_DIR = /(^|\/)testing\//;

/** The files of a packed tarball that are tests or test support. */
export function testFiles(exportsTesting: boolean, files: readonly string[]): string[] {
  return files.filter((f) => TEST_PATHS.some((re) => re.test(f)) || (!exportsTesting && TESTING_DIR.test(f)));
}
