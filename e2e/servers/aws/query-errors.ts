/**
 * Error answers of the ELBv2 query protocol (API version 2015-12-01), the XML the SDK's
 * `awsQuery` deserializer reads the error code and message from:
 *
 * ```xml
 * <ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">
 *   <Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>
 *   <RequestId>…</RequestId>
 * </ErrorResponse>
 * ```
 *
 * Codes and statuses follow "Common Errors" in the Elastic Load Balancing API Reference:
 * throttling is a 400 (the caller's fault, Type `Sender`), `InternalFailure` a 500 and
 * `ServiceUnavailable` a 503 (Type `Receiver`). The throttling code on the wire is
 * `Throttling` with the message `Rate exceeded` from the ELB throttling guide; that guide and
 * the common-errors page name it `ThrottlingException`, which the front can send instead.
 * The SDK retries all of these (its throttling codes include both spellings).
 */
import { randomUUID } from 'node:crypto';

export const ELB_XMLNS = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';

export type ThrottleCode = 'Throttling' | 'ThrottlingException';

export interface QueryError {
  readonly status: number;
  readonly type: 'Sender' | 'Receiver';
  readonly code: string;
  readonly message: string;
}

export function throttling(code: ThrottleCode = 'Throttling'): QueryError {
  return { status: 400, type: 'Sender', code, message: 'Rate exceeded' };
}

export function serviceError(status: number): QueryError {
  if (status === 503) return { status, type: 'Receiver', code: 'ServiceUnavailable', message: 'The request has failed due to a temporary failure of the server.' };
  return { status, type: 'Receiver', code: 'InternalFailure', message: 'The request processing has failed because of an unknown error, exception or failure.' };
}

const xmlText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The response: status, headers and the XML body. */
export function queryErrorResponse(error: QueryError): { status: number; headers: Record<string, string>; body: string } {
  const requestId = randomUUID();
  const body =
    `<ErrorResponse xmlns="${ELB_XMLNS}">` +
    `<Error><Type>${error.type}</Type><Code>${xmlText(error.code)}</Code><Message>${xmlText(error.message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`;
  return {
    status: error.status,
    headers: { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId, 'Content-Length': String(Buffer.byteLength(body)) },
    body,
  };
}
