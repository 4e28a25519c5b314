/**
 * Waits for a long-running write to end without reading the written resource back.
 *
 * The SDK's poller follows a PUT's `Azure-AsyncOperation` URL and, once the operation
 * succeeded, GETs the resource itself to return it ("Track asynchronous Azure operations":
 * the operation status tells that the write ended; the resource URL tells what it holds).
 * Where Sluice keeps nothing of that answer (a security rule it wrote exactly as planned),
 * the GET is a read against ARM's per-principal read budget for nothing: one per write.
 *
 * The SDK sends the request (its serializers, its checks of the initial status); what it
 * answered is handed to core-lro's poller (the engine the SDK uses) with `skipFinalGet`,
 * which the generated client does not pass through. Polls go through the client's own
 * pipeline, so authentication, Retry-After and the retry policy are the SDK's.
 */
import { createHttpPoller, type OperationResponse, type RawResponse } from '@azure/core-lro';
import { createDefaultHttpClient, createPipelineRequest, type HttpClient, type Pipeline, type PipelineResponse, RestError } from '@azure/core-rest-pipeline';

/** What `onResponse` hands over: the response and, when the SDK parsed it, its body. */
export interface ObservedResponse extends PipelineResponse {
  readonly parsedBody?: unknown;
}

/** The SDK operation, started: it resolves `submitted()` once its initial response is checked. */
export interface SubmittedOperation {
  submitted(): Promise<void>;
}

export interface SettleOptions {
  readonly pipeline: Pipeline;
  readonly signal: AbortSignal;
  /** The poll interval when the server sends no Retry-After. @default core-lro's (2 s) */
  readonly intervalInMs?: number | undefined;
  /** http endpoints are allowed for loopback test servers only (azure-api.ts decides). */
  readonly allowInsecureConnection: boolean;
  /** @default the SDK's default HTTP client */
  readonly httpClient?: HttpClient;
}

function bodyOf(response: ObservedResponse): unknown {
  if (response.parsedBody !== undefined) return response.parsedBody;
  const text = response.bodyAsText;
  if (text === undefined || text === null || text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toOperationResponse(response: ObservedResponse, url: string, method: string): OperationResponse {
  const body = bodyOf(response);
  const raw: RawResponse = { statusCode: response.status, request: { method, url }, headers: response.headers.toJSON(), body };
  return { flatResponse: body, rawResponse: raw };
}

/** The error ARM's body names (CloudError: `{ error: { code, message } }`), as the SDK's RestError. */
function pollError(response: ObservedResponse): RestError {
  const body = bodyOf(response) as { error?: { code?: string; message?: string } } | undefined;
  const code = body?.error?.code;
  const message = body?.error?.message ?? `Polling the operation answered HTTP ${response.status}.`;
  return new RestError(message, { statusCode: response.status, request: response.request, response, ...(code ? { code } : {}) });
}

/** The poll URL with the initial request's api-version when ARM gave it none (as the SDK adds it). */
function withApiVersion(path: string, initialUrl: string): string {
  const url = new URL(path, initialUrl);
  const version = new URL(initialUrl).searchParams.get('api-version');
  if (!url.searchParams.has('api-version') && version) url.searchParams.set('api-version', version);
  return url.toString();
}

/**
 * Starts the operation through `start` (which must pass `onResponse` to the SDK) and waits
 * until ARM reports it Succeeded; Failed or Canceled rejects as the SDK's poller would.
 */
export async function settleOperation(options: SettleOptions, start: (onResponse: (response: ObservedResponse) => void) => SubmittedOperation): Promise<void> {
  let initial: ObservedResponse | undefined;
  await start((response) => {
    initial = response;
  }).submitted();
  const first = initial;
  if (first === undefined) throw new Error('The SDK reported no response for the operation it started.');
  const initialUrl = first.request.url;
  const httpClient = options.httpClient ?? createDefaultHttpClient();
  const poller = createHttpPoller(
    {
      sendInitialRequest: async () => toOperationResponse(first, initialUrl, first.request.method),
      sendPollRequest: async (path, pollOptions) => {
        const url = withApiVersion(path, initialUrl);
        const request = createPipelineRequest({ url, method: 'GET', abortSignal: pollOptions?.abortSignal ?? options.signal, allowInsecureConnection: options.allowInsecureConnection });
        const response: ObservedResponse = await options.pipeline.sendRequest(httpClient, request);
        if (response.status >= 300) throw pollError(response);
        return toOperationResponse(response, url, 'GET');
      },
    },
    { resourceLocationConfig: 'azure-async-operation', skipFinalGet: true, ...(options.intervalInMs !== undefined ? { intervalInMs: options.intervalInMs } : {}) },
  );
  await poller.pollUntilDone({ abortSignal: options.signal });
}
