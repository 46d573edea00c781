// The CDK app that cdk.json runs: deploys the fleet declared in bin/monitors.ts.
import { App } from 'aws-cdk-lib';
import { ConfigError } from '../functions/shared/domain';
import { ProbeFleet } from '../lib';
import { fleet } from './monitors';

const app = new App();
try {
  new ProbeFleet(app, 'Fleet', fleet);
} catch (error) {
  // A bad declaration is the user's to fix: print every problem plainly, without a stack trace.
  if (error instanceof ConfigError) {
    console.error(`portquorum: the monitor declarations in bin/monitors.ts are invalid.\n${error.message}`);
    process.exit(1);
  }
  throw error;
}
app.synth();
