// Shared set-up of the CDK tests: apps with cdk.json's context, asset bundling skipped unless asked, cdk-nag attached.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PROJECT_ROOT } from '../../lib/function';

/** cdk.json's context, as `cdk synth` passes it to the app (tests must load it themselves). */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}

export interface TestAppOptions {
  /**
   * Asset bundling for the stacks (the CDK's switch); by default skipped. portquorum's functions are not bundled by the
   * CDK: their bundles are built once per process from source (lib/bundling.ts), so their assets are real either way.
   */
  bundling?: 'skip' | 'bundle';
  /** Attach cdk-nag's AwsSolutionsChecks (findings make app.synth() throw). */
  nag?: 'off' | 'aws-solutions';
  /** Extra context (e.g. availability zones for a VPC fixture). */
  context?: Record<string, unknown>;
}

/**
 * The environment of a `cdk synth` child that must stay offline and quiet: no version check, no credential source
 * that could reach the network (instance metadata, SSO, profiles), no npm update check, nothing else inherited.
 */
export function offlineCdkEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? tmpdir(),
    CDK_DISABLE_VERSION_CHECK: '1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    npm_config_update_notifier: 'false',
  };
}

/** A fresh App in its own temporary cloud assembly directory. */
export function testApp(options: TestAppOptions = {}): App {
  const app = new App({
    outdir: mkdtempSync(join(tmpdir(), 'pq-cdk-')),
    context: {
      ...cdkJsonContext(),
      // The standard switch for skipping asset bundling: no stack is listed as needing it.
      ...(options.bundling === 'bundle' ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...options.context,
    },
  });
  if (options.nag === 'aws-solutions') Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

/** Every handler the stacks bundle, and whether it exists yet. */
export function missingHandlers(): string[] {
  return ['probe', 'aggregate', 'sweeper']
    .map((kind) => join(PROJECT_ROOT, 'functions', kind, 'handler.ts'))
    .filter((path) => {
      try {
        readFileSync(path);
        return false;
      } catch {
        return true;
      }
    });
}

/** Removes an app's temporary cloud assembly. */
export function removeApp(app: App): void {
  rmSync(app.outdir, { recursive: true, force: true });
}
