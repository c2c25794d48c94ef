import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { luaSource } from '../../functions/adapters/redis/lua-source';
import { SCRIPT_FILES } from '../../functions/adapters/redis/settlement-scripts';

/**
 * Each script's SHA1 is pinned so that any edit to a Lua script shows up in
 * review as a change to this file too: the scripts decide money-like state.
 */
const PINNED: Record<string, string> = {
  [SCRIPT_FILES.settle]: '6316605e9491532fdbdfa5b8dc264ca5c9b2db48',
  [SCRIPT_FILES.hydrate]: 'fdac621a28f8c44c013431889f3ffc20defed6b4',
  [SCRIPT_FILES.compensate]: 'd9b497694fe304da934c5f92d9c983a916a4375e',
  [SCRIPT_FILES.setQuota]: '9478e6c0a6095ebc3f2edd9597a35a962d9ca956',
};

describe('Lua script pins', () => {
  it.each(Object.values(SCRIPT_FILES))('%s.lua has its pinned SHA1', (name) => {
    expect(createHash('sha1').update(luaSource(name)).digest('hex')).toBe(PINNED[name]);
  });
});
