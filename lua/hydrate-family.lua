--[[
hydrate-family: loads a family's period state and member policies from the
ledger into Redis, setting only what is absent so newer values are never
clobbered (SPEC §3).

KEYS[1]        period key   {f:<familyId>}:period:<yyyyMM>
KEYS[2..n+1]   policy keys  {f:<familyId>}:policy:<customerId>, in the order of ARGV members

ARGV[1]  JSON snapshot: {
           quota = '<bytes>', remaining = '<bytes>', expireAt = <epoch s>, policyTtl = <s>,
           members = [{ id = '<customerId>', used = '<bytes>', alerts = ['<marker>', ...],
                        policy = { manual = 0|1, limit = '<bytes>'|nil, window = 'HHmm-HHmm'|nil,
                                   apps = ['<appId>', ...] } }, ...] }

Reply: number of fields written.
]]
local periodKey = KEYS[1]
local snapshot = cjson.decode(ARGV[1])
local written = 0

if redis.call('HEXISTS', periodKey, 'quota') == 0 then
  redis.call('HSET', periodKey, 'quota', snapshot.quota, 'remaining', snapshot.remaining)
  written = written + 2
end

for i, member in ipairs(snapshot.members) do
  written = written + redis.call('HSETNX', periodKey, 'used:' .. member.id, member.used)
  for _, marker in ipairs(member.alerts) do
    written = written + redis.call('HSETNX', periodKey, 'alert:' .. marker, '1')
  end

  local policyKey = KEYS[i + 1]
  if redis.call('EXISTS', policyKey) == 0 then
    local policy = member.policy
    local fields = {'v', '1', 'manual', tostring(policy.manual)}
    if type(policy.limit) == 'string' then
      fields[#fields + 1] = 'limit'
      fields[#fields + 1] = policy.limit
    end
    if type(policy.window) == 'string' then
      fields[#fields + 1] = 'window'
      fields[#fields + 1] = policy.window
    end
    for _, app in ipairs(policy.apps) do
      fields[#fields + 1] = 'app:' .. app
      fields[#fields + 1] = '1'
    end
    redis.call('HSET', policyKey, unpack(fields))
    redis.call('EXPIRE', policyKey, snapshot.policyTtl)
    written = written + #fields / 2
  end
end

redis.call('EXPIREAT', periodKey, snapshot.expireAt)
return written
