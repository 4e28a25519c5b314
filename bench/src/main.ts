/**
 * npm run bench: benchmarks that print tables. Never part of the pass/fail suite.
 * Usage: npm run bench [-- --sizes 100,1000,10000]
 */
import { runPlannerBench } from './planner.bench.ts';

const i = process.argv.indexOf('--sizes');
const sizes = i === -1 ? undefined : (process.argv[i + 1] ?? '').split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0);
if (sizes !== undefined && sizes.length === 0) {
  process.stderr.write('bench: --sizes takes a comma-separated list of positive whole numbers, e.g. 100,1000.\n');
  process.exit(2);
}
process.stdout.write(`node ${process.version}, ${process.arch}\n`);
runPlannerBench(sizes);
