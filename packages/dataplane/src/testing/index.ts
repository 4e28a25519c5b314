/**
 * @sluice/dataplane/testing: what a test of code built on the data plane needs: loopback
 * backends that say who answered, a line client, polling, and timers a test fires by hand.
 */
export { ManualTimers } from './manual-timers.ts';
export {
  type Address,
  bytesBeforeClose,
  type CaptureBackend,
  countAnswers,
  freePort,
  type HttpHealthBackend,
  LineClient,
  startBackend,
  startCaptureBackend,
  startHttpBackend,
  type TestBackend,
  waitFor,
  whoAnswers,
} from './sockets.ts';
