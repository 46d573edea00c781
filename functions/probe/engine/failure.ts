// The internal error an attempt throws when a target fails; it becomes a ProbeDown, never escapes the engine.
import type { ErrorClass, Phase } from '../../shared/domain';
import { classifyError } from './classify';

export class ProbeFailure extends Error {
  override readonly name = 'ProbeFailure';
  constructor(
    readonly errorClass: ErrorClass,
    readonly phase: Phase,
    readonly code: string,
    message: string,
    readonly received?: string,
    readonly httpStatus?: number,
  ) {
    super(message);
  }
}

/** Wraps whatever a socket, resolver or TLS layer threw into a classified ProbeFailure. */
export function toFailure(error: unknown, phase: Phase, where: string): ProbeFailure {
  if (error instanceof ProbeFailure) return error;
  const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : 'UNKNOWN';
  const errorClass = classifyError(code, phase);
  const detail = error instanceof Error ? error.message : String(error);
  return new ProbeFailure(errorClass, phase, code, describe(errorClass, phase, where, detail));
}

function describe(errorClass: ErrorClass, phase: Phase, where: string, detail: string): string {
  switch (errorClass) {
    case 'refused': return `${where} refused the connection (nothing listens on the port, or a firewall rejects it)`;
    case 'unreachable': return `${where} is unreachable (${detail}; check routes, security groups and NACLs)`;
    case 'dns': return `${where} did not resolve (${detail})`;
    case 'reset': return `${where} reset the connection during ${phase} (${detail})`;
    case 'tls': return `TLS handshake with ${where} failed (${detail})`;
    case 'timeout': return `${where}: no answer during ${phase} (${detail})`;
    default: return `${where}: ${detail}`;
  }
}

export function timeoutFailure(phase: Phase, where: string, ms: number, code = 'ETIMEDOUT', received?: string): ProbeFailure {
  const what: Record<Phase, string> = {
    dns: 'resolving the name',
    connect: 'connecting (a firewall may be dropping packets)',
    tls: 'the TLS handshake',
    send: 'sending',
    expect: 'waiting for the expected reply',
  };
  return new ProbeFailure('timeout', phase, code, `${where}: no answer within ${ms} ms while ${what[phase]}`, received);
}
