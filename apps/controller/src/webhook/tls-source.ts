/**
 * Where the webhook's serving certificate comes from: PEM files someone provides (reloaded
 * when they change, as a mounted Secret does on rotation), or a self-signed authority this
 * process generates with a serving certificate it renews before expiry.
 */

import type { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { errorMessage, TerminalError } from '@sluice/core';
import { createCertificateAuthority, type IssuedCertificate, issueServingCertificate } from './certificates.ts';

/** A serving certificate chain and its key, PEM. */
export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
}

export interface TlsSource {
  /** The first material; throws a {@link TerminalError} naming the file or option at fault. */
  load(): Promise<TlsMaterial>;
  /** New material when it changed since the last load or refresh, else undefined. Never throws. */
  refresh(): Promise<TlsMaterial | undefined>;
  /** The authority clients must trust, when this source generated it. */
  readonly authority: X509Certificate | undefined;
}

function checkPair(material: TlsMaterial): void {
  // Throws for unreadable PEM and for a key that does not match the certificate.
  createSecureContext({ cert: material.cert, key: material.key });
}

export interface FileTlsSourceOptions {
  readonly certFile: string;
  readonly keyFile: string;
  /** Where problems go during refresh. */
  readonly onRefreshError?: (message: string) => void;
}

/** Provided certificate and key files. */
export class FileTlsSource implements TlsSource {
  readonly #o: FileTlsSourceOptions;
  #last: TlsMaterial | undefined;
  #lastError: string | undefined;
  readonly authority = undefined;

  constructor(options: FileTlsSourceOptions) {
    this.#o = options;
  }

  async #read(): Promise<TlsMaterial> {
    const read = async (field: string, path: string) => {
      try {
        return await readFile(path, 'utf8');
      } catch (error) {
        throw new TerminalError(`webhook ${field} file "${path}" cannot be read: ${errorMessage(error)}.`, { cause: error, field });
      }
    };
    const material = { cert: await read('certificate', this.#o.certFile), key: await read('key', this.#o.keyFile) };
    try {
      checkPair(material);
    } catch (error) {
      throw new TerminalError(
        `webhook certificate "${this.#o.certFile}" and key "${this.#o.keyFile}" are not a usable pair (${errorMessage(error)}): allowed are a PEM certificate and its PEM private key.`,
        { cause: error, field: 'certificate' },
      );
    }
    return material;
  }

  async load(): Promise<TlsMaterial> {
    this.#last = await this.#read();
    return this.#last;
  }

  async refresh(): Promise<TlsMaterial | undefined> {
    let material: TlsMaterial;
    try {
      material = await this.#read();
    } catch (error) {
      // Mid-rotation the two files may briefly disagree: keep serving the last good pair.
      const message = errorMessage(error);
      if (message !== this.#lastError) this.#o.onRefreshError?.(`${message} Keeping the previous certificate.`);
      this.#lastError = message;
      return undefined;
    }
    this.#lastError = undefined;
    if (this.#last && material.cert === this.#last.cert && material.key === this.#last.key) return undefined;
    this.#last = material;
    return material;
  }
}

export interface GeneratedTlsSourceOptions {
  /** DNS names of the serving certificate. */
  readonly dnsNames: readonly string[];
  /** IP addresses of the serving certificate. @default [] */
  readonly ipAddresses?: readonly string[];
  /** Clock milliseconds. */
  readonly now: () => number;
  /** @default 1 year */
  readonly servingValidityMs?: number;
}

/** A generated authority and the serving certificate it signs; renewed after 2/3 of its life. */
export class GeneratedTlsSource implements TlsSource {
  readonly #o: GeneratedTlsSourceOptions;
  #ca: IssuedCertificate | undefined;
  #serving: IssuedCertificate | undefined;

  constructor(options: GeneratedTlsSourceOptions) {
    this.#o = options;
  }

  get authority(): X509Certificate | undefined {
    return this.#ca?.certificate;
  }

  /** The current serving certificate, once loaded. */
  get serving(): IssuedCertificate | undefined {
    return this.#serving;
  }

  #issue(): TlsMaterial {
    const ca = (this.#ca ??= createCertificateAuthority({ now: this.#o.now() }));
    this.#serving = issueServingCertificate(ca, {
      now: this.#o.now(),
      dnsNames: this.#o.dnsNames,
      ipAddresses: this.#o.ipAddresses ?? [],
      ...(this.#o.servingValidityMs ? { validityMs: this.#o.servingValidityMs } : {}),
    });
    // The chain: the API server trusts the authority through the caBundle.
    return { cert: this.#serving.certPem, key: this.#serving.keyPem };
  }

  async load(): Promise<TlsMaterial> {
    try {
      return this.#issue();
    } catch (error) {
      throw new TerminalError(`webhook certificate for ${[...this.#o.dnsNames, ...(this.#o.ipAddresses ?? [])].join(', ')} cannot be generated: ${errorMessage(error)}`, {
        cause: error,
        field: 'dnsNames',
      });
    }
  }

  async refresh(): Promise<TlsMaterial | undefined> {
    const s = this.#serving;
    if (!s) return undefined;
    const renewAt = s.notBefore + ((s.notAfter - s.notBefore) * 2) / 3;
    return this.#o.now() >= renewAt ? this.#issue() : undefined;
  }
}
