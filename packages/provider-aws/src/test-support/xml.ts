/**
 * Response bodies in the shapes the ELBv2 (2015-12-01) and EC2 (2016-11-15) Query APIs
 * publish: `<XResponse><XResult>...</XResult><ResponseMetadata>` for ELBv2,
 * `<XResponse><requestId>` with `item` lists for EC2, and each service's error document.
 */

const ELB_NS = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';
const EC2_NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
let requestCounter = 0;

export function requestId(): string {
  requestCounter += 1;
  return `00000000-0000-4000-8000-${String(requestCounter).padStart(12, '0')}`;
}

export function esc(value: string | number | boolean): string {
  return String(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** `<name>value</name>`, or nothing when the value is undefined. */
export function el(name: string, value: string | number | boolean | undefined): string {
  return value === undefined ? '' : `<${name}>${esc(value)}</${name}>`;
}

/** `<name><member>...</member>...</name>` from already-built member bodies. */
export function members(name: string, items: readonly string[]): string {
  return `<${name}>${items.map((i) => `<member>${i}</member>`).join('')}</${name}>`;
}

export function elbResponse(action: string, result = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${ELB_NS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></${action}Response>`;
}

export function elbError(code: string, message: string, type: 'Sender' | 'Receiver' = 'Sender'): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${ELB_NS}"><Error><Type>${type}</Type><Code>${esc(code)}</Code><Message>${esc(message)}</Message></Error><RequestId>${requestId()}</RequestId></ErrorResponse>`;
}

export function ec2Response(action: string, body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${EC2_NS}"><requestId>${requestId()}</requestId>${body}</${action}Response>`;
}

export function ec2Error(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${esc(code)}</Code><Message>${esc(message)}</Message></Error></Errors><RequestID>${requestId()}</RequestID></Response>`;
}

/** Reads a Query list parameter: `Name.member.N` (strings) or `Name.member.N.Field` (records). */
export function memberList(params: URLSearchParams, name: string): Record<string, string>[] {
  const byIndex = new Map<number, Record<string, string>>();
  const re = new RegExp(`^${name.replace(/\./g, '\\.')}\\.member\\.(\\d+)(?:\\.(.+))?$`);
  for (const [key, value] of params) {
    const m = re.exec(key);
    if (!m) continue;
    const index = Number(m[1]);
    const record = byIndex.get(index) ?? {};
    record[m[2] ?? ''] = value;
    byIndex.set(index, record);
  }
  return [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, r]) => r);
}

export function stringList(params: URLSearchParams, name: string): string[] {
  return memberList(params, name).map((r) => r[''] ?? '');
}
