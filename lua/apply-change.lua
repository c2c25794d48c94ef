--[[
apply-change: brings a family's period states in Redis in line with a family
or policy change the ledger has just committed, under the same version check
as settlement: a state moves from the version the change was made against to
the version it produced. A state at the produced version has it already. A
state at any other version, or one holding decisions not yet committed (they
were made under the old values and must be made again), is dropped: the next
event loads it from the ledger, with the change.

KEYS[1..P]  period states  {f:<familyId>}:period:<yyyyMM>

ARGV, per period in KEYS order:
  before, after, remaining delta (bytes, may be negative),
  S, then S field/value pairs to set,
  D, then D fields to delete

Reply: per period, 1 applied, 0 absent or already at `after`, -1 dropped.
]]
local at = 1
local replies = {}
for p = 1, #KEYS do
  local key = KEYS[p]
  local before = ARGV[at]
  local after = ARGV[at + 1]
  local delta = ARGV[at + 2]
  local sets = tonumber(ARGV[at + 3])
  local setsFrom = at + 4
  local dels = tonumber(ARGV[setsFrom + sets * 2])
  local delsFrom = setsFrom + sets * 2 + 1
  at = delsFrom + dels

  local state = redis.call('HMGET', key, 'v', 'pn')
  local version = state[1]
  if not version or version == after then
    replies[p] = 0
  elseif version ~= before or (tonumber(state[2]) or 0) > 0 then
    redis.call('DEL', key)
    replies[p] = -1
  else
    for i = 0, sets - 1 do
      redis.call('HSET', key, ARGV[setsFrom + i * 2], ARGV[setsFrom + i * 2 + 1])
    end
    for i = 0, dels - 1 do
      redis.call('HDEL', key, ARGV[delsFrom + i])
    end
    if delta ~= '0' then
      redis.call('HINCRBY', key, 'r', delta)
    end
    redis.call('HSET', key, 'v', after)
    replies[p] = 1
  end
end
return replies
