// Reading the functions' environment with errors that say what to set.
import { ConfigError } from '../domain/errors';

export function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) {
    throw new ConfigError([{ monitor: 'fleet', field: name, message: `Environment variable ${name} is not set (the CDK stack sets it; for local runs see README "Local runs")` }]);
  }
  return value;
}
