import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { luaSource } from '../../functions/adapters/redis/lua-source';
import { SCRIPT_FILES } from '../../functions/adapters/redis/settlement-scripts';

/**
 * Each script's SHA1 is pinned so that any edit to a Lua script shows up in
 * review as a change to this file too: the scripts decide money-like state.
 */
const PINNED: Record<string, string> = {
  [SCRIPT_FILES.settleLane]: '81b56a81ace990fb40f18f8e8287e02758ba8047',
  [SCRIPT_FILES.hydratePeriod]: '27ded7f9321d16c42bf35482c4d2dc6161ce9995',
  [SCRIPT_FILES.confirmLane]: '66572e240a077cd5d5fed50034c298088702eb12',
  [SCRIPT_FILES.applyChange]: '18ef3d46cfef17b14beaf0395024b35214d0b82a',
};

describe('Lua script pins', () => {
  it.each(Object.values(SCRIPT_FILES))('%s.lua has its pinned SHA1', (name) => {
    expect(createHash('sha1').update(luaSource(name)).digest('hex')).toBe(PINNED[name]);
  });
});
