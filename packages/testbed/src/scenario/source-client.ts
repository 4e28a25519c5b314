/**
 * A client of the load balancer with a chosen source address (any of 127.0.0.0/8 on the
 * loopback), for source-range tests: one GET per fresh connection, and what became of it.
 */
import http from 'node:http';

export type GetOutcome =
  | { readonly kind: 'answered'; readonly status: number; readonly body: string }
  /** The connection was reset or closed before any HTTP response. */
  | { readonly kind: 'refused'; readonly code: string }
  | { readonly kind: 'timeout' };

/** GET / from `localAddress` on a fresh connection. Never rejects. */
export function getFrom(localAddress: string, host: string, port: number, timeoutMs = 3000): Promise<GetOutcome> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (outcome: GetOutcome) => {
      if (done) return;
      done = true;
      resolve(outcome);
    };
    const req = http.get({ host, port, localAddress, path: '/', agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => finish({ kind: 'answered', status: res.statusCode ?? 0, body: body.trim() }));
      res.on('error', (e: NodeJS.ErrnoException) => finish({ kind: 'refused', code: e.code ?? e.message }));
    });
    req.on('timeout', () => {
      finish({ kind: 'timeout' });
      req.destroy();
    });
    req.on('error', (e: NodeJS.ErrnoException) => finish({ kind: 'refused', code: e.code ?? e.message }));
  });
}

export interface SourceTally {
  readonly answered: number;
  readonly refused: number;
  readonly timedOut: number;
  /** Error codes of refused requests, with counts (e.g. `{ ECONNRESET: 20 }`). */
  readonly codes: Readonly<Record<string, number>>;
  /** Bodies of answered requests (the pod names), with counts. */
  readonly bodies: Readonly<Record<string, number>>;
}

/** `requests` GETs from `localAddress`, one after another. */
export async function tallyFrom(localAddress: string, host: string, port: number, requests: number): Promise<SourceTally> {
  let answered = 0;
  let refused = 0;
  let timedOut = 0;
  const codes: Record<string, number> = {};
  const bodies: Record<string, number> = {};
  for (let i = 0; i < requests; i++) {
    const outcome = await getFrom(localAddress, host, port);
    if (outcome.kind === 'answered' && outcome.status === 200) {
      answered++;
      bodies[outcome.body] = (bodies[outcome.body] ?? 0) + 1;
    } else if (outcome.kind === 'refused') {
      refused++;
      codes[outcome.code] = (codes[outcome.code] ?? 0) + 1;
    } else if (outcome.kind === 'timeout') {
      timedOut++;
    } else {
      // An HTTP answer other than 200 is still an answer: the connection was served.
      answered++;
      bodies[`HTTP ${outcome.status}`] = (bodies[`HTTP ${outcome.status}`] ?? 0) + 1;
    }
  }
  return { answered, refused, timedOut, codes, bodies };
}
