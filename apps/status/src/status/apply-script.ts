/**
 * Applies one chunk of records of one partition, atomically and at most once:
 *
 *   KEYS[1] epoch marker, KEYS[2] applied-offsets hash
 *   ARGV[1] the epoch the caller's consumer positions belong to
 *   ARGV[2] `<topic>:<partition>`, ARGV[3] connector hash key prefix
 *   ARGV[4] JSON [[offset, [[connectorId, kind, field, value?], ...]], ...]
 *
 * Returns {'reset'} when the epoch marker is missing or different (Redis lost or replaced its
 * state: the caller must rebuild), else {lastAppliedOffset, touchedConnectorId...}. Records
 * at or below the partition's applied offset are skipped, so replays never count twice.
 */
export const APPLY_SCRIPT = `
local epoch = redis.call('GET', KEYS[1])
if epoch ~= ARGV[1] then return {'reset'} end
local applied = tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '-1')
local prefix = ARGV[3]
local records = cjson.decode(ARGV[4])
local last = applied
local seen = {}
local touched = {}
for _, record in ipairs(records) do
  local offset = tonumber(record[1])
  if offset > last then
    for _, op in ipairs(record[2]) do
      local key = prefix .. op[1]
      local kind = op[2]
      if kind == 'i' then
        redis.call('HINCRBY', key, op[3], op[4])
      elseif kind == 's' then
        redis.call('HSET', key, op[3], op[4])
      elseif kind == 'd' then
        redis.call('HDEL', key, op[3])
      elseif kind == 'm' then
        local current = redis.call('HGET', key, op[3])
        if (not current) or current < op[4] then redis.call('HSET', key, op[3], op[4]) end
      end
      if not seen[op[1]] then
        seen[op[1]] = true
        table.insert(touched, op[1])
      end
    end
    last = offset
  end
end
if last > applied then redis.call('HSET', KEYS[2], ARGV[2], string.format('%.0f', last)) end
table.insert(touched, 1, string.format('%.0f', last))
return touched
`;
