// Usage errors (exit 2) and the shared argument parser settings for every command.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { suggest } from '../../functions/shared/domain/quote';

/** Bad command-line usage: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Exit statuses: 0 done (and for the query commands, every monitor UP); 1 only from a query command (status, history),
 * when a monitor is not UP; 2 bad usage, or a table that cannot be read or written (no local fleet running included).
 */
export const EXIT = { up: 0, down: 1, usage: 2, unreadable: 2 } as const;

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * parseArgs with strict checking, its errors rewritten for a person with the command named: an unknown flag gets a
 * "did you mean", a flag missing its value says so. A value that starts with '-' but is a number (`--retries -1`)
 * is taken as the flag's value, so the flag's own check says what is allowed.
 */
export function parse<T extends Options>(command: string, args: string[], options: T, allowPositionals = true) {
  const joined = joinNegativeValues(args, options);
  try {
    return parseArgs({ args: joined, options, strict: true, allowPositionals });
  } catch (error) {
    throw new UsageError(`${command}: ${explain(error as Error & { code?: string }, options)}`);
  }
}

function joinNegativeValues(args: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--') return [...out, ...args.slice(i)];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    const next = args[i + 1];
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i += 1;
    } else {
      out.push(arg);
    }
  }
  return out;
}

function explain(error: Error & { code?: string }, options: Options): string {
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const given = /'(-[^']*)'/.exec(error.message)?.[1] ?? '';
    const bare = given.split('=')[0]!;
    const hint = suggest(bare.replace(/^-+/, ''), Object.keys(options)).replace(/'([^']+)'/, "'--$1'");
    return `unknown option '${bare}'${hint}`;
  }
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flag = /'(--?[\w-]+)/.exec(error.message)?.[1];
    if (flag && options[flag.replace(/^-+/, '')]?.type === 'boolean') return `${flag} is a switch and takes no value`;
    if (flag) return `${flag} needs a value`;
  }
  if (error.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    return `unexpected argument ${/'([^']*)'/.exec(error.message)?.[0] ?? ''}`.trimEnd();
  }
  return error.message.replace(/^TypeError \[[A-Z_]+\]: /, '');
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
