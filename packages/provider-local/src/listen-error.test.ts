import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRetryableError, isTerminalError } from '@sluice/core';
import { listenError } from './listen-error.ts';

const target = { service: 'ns/web', portName: 'http', port: 8080, index: 1, address: '127.0.0.1' };

function errno(code: string, message = `listen ${code}`): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

const cases: {
  code: string;
  target?: typeof target;
  retryable: boolean;
  reason: string;
  field: string;
  message: string;
}[] = [
  {
    code: 'EADDRINUSE',
    retryable: true,
    reason: 'PortInUse',
    field: 'spec.ports[1].port',
    message:
      'The local load balancer cannot listen on 127.0.0.1:8080 for Service ns/web port http: the port is in use by another listener (another Service or program); choose a free port.',
  },
  {
    code: 'EACCES',
    target: { ...target, port: 80, index: 0 },
    retryable: false,
    reason: 'PortNotPermitted',
    field: 'spec.ports[0].port',
    message:
      'The local load balancer cannot listen on 127.0.0.1:80 for Service ns/web port http: port 80 is privileged, and ports below 1024 need root or the CAP_NET_BIND_SERVICE capability; choose a port from 1024 up or grant the controller that capability.',
  },
  {
    code: 'EADDRNOTAVAIL',
    target: { ...target, address: '2001:db8::1' },
    retryable: false,
    reason: 'InvalidListenAddress',
    field: 'address',
    message:
      'The local load balancer cannot listen on [2001:db8::1]:8080 for Service ns/web port http: 2001:db8::1 is not an address of this host (EADDRNOTAVAIL); set the address option to one.',
  },
  {
    code: 'EMFILE',
    retryable: true,
    reason: 'ListenFailed',
    field: 'spec.ports[1].port',
    message: 'The local load balancer cannot listen on 127.0.0.1:8080 for Service ns/web port http: listen EMFILE.',
  },
];

for (const c of cases) {
  test(`${c.code} is ${c.retryable ? 'retryable' : 'terminal'} (${c.reason})`, () => {
    const cause = errno(c.code);
    const error = listenError(c.target ?? target, cause);
    assert.equal(isRetryableError(error), c.retryable);
    assert.equal(isTerminalError(error), !c.retryable);
    assert.equal(error.reason, c.reason);
    assert.equal(error.field, c.field);
    assert.equal(error.message, c.message);
    assert.equal(error.cause, cause);
  });
}
