/**
 * Access tokens the test identity endpoint issues and ARM accepts: JWTs signed with HS256
 * under a key that lives only in this process, so ARM can tell its own tokens from any
 * other bearer string. Claims follow Entra's v1 access tokens for ARM (aud, iss, tid, appid,
 * oid, iat/nbf/exp).
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/** Audiences ARM accepts for its own tokens. */
export const ARM_AUDIENCES: readonly string[] = ['https://management.azure.com/', 'https://management.azure.com', 'https://management.core.windows.net/'];

export interface TokenClaims {
  readonly aud: string;
  readonly iss: string;
  readonly tid: string;
  readonly appid: string;
  readonly oid: string;
  readonly sub: string;
  readonly iat: number;
  readonly nbf: number;
  readonly exp: number;
  readonly ver: '1.0';
}

export type TokenCheck = { readonly ok: true; readonly claims: TokenClaims } | { readonly ok: false; readonly code: string; readonly reason: string };

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export interface TokenSigner {
  sign(claims: Omit<TokenClaims, 'iat' | 'nbf' | 'exp' | 'ver' | 'oid' | 'sub'>, lifetimeSeconds: number): { token: string; claims: TokenClaims };
  /** Verifies signature, lifetime and audience against ARM. */
  verify(token: string): TokenCheck;
}

/** A signer with a fresh random key; `now` returns milliseconds. */
export function createTokenSigner(now: () => number): TokenSigner {
  const key = randomBytes(32);
  const mac = (input: string) => createHmac('sha256', key).update(input).digest();
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'sluice-arm-test' }));
  return {
    sign(base, lifetimeSeconds) {
      const iat = Math.floor(now() / 1000);
      const oid = randomUUID();
      const claims: TokenClaims = { ...base, oid, sub: oid, iat, nbf: iat - 300, exp: iat + lifetimeSeconds, ver: '1.0' };
      const body = `${header}.${b64url(JSON.stringify(claims))}`;
      return { token: `${body}.${b64url(mac(body))}`, claims };
    },
    verify(token) {
      const parts = token.split('.');
      if (parts.length !== 3) return { ok: false, code: 'InvalidAuthenticationToken', reason: 'The access token is invalid.' };
      const [h, p, s] = parts as [string, string, string];
      const expected = mac(`${h}.${p}`);
      const given = Buffer.from(s, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return { ok: false, code: 'InvalidAuthenticationToken', reason: 'The access token is invalid: its signature was not issued by this identity endpoint.' };
      }
      let claims: TokenClaims;
      try {
        claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as TokenClaims;
      } catch {
        return { ok: false, code: 'InvalidAuthenticationToken', reason: 'The access token is invalid.' };
      }
      const t = Math.floor(now() / 1000);
      if (t >= claims.exp) {
        return { ok: false, code: 'ExpiredAuthenticationToken', reason: `The access token expiry UTC time '${new Date(claims.exp * 1000).toUTCString()}' is earlier than current UTC time '${new Date(t * 1000).toUTCString()}'.` };
      }
      if (!ARM_AUDIENCES.includes(claims.aud)) {
        return { ok: false, code: 'InvalidAuthenticationTokenAudience', reason: `The access token has been obtained for wrong audience or resource '${claims.aud}'. It should exactly match with one of the allowed audiences '${ARM_AUDIENCES.join("','")}'.` };
      }
      return { ok: true, claims };
    },
  };
}
