import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';

/** The repository root: entries, lua/ and the lock file are resolved from here, never from the cwd. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const LOCK_FILE = join(REPO_ROOT, 'package-lock.json');

/** The newest Node.js LTS the pinned aws-cdk-lib knows; esbuild targets the same version. */
export const RUNTIME = Runtime.NODEJS_24_X;
const ESBUILD_TARGET = 'node24';

export const handlerEntry = (functionFolder: string): string =>
  join(REPO_ROOT, 'functions', functionFolder, 'handler.ts');

/**
 * ESM bundles built by the local esbuild (no Docker). ioredis is CommonJS, so
 * the banner gives the ESM bundle a `require`. The AWS SDK v3 is bundled, not
 * taken from the runtime: the pinned version is what runs, and one tree-shaken
 * file initialises faster than the runtime's SDK resolved module by module
 * (see the README's performance section).
 */
export function bundlingOptions({ withLuaScripts }: { withLuaScripts: boolean }): BundlingOptions {
  return {
    forceDockerBundling: false,
    format: OutputFormat.ESM,
    target: ESBUILD_TARGET,
    mainFields: ['module', 'main'],
    minify: true,
    sourceMap: true,
    // Stack traces map to file:line without shipping the sources: smaller assets, same debuggability.
    sourcesContent: false,
    externalModules: [],
    banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      // The Redis adapter reads scripts from new URL('./lua/<name>.lua', import.meta.url): next to the bundle.
      afterBundling: (inputDir: string, outputDir: string) =>
        withLuaScripts
          ? [`mkdir -p "${outputDir}/lua"`, `cp "${inputDir}"/lua/*.lua "${outputDir}/lua/"`]
          : [],
    },
  };
}
