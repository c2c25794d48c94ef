#!/usr/bin/env node
// The `usage-settlement` bin: runs the TypeScript CLI (cli/main.ts) through tsx, with no build step.
import { register } from 'tsx/esm/api';

// The SDK's notice that it will need Node 22 is not for an operator running a command; it is set
// before any client exists, which is when the SDK reads it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('./main.ts');
await main();
