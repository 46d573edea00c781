// One portquorum Lambda function: its bundle with fleet.json beside index.mjs as the code asset, its own role and log group.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssetHashType, Aws, Duration, RemovalPolicy, Stage } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { homeFleet, type FleetConfig } from '../functions/shared/domain';
import { ENV, METRICS_NAMESPACE, SERVICES, type FunctionKind } from '../functions/shared/deployment';
import { functionBundle } from './bundling';

export { PROJECT_ROOT } from './bundling';

/** Where this app writes its portquorum files: the cloud assembly of the stage that contains `scope`. */
function assemblyDir(scope: Construct): string {
  return Stage.of(scope)?.outdir ?? mkdtempSync(join(tmpdir(), 'portquorum-'));
}

/** The fleet files of an app: the probe's (every field) and the home functions' (without the probe-only fields). */
export interface FleetFiles {
  /** Path of the probe's fleet.json: every monitor field, `send` included. */
  readonly probe: string;
  /** Path of the aggregator's and the sweeper's fleet.json (`homeFleet()`): no `send`, nothing of how to probe. */
  readonly home: string;
}

/**
 * Writes the resolved fleet once per app (content-addressed, in the cloud assembly): the probe's file, and the home
 * functions' without the probe-only fields, so what a monitor sends (it may hold a password) is only in the probe's
 * code asset. Each function's code asset carries its kind's copy as `fleet.json` next to `index.mjs`. A file, not an
 * environment variable or a resource per monitor, so the template does not grow with the monitor count (and the asset
 * hash changes with the monitors).
 */
export function writeFleetFile(scope: Construct, config: FleetConfig): FleetFiles {
  const dir = join(assemblyDir(scope), 'portquorum');
  mkdirSync(dir, { recursive: true });
  const write = (name: string, value: unknown): string => {
    const json = JSON.stringify(value);
    const hash = createHash('sha256').update(json).digest('hex').slice(0, 16);
    const path = join(dir, `${name}-${hash}.json`);
    writeFileSync(path, json);
    return path;
  };
  return { probe: write('fleet', config), home: write('fleet-home', homeFleet(config)) };
}

/** Which fleet file a function's code asset carries. */
function fleetFileOf(kind: FunctionKind, files: FleetFiles): string {
  return kind === 'probe' ? files.probe : files.home;
}

/**
 * Writes a function's code asset — its bundle (index.mjs and source map) and its kind's fleet file as fleet.json —
 * into a directory of `outdir` named by the content's hash, and returns the directory and the hash. Functions with the
 * same bundle and fleet share one directory (and so one asset).
 */
export function writeFunctionCode(outdir: string, kind: FunctionKind, fleetFiles: FleetFiles): { dir: string; hash: string } {
  const files = [...functionBundle(kind).files, { name: 'fleet.json', contents: readFileSync(fleetFileOf(kind, fleetFiles)) }];
  const digest = createHash('sha256');
  for (const file of files) digest.update(`${file.name}\0${file.contents.length}\0`).update(file.contents);
  const hash = digest.digest('hex');
  const dir = join(outdir, 'portquorum-functions', `${kind}-${hash.slice(0, 16)}`);
  if (!existsSync(join(dir, 'fleet.json'))) {
    mkdirSync(dir, { recursive: true });
    // fleet.json last: its presence says the directory is complete.
    for (const file of files) writeFileSync(join(dir, file.name), file.contents);
  }
  return { dir, hash };
}

export interface FleetFunctionProps {
  /** Which handler. */
  readonly kind: FunctionKind;
  /**
   * Fixed function name.
   * @default a name CloudFormation generates
   */
  readonly functionName?: string;
  /** What the function is, for the console. */
  readonly description: string;
  /** The app's fleet files (from writeFleetFile); the function's code asset carries its kind's. */
  readonly fleetFiles: FleetFiles;
  /** Lambda runtime (Node.js 22 or later). */
  readonly runtime: lambda.Runtime;
  /** Memory in MB. */
  readonly memorySize: number;
  /** Time limit of one invocation. */
  readonly timeout: Duration;
  /** The function's environment besides Powertools' variables (ENV names). */
  readonly environment: Record<string, string>;
  /** How long the function's logs are kept. */
  readonly logRetention: logs.RetentionDays;
  /**
   * VPC placement, for probe groups.
   * @default none: outside any VPC
   */
  readonly vpc?: { vpc: ec2.IVpc; subnets: ec2.SubnetSelection; securityGroups: ec2.ISecurityGroup[] };
  /**
   * Concurrent executions reserved for (and the most allowed to) the function.
   * @default none reserved: the account's unreserved pool
   */
  readonly reservedConcurrentExecutions?: number;
}

/** A bundled function with a dedicated role that can write only to its own log group (callers add the rest). */
export class FleetFunction extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: FleetFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      // Logs of a monitoring fleet are operational, not records: they go with the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // A role of our own instead of AWSLambdaBasicExecutionRole: log writes scoped to this function's log group.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `portquorum ${props.kind} function`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    if (props.vpc) addVpcAccess(this.role, props.vpc);

    const code = writeFunctionCode(assemblyDir(this), props.kind, props.fleetFiles);
    this.function = new lambda.Function(this, 'Function', {
      // A finished directory (prebuilt bundle in the package, bundled from source once per process in a checkout).
      code: lambda.Code.fromAsset(code.dir, { assetHash: code.hash, assetHashType: AssetHashType.CUSTOM }),
      handler: 'index.handler',
      ...(props.functionName !== undefined ? { functionName: props.functionName } : {}),
      description: props.description,
      runtime: props.runtime,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      ...(props.reservedConcurrentExecutions !== undefined ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions } : {}),
      environment: {
        ...props.environment,
        [ENV.powertoolsServiceName]: SERVICES[props.kind],
        [ENV.powertoolsMetricsNamespace]: METRICS_NAMESPACE,
        NODE_OPTIONS: '--enable-source-maps',
      },
      ...(props.vpc
        ? { vpc: props.vpc.vpc, vpcSubnets: props.vpc.subnets, securityGroups: props.vpc.securityGroups }
        : {}),
    });
  }
}

/**
 * ENI management for functions in a VPC, instead of AWSLambdaVPCAccessExecutionRole's `*`: interfaces are created only
 * in the function's own subnets with its own security groups, and created, deleted or re-addressed only when they sit
 * in those subnets (the `ec2:Subnet` condition; an interface's id is not known before Lambda creates it).
 */
function addVpcAccess(role: iam.Role, vpc: NonNullable<FleetFunctionProps['vpc']>): void {
  const ec2Arn = (resource: string) => `arn:${Aws.PARTITION}:ec2:${Aws.REGION}:${Aws.ACCOUNT_ID}:${resource}`;
  const subnetArns = vpc.vpc.selectSubnets(vpc.subnets).subnetIds.map((id) => ec2Arn(`subnet/${id}`));
  const inOwnSubnets = { ArnEquals: { 'ec2:Subnet': subnetArns } };
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'DescribeNetwork',
      actions: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'],
      // EC2 Describe actions support no resource-level permissions and no condition that names a VPC or subnet.
      resources: ['*'],
    }),
  );
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'CreateProbeNetworkInterfacesInOwnSubnets',
      actions: ['ec2:CreateNetworkInterface'],
      resources: [...subnetArns, ...vpc.securityGroups.map((sg) => ec2Arn(`security-group/${sg.securityGroupId}`))],
    }),
  );
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ManageProbeNetworkInterfaces',
      actions: ['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
      resources: [ec2Arn('network-interface/*')],
      conditions: inOwnSubnets,
    }),
  );
}
