import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { luaSource } from '../../functions/adapters/redis/lua-source';
import { SCRIPT_FILES } from '../../functions/adapters/redis/settlement-scripts';

/**
 * Each script's SHA1 is pinned so that any edit to a Lua script shows up in
 * review as a change to this file too: the scripts decide money-like state.
 */
const PINNED: Record<string, string> = {
  [SCRIPT_FILES.settleLane]: '38c6dd645019a391eb081f7f869e470fd2c6d5e2',
  [SCRIPT_FILES.hydratePeriod]: '096d2c26a01c150d635ae6788ee3ce2b246e7cb4',
  [SCRIPT_FILES.confirmLane]: 'c073dc2cfd9a1ede7ada9aa631c14a08fbb72e44',
  [SCRIPT_FILES.applyConfig]: '91d209417381ee8ecc41f317f2178b23c6bc5585',
};

describe('Lua script pins', () => {
  it.each(Object.values(SCRIPT_FILES))('%s.lua has its pinned SHA1', (name) => {
    expect(createHash('sha1').update(luaSource(name)).digest('hex')).toBe(PINNED[name]);
  });
});
