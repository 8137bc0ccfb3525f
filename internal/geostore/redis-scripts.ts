/**
 * The Lua scripts behind RedisGeoStore. Each read-check-write runs as one script so it is atomic on the server and
 * costs one EVALSHA round trip (ioredis `defineCommand` sends EVAL once per connection, then EVALSHA, and reloads
 * after a NOSCRIPT).
 *
 * Some scripts build keys from a prefix passed in ARGV (cell sets of a path, state hashes of search hits): they are
 * not declared in KEYS, which standalone Redis allows and Redis Cluster would not — cluster-friendly naming is not a
 * goal of this adapter (see redis-geo-store.ts for the key layout).
 */

/**
 * Apply pings, each unless its rider's live position is newer or equal — many in ONE call (one EVALSHA instead of one
 * per ping; a single ping is a batch of one). Decided in ARGV order, so two pings of one rider in a batch behave
 * exactly as two consecutive calls. Per applied ping: rewrite the position hash (every field, '' for an absent
 * optional, so nothing stale survives) and PEXPIRE it; then, once for the whole call, GEOADD the applied positions
 * to riders:live, ZADD them to riders:seen, and GEOADD to / ZREM from riders:available by each rider's state (one
 * command per set instead of one per ping; a rider applied twice appears twice and its later position wins, as
 * in ZADD). The set updates come after the decisions, which read only the hashes, so the outcome is the same.
 *
 * Per-rider ping rate (a ping with `interval` > 0: a rider's own ping): before anything else it takes a token from its
 * rider's bucket — GCRA, the same steps as `gcraStep` in internal/ratelimit/rate-limiter.ts, the TAT kept in the
 * position hash's `tat` field (so it costs no extra key and no extra round trip, and lives as long as the position).
 * A ping without a token changes nothing and answers minus the ms until the next token. An unlimited ping (interval
 * 0: the bulk feed, internal writes) is not checked, and its write leaves `tat` as it was.
 * KEYS: riders:available, riders:live, riders:seen.
 * ARGV: now, ttlMs, position-hash key prefix, state-hash key prefix, then ONE per ping, its fields joined by commas:
 *       `lat,lon,recordedAt,speed|'',heading|'',accuracy|'',interval ms (0 = unlimited),burst,riderId` — numbers never
 *       hold a comma, and the rider id comes last and takes the rest, so any id is safe. One argument per ping instead
 *       of nine: ioredis spends its CPU per argument (it flattens and encodes the list) — a quarter less per ping —
 *       while Redis does about the same work either way (bench/results/telemetry.md, "Bulk pings").
 * Returns per ping 1 (applied), 0 (ignored: not newer) or -N (over its rate: retry after N ms).
 */
export const PING_MANY_LUA = `
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local posPrefix = ARGV[3]
local statePrefix = ARGV[4]
local out = {}
local live, seen, available, busy = {}, {}, {}, {}
local status = {}
local n = 0
for i = 5, #ARGV do
  local lat, lon, rec, speed, heading, accuracy, intervalText, burstText, id =
    string.match(ARGV[i], '^([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),(.*)$')
  local posKey = posPrefix .. id
  n = n + 1
  local cur = redis.call('HMGET', posKey, 'rec', 'seen', 'tat')
  local interval = tonumber(intervalText)
  local nextTat = nil
  local wait = 0
  if interval > 0 then
    local burst = tonumber(burstText)
    local tat = tonumber(cur[3])
    if tat == nil or tat < now then tat = now end
    nextTat = tat + interval
    local allowAt = nextTat - burst * interval
    if now < allowAt then wait = math.ceil(allowAt - now) end
  end
  if wait > 0 then
    out[n] = -wait
  elseif cur[1] and cur[2] and tonumber(cur[2]) > now - ttl and tonumber(cur[1]) >= tonumber(rec) then
    if nextTat then redis.call('HSET', posKey, 'tat', string.format('%.17g', nextTat)) end
    out[n] = 0
  else
    redis.call('HSET', posKey, 'lat', lat, 'lon', lon, 'rec', rec, 'seen', ARGV[1],
      'speed', speed, 'heading', heading, 'accuracy', accuracy)
    if nextTat then redis.call('HSET', posKey, 'tat', string.format('%.17g', nextTat)) end
    redis.call('PEXPIRE', posKey, ttl)
    live[#live + 1] = lon; live[#live + 1] = lat; live[#live + 1] = id
    seen[#seen + 1] = ARGV[1]; seen[#seen + 1] = id
    if status[id] == nil then status[id] = redis.call('HGET', statePrefix .. id, 'status') == 'available' end
    if status[id] then
      available[#available + 1] = lon; available[#available + 1] = lat; available[#available + 1] = id
    else
      busy[#busy + 1] = id
    end
    out[n] = 1
  end
end
-- unpack() is bounded by Lua's stack: callers send at most a few hundred pings per call (PINGS_PER_CALL).
if #live > 0 then redis.call('GEOADD', KEYS[2], unpack(live)) end
if #seen > 0 then redis.call('ZADD', KEYS[3], unpack(seen)) end
if #available > 0 then redis.call('GEOADD', KEYS[1], unpack(available)) end
if #busy > 0 then redis.call('ZREM', KEYS[1], unpack(busy)) end
return out
`;

/**
 * Prune riders whose last ping is at or before the cutoff from all three sets, then search one GEO set.
 * KEYS: riders:available, riders:live, riders:seen.
 * ARGV: 'available' | 'nearby', lon, lat, radiusM, limit, cutoff (now - ttl), state-hash key prefix.
 * Returns [riderId, distanceM, lon, lat, status, batchId|''] per hit, nearest first.
 *
 * Pruning removes every stale member, 500 at a time: each member is pruned once after its pings stop, so the cost
 * is amortised over its pings, and the search that follows never sees a ghost.
 */
export const SEARCH_LUA = `
local cutoff = ARGV[6]
while true do
  local stale = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', cutoff, 'LIMIT', 0, 500)
  if #stale == 0 then break end
  redis.call('ZREM', KEYS[1], unpack(stale))
  redis.call('ZREM', KEYS[2], unpack(stale))
  redis.call('ZREM', KEYS[3], unpack(stale))
end
local available = ARGV[1] == 'available'
local key = KEYS[2]
if available then key = KEYS[1] end
local hits = redis.call('GEOSEARCH', key, 'FROMLONLAT', ARGV[2], ARGV[3], 'BYRADIUS', ARGV[4], 'm',
  'ASC', 'COUNT', ARGV[5], 'WITHDIST', 'WITHCOORD')
local out = {}
for i, hit in ipairs(hits) do
  local status, batch = 'available', ''
  if not available then
    local st = redis.call('HMGET', ARGV[7] .. hit[1], 'status', 'batch')
    status = st[1] or 'offline'
    batch = st[2] or ''
  end
  out[i] = {hit[1], hit[2], hit[3][1], hit[3][2], status, batch}
end
return out
`;

/**
 * Take an available rider with a live position for a batch.
 * KEYS: state hash, position hash, riders:available. ARGV: riderId, batchId, cutoff.
 * Returns 1 for the winner, 0 otherwise.
 */
export const CLAIM_LUA = `
if redis.call('HGET', KEYS[1], 'status') ~= 'available' then return 0 end
local seen = redis.call('HGET', KEYS[2], 'seen')
if not seen or tonumber(seen) <= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], 'status', 'busy', 'batch', ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
`;

/**
 * Busy → available, back in riders:available at the last position when it is live.
 * KEYS: state hash, position hash, riders:available. ARGV: riderId, batchId|'' (any), cutoff.
 * Returns 1 when released, 0 when the rider was not busy (with that batch).
 */
export const RELEASE_LUA = `
local st = redis.call('HMGET', KEYS[1], 'status', 'batch')
if st[1] ~= 'busy' then return 0 end
if ARGV[2] ~= '' and st[2] ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'status', 'available')
redis.call('HDEL', KEYS[1], 'batch')
local pos = redis.call('HMGET', KEYS[2], 'lat', 'lon', 'seen')
if pos[3] and tonumber(pos[3]) > tonumber(ARGV[3]) then
  redis.call('GEOADD', KEYS[3], pos[2], pos[1], ARGV[1])
end
return 1
`;

/**
 * Set the status unconditionally (clearing the batch; `busy` records ARGV[4] when given) and fix riders:available
 * membership to match.
 * KEYS: state hash, position hash, riders:available. ARGV: riderId, status, cutoff, batchId|''.
 */
export const AVAILABILITY_LUA = `
redis.call('DEL', KEYS[1])
if ARGV[2] ~= 'offline' then redis.call('HSET', KEYS[1], 'status', ARGV[2]) end
if ARGV[2] == 'busy' and ARGV[4] and ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'batch', ARGV[4]) end
if ARGV[2] == 'available' then
  local pos = redis.call('HMGET', KEYS[2], 'lat', 'lon', 'seen')
  if pos[3] and tonumber(pos[3]) > tonumber(ARGV[3]) then
    redis.call('GEOADD', KEYS[3], pos[2], pos[1], ARGV[1])
    return 1
  end
end
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
`;

/**
 * Replace a path's corridor: forget it in cells it left, add it to every new cell, rewrite the reverse index.
 * KEYS: the path's cell set. ARGV: cell-set key prefix, pathId, cell...
 * Returns the number of cells the previous corridor had.
 */
export const INDEX_PATH_LUA = `
local old = redis.call('SMEMBERS', KEYS[1])
local keep = {}
for i = 3, #ARGV do keep[ARGV[i]] = true end
for _, cell in ipairs(old) do
  if not keep[cell] then redis.call('SREM', ARGV[1] .. cell, ARGV[2]) end
end
redis.call('DEL', KEYS[1])
for i = 3, #ARGV do
  redis.call('SADD', ARGV[1] .. ARGV[i], ARGV[2])
  redis.call('SADD', KEYS[1], ARGV[i])
end
return #old
`;

/**
 * Forget a path in every cell of its corridor and drop the reverse index.
 * KEYS: the path's cell set. ARGV: cell-set key prefix, pathId. Returns 1 when the path was indexed.
 */
export const REMOVE_PATH_LUA = `
local old = redis.call('SMEMBERS', KEYS[1])
for _, cell in ipairs(old) do redis.call('SREM', ARGV[1] .. cell, ARGV[2]) end
redis.call('DEL', KEYS[1])
if #old > 0 then return 1 end
return 0
`;
