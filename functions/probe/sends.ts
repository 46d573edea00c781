// Sends given as secret references, resolved by the probe at cold start and kept for the container's life: a monitor
// whose secret cannot be read is reported down with class `config` (naming the monitor and the reference) while the
// others are probed; a failed read is tried again at the next invocation.
import { describeReference, isSecretReference, type ResolvedMonitor, type SecretReference } from '../shared/domain';
import type { SecretSource } from '../shared/adapters/secret-source';

interface SendFailure {
  /** What AWS answered (ParameterNotFound, AccessDeniedException …), for the evidence's code. */
  code: string;
  message: string;
}

export interface ResolvedSends {
  /** Monitors whose send was a reference, with the bytes read in its place (`{ hex }`), by id. */
  ready: ReadonlyMap<string, ResolvedMonitor>;
  /** Monitors whose secret could not be read, by id. */
  failed: ReadonlyMap<string, SendFailure>;
}

export class SendResolver {
  private readonly ready = new Map<string, ResolvedMonitor>();
  private readonly pending: ResolvedMonitor[];

  constructor(monitors: readonly ResolvedMonitor[], private readonly source: SecretSource, private readonly region: string) {
    this.pending = monitors.filter((m) => isSecretReference(m.send));
  }

  /** Reads every reference not read yet (all at once); what was read stays read. */
  async resolve(): Promise<ResolvedSends> {
    const failed = new Map<string, SendFailure>();
    const todo = this.pending.filter((m) => !this.ready.has(m.id));
    await Promise.all(todo.map(async (monitor) => {
      const reference = monitor.send as SecretReference;
      try {
        const bytes = await this.source(reference, this.region);
        this.ready.set(monitor.id, { ...monitor, send: { hex: Buffer.from(bytes).toString('hex') } });
      } catch (error) {
        const code = error instanceof Error && error.name !== 'Error' ? error.name : 'SECRET_NOT_READ';
        const why = error instanceof Error ? error.message : String(error);
        failed.set(monitor.id, {
          code,
          message: `Monitor '${monitor.id}': send: ${describeReference(reference)} could not be read in ${this.region}: ${code}: ${why} `
            + `(${fixFor(reference, code)})`,
        });
      }
    }));
    return { ready: this.ready, failed };
  }
}

function fixFor(reference: SecretReference, code: string): string {
  if (/AccessDenied|KMS|Kms/.test(code)) return 'the probe role may read only the references declared; redeploy after changing one, and name a customer managed key in kmsKeyArn';
  if ('ssmParameter' in reference) {
    return reference.ssmParameter.startsWith('arn:')
      ? 'create the parameter as a SecureString where the ARN says, or fix the ARN'
      : 'create it as a SecureString in every region that probes this monitor, or give its ARN';
  }
  return 'create the secret, or fix the ARN (its region and account too)';
}
