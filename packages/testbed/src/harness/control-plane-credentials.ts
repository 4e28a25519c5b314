import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Files the API server and controller manager are pointed at. */
export interface ControlPlaneCredentials {
  /** Bearer token of `admin`, a member of `system:masters`. */
  adminToken: string;
  /** `--token-auth-file` CSV. */
  tokenFile: string;
  /** RSA public key that verifies service-account tokens. */
  serviceAccountPublicKeyFile: string;
  /** RSA private key that signs service-account tokens. */
  serviceAccountPrivateKeyFile: string;
}

/**
 * Generates a fresh admin token and service-account signing key pair in `dir`. Nothing is
 * reused between runs, so a leaked temp dir holds no credential to anything still running.
 */
export async function writeControlPlaneCredentials(dir: string): Promise<ControlPlaneCredentials> {
  const adminToken = randomBytes(24).toString('hex');
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const credentials: ControlPlaneCredentials = {
    adminToken,
    tokenFile: join(dir, 'tokens.csv'),
    serviceAccountPublicKeyFile: join(dir, 'sa.pub'),
    serviceAccountPrivateKeyFile: join(dir, 'sa.key'),
  };
  // token,user,uid,"group1,group2"
  await writeFile(credentials.tokenFile, `${adminToken},admin,admin-uid,"system:masters"\n`, { mode: 0o600 });
  await writeFile(credentials.serviceAccountPublicKeyFile, publicKey);
  await writeFile(credentials.serviceAccountPrivateKeyFile, privateKey, { mode: 0o600 });
  return credentials;
}
