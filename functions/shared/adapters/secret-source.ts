// Reads the secret behind a send reference: an SSM Parameter Store parameter (SecureString, decrypted) or a Secrets
// Manager secret. Each SDK client is imported only when a monitor has such a reference: the Lambda runtime ships the
// SDK (bundles leave it external), and fleets without references never load it.
import type { SecretReference } from '../domain';

/** Reads a reference's bytes; `probeRegion` is where a parameter given by name is read. Throws what AWS answered. */
export type SecretSource = (reference: SecretReference, probeRegion: string) => Promise<Uint8Array>;

export interface SecretSourceOptions {
  /** An endpoint for both services (tests: a loopback server speaking their JSON protocol). @default AWS's */
  endpoint?: string;
  /** @default the function's role (the SDK's default chain) */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** A request that hangs must not eat the round: a short timeout and one retry. */
const CLIENT_LIMITS = { maxAttempts: 2, requestHandler: { connectionTimeout: 2000, requestTimeout: 3000 } } as const;

/** The region an ARN names, else `fallback`. */
function regionOf(nameOrArn: string, fallback: string): string {
  return nameOrArn.startsWith('arn:') ? nameOrArn.split(':')[3]! : fallback;
}

export function awsSecretSource(options: SecretSourceOptions = {}): SecretSource {
  const config = (region: string) => ({ region, ...CLIENT_LIMITS, ...(options.endpoint ? { endpoint: options.endpoint } : {}), ...(options.credentials ? { credentials: options.credentials } : {}) });
  return async (reference, probeRegion) => {
    if ('ssmParameter' in reference) {
      const { SSMClient, GetParameterCommand } = await import('@aws-sdk/client-ssm');
      const client = new SSMClient(config(regionOf(reference.ssmParameter, probeRegion)));
      try {
        const out = await client.send(new GetParameterCommand({ Name: reference.ssmParameter, WithDecryption: true }));
        return decode(out.Parameter?.Value, reference);
      } finally {
        client.destroy();
      }
    }
    const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
    const client = new SecretsManagerClient(config(regionOf(reference.secretArn, probeRegion)));
    try {
      const out = await client.send(new GetSecretValueCommand({ SecretId: reference.secretArn }));
      return out.SecretBinary !== undefined ? out.SecretBinary : decode(out.SecretString, reference);
    } finally {
      client.destroy();
    }
  };
}

/** The stored text as the bytes to send: UTF-8, or hex pairs with `encoding: 'hex'`. */
function decode(value: string | undefined, reference: SecretReference): Uint8Array {
  if (value === undefined || value === '') throw Object.assign(new Error('the stored value is empty'), { name: 'EmptySecret' });
  if (reference.encoding === 'hex') {
    const hex = value.trim();
    if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex)) throw Object.assign(new Error("the stored value is not hex bytes (encoding: 'hex' wants pairs of 0-9a-f)"), { name: 'NotHex' });
    return Buffer.from(hex, 'hex');
  }
  return Buffer.from(value, 'utf8');
}
