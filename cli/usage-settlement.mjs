#!/usr/bin/env node
// The `usage-settlement` bin: runs the TypeScript CLI (cli/main.ts) through tsx, with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
await main();
