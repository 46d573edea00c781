// Helpers for the local fleet's tests: what a plain connect to a loopback port finds.
import { connect } from 'node:net';

/** Whether a plain connect completes within ms: 'open', 'refused', or 'silent' (no answer at all). */
export function connectOutcome(port: number, ms = 2000): Promise<'open' | 'refused' | 'silent'> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => finish('silent'), ms);
    const finish = (outcome: 'open' | 'refused' | 'silent') => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    socket.once('connect', () => finish('open'));
    socket.once('error', (error: NodeJS.ErrnoException) => finish(error.code === 'ECONNREFUSED' ? 'refused' : 'silent'));
  });
}
