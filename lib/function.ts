// One portquorum Lambda function: esbuild bundle (ESM, minified, source map) with fleet.json beside index.mjs, its own role and log group.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aws, Duration, RemovalPolicy, Stage } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FleetConfig } from '../functions/shared/domain';
import { ENV, METRICS_NAMESPACE, SERVICES, type FunctionKind } from '../functions/shared/deployment';

/** The repository root: the esbuild project root and where `functions/` lives. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Path of a function's handler entry. */
export function handlerEntry(kind: FunctionKind): string {
  return join(PROJECT_ROOT, 'functions', kind, 'handler.ts');
}

/**
 * esbuild settings shared by every function. The AWS SDK v3 is left out of the bundle: the Node.js 22 and 24
 * runtimes ship it, which keeps bundles small and cold starts short (the one trade: the runtime's SDK version).
 */
export const BUNDLE_TARGET = 'node22';
export const EXTERNAL_MODULES = ['@aws-sdk/*'];

/** The esbuild options of every function bundle, as a value so `npm run bench` bundles exactly what is deployed. */
export const BUNDLING_OPTIONS = {
  format: OutputFormat.ESM,
  target: BUNDLE_TARGET,
  minify: true,
  sourceMap: true,
  sourceMapMode: SourceMapMode.DEFAULT,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  externalModules: EXTERNAL_MODULES,
  // Some CommonJS dependencies call require(); give ESM output one.
  banner: "import{createRequire as __pqRequire}from'node:module';const require=__pqRequire(import.meta.url);",
} satisfies BundlingOptions;

/**
 * Writes the resolved fleet once per app (content-addressed, in the cloud assembly) and returns its path, which
 * the bundling hook copies to `fleet.json` next to `index.mjs`. A file, not an environment variable or a resource
 * per monitor, so the template does not grow with the monitor count (and the asset hash changes with the monitors).
 */
export function writeFleetFile(scope: Construct, config: FleetConfig): string {
  const json = JSON.stringify(config);
  const hash = createHash('sha256').update(json).digest('hex').slice(0, 16);
  const dir = join(Stage.of(scope)?.outdir ?? PROJECT_ROOT, 'portquorum');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `fleet-${hash}.json`);
  writeFileSync(path, json);
  return path;
}

export interface FleetFunctionProps {
  /** Which handler. */
  kind: FunctionKind;
  /** Fixed function name. @default a name CloudFormation generates */
  functionName?: string;
  /** What the function is, for the console. */
  description: string;
  /** Path of the resolved fleet file (from writeFleetFile). */
  fleetFile: string;
  runtime: lambda.Runtime;
  memorySize: number;
  timeout: Duration;
  environment: Record<string, string>;
  logRetention: logs.RetentionDays;
  /** VPC placement, for probe groups. */
  vpc?: { vpc: ec2.IVpc; subnets: ec2.SubnetSelection; securityGroups: ec2.ISecurityGroup[] };
}

/** A bundled function with a dedicated role that can write only to its own log group (callers add the rest). */
export class FleetFunction extends Construct {
  readonly function: NodejsFunction;
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

    const fleetFile = props.fleetFile;
    this.function = new NodejsFunction(this, 'Function', {
      entry: handlerEntry(props.kind),
      handler: 'handler',
      ...(props.functionName !== undefined ? { functionName: props.functionName } : {}),
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: props.runtime,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        ...props.environment,
        [ENV.powertoolsServiceName]: SERVICES[props.kind],
        [ENV.powertoolsMetricsNamespace]: METRICS_NAMESPACE,
        NODE_OPTIONS: '--enable-source-maps',
      },
      ...(props.vpc
        ? { vpc: props.vpc.vpc, vpcSubnets: props.vpc.subnets, securityGroups: props.vpc.securityGroups }
        : {}),
      bundling: {
        ...BUNDLING_OPTIONS,
        forceDockerBundling: false,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir: string, outputDir: string) => [`cp ${shellQuote(fleetFile)} ${shellQuote(join(outputDir, 'fleet.json'))}`],
        },
      },
    });
  }
}

/** ENI management for functions in a VPC, scoped to this account and region instead of AWSLambdaVPCAccessExecutionRole's `*`. */
function addVpcAccess(role: iam.Role, vpc: NonNullable<FleetFunctionProps['vpc']>): void {
  const ec2Arn = (resource: string) => `arn:${Aws.PARTITION}:ec2:${Aws.REGION}:${Aws.ACCOUNT_ID}:${resource}`;
  const subnetIds = vpc.vpc.selectSubnets(vpc.subnets).subnetIds;
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'DescribeNetwork',
      actions: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'],
      // EC2 Describe actions support no resource-level permissions.
      resources: ['*'],
    }),
  );
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'CreateProbeNetworkInterfaces',
      actions: ['ec2:CreateNetworkInterface'],
      resources: [
        ec2Arn('network-interface/*'),
        ...subnetIds.map((id) => ec2Arn(`subnet/${id}`)),
        ...vpc.securityGroups.map((sg) => ec2Arn(`security-group/${sg.securityGroupId}`)),
      ],
    }),
  );
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ManageProbeNetworkInterfaces',
      actions: ['ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
      resources: [ec2Arn('network-interface/*')],
    }),
  );
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
