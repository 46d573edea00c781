// Which table a command reads or writes, as `status` always chose it: the running local fleet's (its state file), a
// DynamoDB endpoint, or a deployed fleet's home region with the user's AWS credentials; and how its failures are told.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { resolve } from 'node:path';
import { DEFAULT_TABLE_NAME, type FleetConfig } from '../../functions/shared/domain';
import { loadFleetConfig } from '../../functions/shared/adapters/fleet-config';
import { TableStore } from '../../functions/shared/adapters/store';
import { defaultStatePath, findRunningFleet, type LocalFleetState } from '../local/state-file';
import { localClient } from '../local/dynamodb-local';
import { loadFleetSpec } from './declarations';
import { EXIT, UsageError } from './usage';

/** The options every table command takes (parseArgs form). */
export const TABLE_OPTIONS = {
  state: { type: 'string' },
  endpoint: { type: 'string' },
  region: { type: 'string' },
  table: { type: 'string' },
  config: { type: 'string' },
} as const;

/** The `Which table:` part of a table command's --help. */
export const TABLE_HELP = `Which table:
  (default)          the running local fleet ('portquorum local'), found through its state file
  --state FILE       the local fleet recorded in FILE (default ~/.portquorum/local.json)
  --endpoint URL     a DynamoDB endpoint, e.g. DynamoDB Local at http://127.0.0.1:8000
  --region REGION    a deployed fleet: the home region's table, with the default AWS credential
                     chain (environment, profile, SSO; an instance role only with
                     AWS_EC2_METADATA_DISABLED=false: the CLI never contacts the instance
                     metadata address unless asked)
  --table NAME       the table name (the stack output 'TableName'; default portquorum)
  --config FILE      the declarations (default: the local fleet's own, else bin/monitors.ts, the
                     CDK app's monitors)`;

export interface TableValues {
  state?: string | undefined;
  endpoint?: string | undefined;
  region?: string | undefined;
  table?: string | undefined;
  config?: string | undefined;
}

export interface OpenedTable {
  client: DynamoDBClient;
  store: TableStore;
  tableName: string;
  fleet: FleetConfig;
  /** The running local fleet, when the table is its. */
  local?: LocalFleetState;
  /** The deployed fleet's home region (--region). */
  region?: string;
}

/** How to give the CLI credentials; the instance metadata service is off unless asked for (bin/portquorum.js). */
const NO_CREDENTIALS_HELP = 'give them as for the AWS CLI: AWS_PROFILE=NAME (after aws configure or aws sso login), or '
  + 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN); on an EC2 instance with a role, set '
  + 'AWS_EC2_METADATA_DISABLED=false to let the CLI ask the instance metadata service';

/**
 * Opens the table the options name. Bad combinations and a bad --config are usage errors (thrown); no running local
 * fleet is told on stderr and returned as exit 2 (the table cannot be read).
 */
export async function openTable(command: string, values: TableValues): Promise<OpenedTable | number> {
  if (values.endpoint && values.region) throw new UsageError(`${command}: give --endpoint or --region, not both`);
  if ((values.endpoint || values.region) && values.state) throw new UsageError(`${command}: --state reads the local fleet; it cannot be combined with --endpoint or --region`);
  let tableName = values.table ?? DEFAULT_TABLE_NAME;
  let fleet: FleetConfig | undefined;
  // A bad --config is a usage error (exit 2) whatever else the command would have found.
  if (values.config) fleet = (await loadFleetSpec(values.config)).config;
  let client: DynamoDBClient;
  let local: LocalFleetState | undefined;
  if (values.region) {
    client = new DynamoDBClient({ region: values.region });
  } else if (values.endpoint) {
    try {
      new URL(values.endpoint);
    } catch {
      throw new UsageError(`${command}: --endpoint '${values.endpoint}' is not a URL (e.g. http://127.0.0.1:8000)`);
    }
    client = localClient(values.endpoint);
  } else {
    const found = await findRunningFleet(resolve(values.state ?? defaultStatePath()));
    if ('error' in found) {
      process.stderr.write(`portquorum ${command}: ${found.error}; for a deployed fleet use --region REGION [--table NAME]\n`);
      return EXIT.unreadable;
    }
    local = found.state;
    client = localClient(local.endpoint, local.tableRegion);
    tableName = values.table ?? local.table;
    if (!values.config) fleet = loadFleetConfig(local.fleetFile);
  }
  try {
    fleet ??= (await loadFleetSpec(values.config)).config;
  } catch (error) {
    client.destroy();
    throw error;
  }
  return { client, store: new TableStore(client, tableName), tableName, fleet, ...(local ? { local } : {}), ...(values.region ? { region: values.region } : {}) };
}

/** The error and the errors it wraps (`cause`), outermost first. */
function causes(error: unknown): Error[] {
  const out: Error[] = [];
  for (let e = error; e instanceof Error && out.length < 10; e = e.cause) out.push(e);
  return out;
}

/** Tells why the table could not be read or written (missing credentials get their own advice); exit 2. */
export function tableFailed(command: string, opened: Pick<OpenedTable, 'tableName' | 'region'>, access: 'read' | 'write', error: unknown): number {
  if (causes(error).some((e) => e.name === 'CredentialsProviderError')) {
    process.stderr.write(`portquorum ${command}: no AWS credentials found to ${access} table ${opened.tableName} in ${opened.region}: ${NO_CREDENTIALS_HELP}\n`);
  } else {
    process.stderr.write(`portquorum ${command}: ${access === 'read' ? 'reading' : 'writing'} table ${opened.tableName} failed: ${(error as Error).message}\n`);
  }
  return EXIT.unreadable;
}
