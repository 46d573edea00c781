// The value one probe of one monitor yields: up with timings and what was learned, or down with a class.
import type { ErrorClass, Phase } from './constants';

/** Milliseconds spent in each phase; a phase that did not happen is absent. */
export interface PhaseTimings {
  dnsMs?: number;
  connectMs?: number;
  tlsMs?: number;
  /** From connect (or TLS handshake) to the first byte received. */
  firstByteMs?: number;
  totalMs: number;
}

/** What the TLS handshake showed, whether or not verification passed. */
export interface TlsInfo {
  /** e.g. `TLSv1.3`. */
  protocol: string;
  cipher?: string;
  subject: string;
  issuer: string;
  sans: string[];
  /** ISO 8601. */
  notAfter: string;
  /** Whole days until notAfter (negative once expired). */
  daysLeft: number;
  /** True when the chain and host name verified. */
  authorized: boolean;
  authorizationError?: string;
  /** The certificate's SHA-256 fingerprint, its first 8 bytes as 16 hex digits (enough to tell two certificates apart). */
  fingerprint?: string;
}

/** One address's result when a monitor probes every resolved address (`allAddresses`). */
export interface AddressOutcome {
  address: string;
  ok: boolean;
  errorClass?: ErrorClass;
  connectMs?: number;
}

interface OutcomeCommon {
  /** The address the deciding attempt connected (or tried to connect) to. */
  address?: string;
  timings: PhaseTimings;
  /** How many attempts were made in this round (1 = no retry needed). */
  attempts: number;
  tls?: TlsInfo;
  /** For allAddresses monitors: every address's result. */
  addresses?: AddressOutcome[];
  /** Every address the host name resolved to here, sorted (absent for IP literals and when resolution failed). */
  resolved?: string[];
}

export interface ProbeUp extends OutcomeCommon {
  ok: true;
  /** A TCP connection was established (false only for expectClosed monitors, where closed is healthy). */
  portOpen: boolean;
  /** First line(s) the server sent, truncated and printable. */
  banner?: string;
  /** Server software/version where the protocol tells (SSH banner, MySQL handshake, HTTP Server header). */
  serverVersion?: string;
  /** HTTP status code for the http preset. */
  httpStatus?: number;
}

export interface ProbeDown extends OutcomeCommon {
  ok: false;
  errorClass: ErrorClass;
  phase: Phase;
  /** The raw error code (ECONNREFUSED, ETIMEDOUT, CERT_HAS_EXPIRED, UNEXPECTED_REPLY …). */
  code: string;
  /** Short human message. */
  message: string;
  /** What the server sent, when it answered wrongly (truncated, printable). */
  received?: string;
  /** True when the TCP connection was established: an open port with a failing service is down, never healthy. */
  portOpen: boolean;
  httpStatus?: number;
}

export type ProbeOutcome = ProbeUp | ProbeDown;
