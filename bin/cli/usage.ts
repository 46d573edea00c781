// Usage errors (exit 2) and the shared argument parser settings for every command.
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Bad command-line usage: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const EXIT = { up: 0, down: 1, usage: 2 } as const;

/** parseArgs with strict checking, turning its errors into UsageError with the command named. */
export function parse<T extends NonNullable<ParseArgsConfig['options']>>(command: string, args: string[], options: T, allowPositionals = true) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (error) {
    throw new UsageError(`${command}: ${(error as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, '')}`);
  }
}

/** Parses a whole number flag, naming the flag when it is not one. */
export function intFlag(command: string, flag: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${command}: --${flag} '${value}' must be a whole number from ${min} to ${max}`);
  }
  return n;
}
