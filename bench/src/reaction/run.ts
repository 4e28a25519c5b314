/**
 * Runs the reaction bench on its own, optionally with fewer providers or Service counts:
 * node --conditions=@sluice/source bench/src/reaction/run.ts [recording|local ...] [services ...]
 */
import { runReactionBench } from './index.ts';

const args = process.argv.slice(2);
const providers = args.filter((a): a is 'recording' | 'local' => a === 'recording' || a === 'local');
const serviceCounts = args.map(Number).filter((n) => n > 0);
await runReactionBench({
  ...(providers.length > 0 ? { providers } : {}),
  ...(serviceCounts.length > 0 ? { serviceCounts } : {}),
});
