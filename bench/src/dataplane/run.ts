/**
 * Runs the dataplane bench on its own:
 * node --conditions=@sluice/source bench/src/dataplane/run.ts
 */
import { runDataplaneBench } from './index.ts';

await runDataplaneBench();
