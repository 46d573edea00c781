// Faults injected at the AWS SDK boundary of a real client: a middleware inside the SDK's retry loop that fails
// chosen calls before they reach DynamoDB Local, as DynamoDB itself would answer them.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** What the fault sees of a call: the command's name (`PutItemCommand`…) and its input. */
export interface Call {
  command: string;
  input: Record<string, unknown>;
}

export interface Injected {
  /** Calls the fault failed, in order. */
  readonly failed: Call[];
  /** Every call that went through the middleware (attempts included). */
  readonly calls: Call[];
  remove(): void;
}

/** An error shaped as the SDK deserializes DynamoDB's: its name is the exception's, so the SDK classifies it the same way. */
export function serviceError(name: string, message: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode } });
}

let counter = 0;

/**
 * Adds a middleware to `client` that asks `fault` about every attempt (retries included) and throws what it returns.
 * It sits in the deserialize step, inside the retry middleware: a throttling error is retried with the SDK's backoff
 * like a real one; anything else fails the call as DynamoDB would.
 */
export function injectFault(client: DynamoDBClient, fault: (call: Call) => Error | undefined): Injected {
  const failed: Call[] = [];
  const calls: Call[] = [];
  const name = `portquorum-fault-${process.pid}-${(counter += 1)}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const call: Call = { command: String(context.commandName ?? ''), input: args.input as Record<string, unknown> };
      calls.push(call);
      const error = fault(call);
      if (error) {
        failed.push(call);
        throw error;
      }
      return next(args);
    },
    { step: 'deserialize', name, priority: 'high' },
  );
  return { failed, calls, remove: () => void client.middlewareStack.remove(name) };
}

/**
 * The state item a call writes whole: a PutItem's, or the first Put of a TransactWriteItems (a state written with its
 * history events).
 */
export function stateItem(call: Call): Record<string, { S?: string; M?: Record<string, { S?: string }> }> | undefined {
  const transact = call.input.TransactItems as { Put?: { Item?: unknown } }[] | undefined;
  const item = (call.command === 'TransactWriteItemsCommand' ? transact?.[0]?.Put?.Item : call.command === 'PutItemCommand' ? call.input.Item : undefined) as
    Record<string, { S?: string; M?: Record<string, { S?: string }> }> | undefined;
  return isStatePk(item?.pk?.S) ? item : undefined;
}

/** The fleet's and incident book's partition ('state'), or a monitor state shard's (`state#<k>`). */
function isStatePk(pk: string | undefined): boolean {
  return pk === 'state' || pk?.startsWith('state#') === true;
}

/** The sort key a state-item call touches (`monitor#<id>`, `fleet`), if it names one. */
export function stateKey(call: Call): string | undefined {
  const key = (call.input.Key ?? stateItem(call)) as Record<string, { S?: string }> | undefined;
  return isStatePk(key?.pk?.S) ? key?.sk?.S : undefined;
}
