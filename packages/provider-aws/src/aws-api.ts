/**
 * The single door to AWS: every ELBv2 and EC2 call goes through {@link AwsApi.elbv2} or
 * {@link AwsApi.ec2}, which wait for the call's rate-limit token, pass the caller's
 * AbortSignal to the SDK, log the call at debug as `aws call` with its `operation` (the
 * e2e job counts calls by these lines), and classify any failure.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Logger } from '@sluice/core';
import { type Clock, providerClock } from '@sluice/core/provider-kit';
import { awsErrorCode, classifyAwsError } from './errors.ts';
import type { ResolvedAwsProviderOptions } from './options.ts';
import { RateLimiter } from './rate-limit.ts';

/** Any SDK v3 command; its output type is inferred from the command class. */
export interface AwsCommand<Output> {
  readonly input: unknown;
  resolveMiddleware(...args: never[]): (...args: never[]) => Promise<{ output: Output }>;
}

interface Sender {
  send(command: never, options: { abortSignal: AbortSignal }): Promise<unknown>;
}

export class AwsApi {
  readonly #elbv2: ElasticLoadBalancingV2Client;
  readonly #ec2: EC2Client;
  readonly #owned: readonly { destroy(): void }[];
  readonly #limiter: RateLimiter;
  readonly #log: Logger;
  readonly #clock: Clock;

  constructor(options: ResolvedAwsProviderOptions, clock: Clock = providerClock) {
    const config = {
      maxAttempts: options.maxAttempts,
      ...(options.region !== undefined ? { region: options.region } : {}),
      ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    };
    // Building a client opens nothing: sockets and credentials are resolved on first send.
    this.#elbv2 = options.elbv2Client ?? new ElasticLoadBalancingV2Client(config);
    this.#ec2 = options.ec2Client ?? new EC2Client(config);
    this.#owned = [options.elbv2Client ? undefined : this.#elbv2, options.ec2Client ? undefined : this.#ec2].filter((c) => c !== undefined);
    this.#limiter = new RateLimiter(options.rateLimits, clock);
    this.#log = options.log;
    this.#clock = clock;
  }

  /** Sends an ELBv2 command. */
  elbv2<Output>(command: AwsCommand<Output>, signal: AbortSignal, fields?: Record<string, unknown>): Promise<Output> {
    return this.#send('elbv2', this.#elbv2 as unknown as Sender, command, signal, fields);
  }

  /** Sends an EC2 command. */
  ec2<Output>(command: AwsCommand<Output>, signal: AbortSignal, fields?: Record<string, unknown>): Promise<Output> {
    return this.#send('ec2', this.#ec2 as unknown as Sender, command, signal, fields);
  }

  /** Destroys the clients this instance built (injected ones belong to the caller). */
  close(): void {
    for (const c of this.#owned) c.destroy();
  }

  async #send<Output>(service: string, client: Sender, command: AwsCommand<Output>, signal: AbortSignal, fields?: Record<string, unknown>): Promise<Output> {
    const operation = command.constructor.name.replace(/Command$/, '');
    await this.#limiter.take(operation, signal, service);
    const started = this.#clock.now();
    try {
      const output = (await client.send(command as never, { abortSignal: signal })) as Output & { $metadata?: { attempts?: number } };
      this.#log.debug('aws call', { operation, service, ...fields, outcome: 'ok', attempts: output.$metadata?.attempts, durationMs: Math.round(this.#clock.now() - started) });
      return output;
    } catch (error) {
      const attempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts;
      this.#log.debug('aws call', {
        operation,
        service,
        ...fields,
        outcome: signal.aborted ? 'aborted' : (awsErrorCode(error) ?? 'error'),
        attempts,
        durationMs: Math.round(this.#clock.now() - started),
      });
      throw classifyAwsError(operation, error, signal, this.#clock);
    }
  }
}
