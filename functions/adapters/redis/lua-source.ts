import { existsSync, readFileSync } from 'node:fs';

/**
 * Script text from lua/. In a Lambda bundle the scripts are copied next to the
 * bundle (./lua/); from the source tree they are three folders up.
 */
const LOCATIONS = [new URL('./lua/', import.meta.url), new URL('../../../lua/', import.meta.url)];

export function luaSource(name: string): string {
  for (const dir of LOCATIONS) {
    const file = new URL(`${name}.lua`, dir);
    if (existsSync(file)) return readFileSync(file, 'utf8');
  }
  throw new Error(`Lua script ${name}.lua not found in ${LOCATIONS.map(String).join(', ')}`);
}
