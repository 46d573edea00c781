#!/usr/bin/env node
// The portquorum CLI. tsx loads the TypeScript sources directly, so a checkout runs without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
