/**
 * A throw-away certificate authority and one server certificate signed by it, made with the
 * `openssl` CLI when the server starts. The CA's PEM is written to a file so child
 * processes can trust it through `NODE_EXTRA_CA_CERTS` (read once, at process start).
 *
 * The server certificate names 127.0.0.1, ::1 and localhost, plus the Entra host names a
 * client may reach through the discovery proxy (see discovery-proxy.ts), so one TLS server
 * answers for all of them. Keys never leave the temporary directory, which `remove()` deletes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TlsMaterialOptions {
  /**
   * DNS names the server certificate carries besides `localhost`.
   * @default [] (none)
   */
  readonly extraDnsNames?: readonly string[];
  /**
   * Directory the temporary directory is created in.
   * @default os.tmpdir()
   */
  readonly parentDir?: string;
  /**
   * The openssl executable.
   * @default 'openssl' from PATH
   */
  readonly openssl?: string;
}

export interface TlsMaterial {
  /** The temporary directory holding keys and certificates. */
  readonly dir: string;
  /** Path of the CA certificate (PEM): the value for NODE_EXTRA_CA_CERTS. */
  readonly caPath: string;
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** Deletes the directory. */
  remove(): void;
}

export function createTlsMaterial(options: TlsMaterialOptions = {}): TlsMaterial {
  const openssl = options.openssl ?? 'openssl';
  const dir = mkdtempSync(join(options.parentDir ?? tmpdir(), 'sluice-arm-tls-'));
  const file = (name: string) => join(dir, name);
  const run = (args: string[]) => {
    try {
      execFileSync(openssl, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      const detail = e instanceof Error ? e.message : String(e);
      throw new Error(`the ARM test server needs the openssl CLI to make its TLS certificates; "${openssl} ${args[0]}" failed: ${detail}`);
    }
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  run(['req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '7', '-subj', '/CN=Sluice ARM test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  run(['req', ...ec, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=127.0.0.1']);
  const names = ['IP:127.0.0.1', 'IP:::1', 'DNS:localhost', ...(options.extraDnsNames ?? []).map((n) => `DNS:${n}`)];
  writeFileSync(
    file('server.ext'),
    [`subjectAltName=${names.join(',')}`, 'basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth', ''].join('\n'),
  );
  run(['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial',
    '-out', file('server.pem'), '-days', '7', '-extfile', file('server.ext')]);
  return {
    dir,
    caPath: file('ca.pem'),
    caPem: readFileSync(file('ca.pem'), 'utf8'),
    certPem: readFileSync(file('server.pem'), 'utf8'),
    keyPem: readFileSync(file('server.key'), 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
