/**
 * Runs the scale bench on its own, optionally at other sizes:
 * node --conditions=@sluice/source bench/src/scale/run.ts [pods...]
 */
import { runScaleBench } from './index.ts';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
await runScaleBench(sizes.length > 0 ? { sizes } : {});
