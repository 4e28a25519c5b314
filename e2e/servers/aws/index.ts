export { AWS_READ_ACTION, awsCallBudget, type CallBudget } from './call-budget.ts';
export { ELB_DEFAULT_LIMITS, type ElbLimitName, elbCategory } from './elbv2-throttling.ts';
export { type AwsFront, type AwsFrontOptions, type FrontLoggedRequest, startAwsFront } from './front.ts';
export { type AwsTarget, ensureMoto, MOTO_VERSION, type MotoRecorder, type RecordedRequest, startAwsTarget } from './moto.ts';
export type { QueryError, ThrottleCode } from './query-errors.ts';
