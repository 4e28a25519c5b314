/**
 * The AWS front: a loopback HTTP proxy in front of moto (which stays the control plane) that
 * gives ELBv2 calls what moto lacks, AWS's request throttling (elbv2-throttling.ts) and
 * injected faults, answering them in the query protocol's XML (query-errors.ts), and EC2 calls
 * EC2's own per-action throttling (ec2-throttling.ts). Every call that passes, and every call
 * that is neither (moto's own `/moto-api/`), goes to moto unchanged, and moto's answer comes
 * back unchanged.
 *
 * A call is ELBv2 when its SigV4 credential scope names the `elasticloadbalancing` service;
 * the scope's Region, with the one account moto serves, picks the buckets. Every call lands
 * in the request log, with its action and what the front did to it.
 */
import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { enactTransportFault, isRequestAbandoned } from '../kit/fault-transport.ts';
import { FaultBox, type Faults } from '../kit/faults.ts';
import { limiterFor, type RateLimiter, type RateLimitSetting } from '../kit/rate-limiter.ts';
import { type FaultKind, type LoggedRequest, type RequestLog, RequestRecorder } from '../kit/request-log.ts';
import { type Now, realSleep, type Sleep } from '../kit/time.ts';
import { EC2_DEFAULT_LIMITS, type Ec2LimitName, ec2Charges, ec2Throttling } from './ec2-throttling.ts';
import { ELB_DEFAULT_LIMITS, type ElbLimitName, elbCharges } from './elbv2-throttling.ts';
import { type QueryError, queryErrorResponse, serviceError, type ThrottleCode, throttling } from './query-errors.ts';

export interface AwsFrontOptions {
  /** Where calls go: moto's `http://127.0.0.1:<port>`. */
  readonly target: string;
  /**
   * ELBv2's documented token buckets (`true`), single buckets replaced or switched off, and
   * the clock they read. On by default: throttling is what the front is for; a test that
   * only wants faults passes `false`.
   * @default true
   */
  readonly rateLimits?: RateLimitSetting<ElbLimitName>;
  /**
   * EC2's documented per-action buckets (ec2-throttling.ts), answered with RequestLimitExceeded;
   * `false` switches them off.
   * @default true
   */
  readonly ec2RateLimits?: RateLimitSetting<Ec2LimitName>;
  /**
   * The error code of a throttled call (see query-errors.ts).
   * @default 'Throttling'
   */
  readonly throttleCode?: ThrottleCode;
  /**
   * The AWS account the buckets belong to (moto serves one).
   * @default '123456789012'
   */
  readonly account?: string;
  /** @default Date.now */
  readonly now?: Now;
  /** Waits out injected latency and held requests. @default real timers */
  readonly sleep?: Sleep;
  /**
   * What AWS does and moto does not, for the calls that pass throttling and faults: the NLB
   * twin (nlb-twin.ts). @default none: every call goes to moto as it came
   */
  readonly hook?: FrontHook;
}

/** One signed ELBv2 or EC2 call, as a {@link FrontHook} sees it. */
export interface HookCall {
  /** `elasticloadbalancing` or `ec2`. */
  readonly service: string;
  readonly action: string;
  readonly region: string;
  /** The form-encoded parameters of the query protocol. */
  readonly params: URLSearchParams;
}

/** An answer the hook gives instead of moto's. */
export interface HookAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Runs around each signed call moto would answer: `before` may answer in moto's place (a
 * refusal AWS makes and moto does not), or forward a rewritten body; `after` runs once moto
 * answered 2xx, before the answer goes back, so a caller's next call already sees its effect.
 */
export interface FrontHook {
  before(call: HookCall): Promise<{ readonly answer: HookAnswer } | { readonly forwardBody: Buffer } | undefined>;
  after(call: HookCall): Promise<void>;
}

/** One call through the front. `operation` is the query-protocol `Action`. */
export interface FrontLoggedRequest extends LoggedRequest {
  /** The SigV4 service (`elasticloadbalancing`, `ec2`); '' for unsigned calls such as `/moto-api/`. */
  readonly service: string;
  readonly region: string;
  readonly accessKeyId: string | undefined;
}

export interface AwsFront {
  /** `http://127.0.0.1:<port>`: the endpoint to give the SDK (or the controller's `--aws-endpoint`). */
  readonly endpoint: string;
  /** Faults for ELBv2 calls, matched by action. ELBv2 calls finish synchronously, so operation faults do not apply. */
  readonly faults: Faults<undefined>;
  readonly requests: RequestLog<FrontLoggedRequest>;
  /** The buckets in force; undefined when off. */
  readonly rateLimits: RateLimiter | undefined;
  /** The EC2 buckets, when on. */
  readonly ec2RateLimits: RateLimiter | undefined;
  close(): Promise<void>;
}

interface CallInfo {
  readonly action: string;
  readonly service: string;
  readonly region: string;
  readonly accessKeyId: string | undefined;
}

/** Action from a form-encoded body (or the JSON protocols' `X-Amz-Target`); service, Region and key from the SigV4 scope. */
function callInfo(req: IncomingMessage, body: Buffer): CallInfo {
  const scope = /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(String(req.headers['authorization'] ?? ''));
  const type = String(req.headers['content-type'] ?? '');
  const target = String(req.headers['x-amz-target'] ?? '');
  const action = type.startsWith('application/x-www-form-urlencoded') ? (new URLSearchParams(body.toString('utf8')).get('Action') ?? '') : target.slice(target.lastIndexOf('.') + 1);
  return { action: action || 'unknown', accessKeyId: scope?.[1], region: scope?.[2] ?? '', service: scope?.[3] ?? '' };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startAwsFront(options: AwsFrontOptions): Promise<AwsFront> {
  const target = new URL(options.target);
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const account = options.account ?? '123456789012';
  const agent = new Agent({ keepAlive: true });
  const limits = limiterFor(options.rateLimits ?? true, ELB_DEFAULT_LIMITS, now);
  const ec2Limits = limiterFor(options.ec2RateLimits ?? true, EC2_DEFAULT_LIMITS, now);
  const faults = new FaultBox<undefined>({ defaultErrorStatus: 500, defaultOperationFault: undefined });
  const requests = new RequestRecorder<FrontLoggedRequest>();

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<number> =>
    new Promise((resolve) => {
      const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
      const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.once('end', () => resolve(answer.statusCode ?? 502));
        answer.once('error', () => resolve(answer.statusCode ?? 502));
      });
      upstream.once('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
        resolve(502);
      });
      upstream.end(body);
    });

  /** Forwards a call through the hook: moto's answer is held until `after` is done. */
  const forwardHooked = async (req: IncomingMessage, res: ServerResponse, body: Buffer, call: CallInfo, hook: FrontHook): Promise<number> => {
    const hooked: HookCall = { service: call.service, action: call.action, region: call.region, params: new URLSearchParams(body.toString('utf8')) };
    const decision = await hook.before(hooked);
    if (decision !== undefined && 'answer' in decision) {
      res.writeHead(decision.answer.status, { ...decision.answer.headers, 'Content-Length': String(Buffer.byteLength(decision.answer.body)) });
      res.end(decision.answer.body);
      return decision.answer.status;
    }
    const sent = decision?.forwardBody ?? body;
    const upstream = await new Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }>((resolve, reject) => {
      const headers = { ...req.headers, host: target.host, 'content-length': String(sent.length) };
      const r = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.once('end', () => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(chunks) }));
        answer.once('error', reject);
      });
      r.once('error', reject);
      r.end(sent);
    });
    if (upstream.status >= 200 && upstream.status < 300) await hook.after(hooked);
    res.writeHead(upstream.status, { ...upstream.headers, 'content-length': String(upstream.body.length) });
    res.end(upstream.body);
    return upstream.status;
  };
  const pass = (req: IncomingMessage, res: ServerResponse, body: Buffer, call: CallInfo): Promise<number> =>
    options.hook !== undefined && (call.service === 'elasticloadbalancing' || call.service === 'ec2') ? forwardHooked(req, res, body, call, options.hook) : forward(req, res, body);

  /** Answers one call; returns the status sent (0: none) and what the front did. */
  const answer = async (req: IncomingMessage, res: ServerResponse, body: Buffer, call: CallInfo): Promise<{ status: number; fault?: FaultKind }> => {
    if (call.service === 'ec2' && ec2Limits !== undefined && !ec2Limits.take(ec2Charges(call.action, new URLSearchParams(body.toString('utf8')), account, call.region)).allowed) {
      const throttled = ec2Throttling();
      res.writeHead(throttled.status, throttled.headers);
      res.end(throttled.body);
      return { status: throttled.status, fault: 'rate-limited' };
    }
    if (call.service !== 'elasticloadbalancing') return { status: await pass(req, res, body, call) };
    if (limits !== undefined && !limits.take(elbCharges(call.action, account, call.region)).allowed) {
      return { status: send(res, throttling(options.throttleCode)), fault: 'rate-limited' };
    }
    const decision = faults.decide(req.method ?? 'POST', call.action);
    if (decision === undefined) return { status: await pass(req, res, body, call) };
    const fault: FaultKind = decision.fault?.kind ?? 'latency';
    try {
      await enactTransportFault(decision, req.socket, sleep);
    } catch (e) {
      if (isRequestAbandoned(e)) return { status: 0, fault };
      throw e;
    }
    if (decision.fault?.kind === 'throttle') return { status: send(res, throttling(options.throttleCode)), fault };
    if (decision.fault?.kind === 'error') return { status: send(res, serviceError(decision.fault.status)), fault };
    return { status: await pass(req, res, body, call), fault };
  };

  const server = createServer((req, res) => {
    void (async () => {
      let body: Buffer;
      try {
        body = await readBody(req);
      } catch {
        res.destroy();
        return;
      }
      const call = callInfo(req, body);
      let outcome: { status: number; fault?: FaultKind };
      try {
        outcome = await answer(req, res, body, call);
      } catch {
        if (!res.headersSent) res.writeHead(500);
        res.end();
        outcome = { status: 500 };
      }
      const path = new URL(req.url ?? '/', 'http://front').pathname;
      requests.record({ method: req.method ?? 'POST', path, operation: call.action, status: outcome.status, at: now(), service: call.service, region: call.region, accessKeyId: call.accessKeyId, ...(outcome.fault ? { fault: outcome.fault } : {}) });
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    faults,
    requests,
    rateLimits: limits,
    ec2RateLimits: ec2Limits,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}

function send(res: ServerResponse, error: QueryError): number {
  const r = queryErrorResponse(error);
  res.writeHead(r.status, r.headers);
  res.end(r.body);
  return r.status;
}
