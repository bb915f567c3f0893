"""Reading time kept in Redis when `REDIS_URL` is set, flushed to the database in batches.

Design and trade-offs: docs/adr/0006-reading-time-in-redis.md.

Why: on PostgreSQL every beat was one database round trip and one write transaction, about 1.2 ms of CPU per beat
between the app server and PostgreSQL, which caps two cores near 1,500 beats/s. In Redis the same arithmetic is
one `EVALSHA` (≈ 0.05 ms of Redis CPU on the busy 2-core machine) and the database sees one batched UPDATE every
few seconds.

Keys, under the prefix `LEARNING_READING_REDIS_PREFIX` (default `civlearn:reading`):
  <prefix>:c:<user id>        the learner's credited instant (epoch ms), LearnerClock.last_credited_ms
  <prefix>:e:<enrolment id>   hash: ms (absolute reading_ms), beat (last_beat_ms), u (the enrolment's user id)
  <prefix>:dirty              set of enrolment ids changed since the last flush
  <prefix>:flushing           the set being flushed (renamed from dirty; survives a crashed flush)
A missing learner or enrolment key is seeded from the database (SET NX / HSETNX, so concurrent seeds agree) when a
stream opens and, after Redis lost its data, on the next beat. The beat script does the crediting of
reading.heartbeat_credit atomically (Redis runs one script at a time, so two tabs can never both credit an interval):

    credit = to − max(credited instant, from)   when to > from and to > credited instant

with `from`/`to` computed by the caller from the app clock (core.clock), never from the client or Redis.

Flushing (`reading_flush()`, run by `manage.py learning_reading_flush --every 5` or the Celery task
`learning.reading_flush`) writes `reading_ms = GREATEST(reading_ms, redis value)`: reading time only grows, so a
flush run twice, or two flushers at once, or a flush of a value the database already has, changes nothing.
Whatever needs the exact value (the course page, completion after a test or questionnaire, the heartbeat that
crosses the threshold) calls `reading_exact()`, which flushes that one enrolment synchronously.

What can be lost: if Redis loses its data, the credit since the last flush (a few seconds of every learner's
reading). The next beat re-seeds from the database and carries on; nothing is credited twice, because the learner's
credited instant is flushed together with the balances. Redis for this must not evict keys (`noeviction` or a
`volatile-*` policy; the keys carry a one-day TTL refreshed by every credited beat).
"""

from __future__ import annotations

import hashlib
import threading
from functools import lru_cache

import redis
from django.conf import settings
from django.db import connection, transaction
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError  # noqa: F401  (RedisError: callers catch it from here)
from redis.exceptions import TimeoutError as RedisTimeoutError

from civlearn.learning.models import Enrolment, LearnerClock

# Refreshed by every beat that credits time (and by every page view); a learner idle for a day is re-seeded from
# the (long since flushed) database.
KEY_TTL_SECONDS = 24 * 3600
REDIS_TIMEOUT_SECONDS = 5

# KEYS: learner clock, enrolment hash, dirty set. ARGV: enrolment id, user id, now, from, to, ttl.
# Returns false when a key must be seeded first, -1 when the enrolment belongs to someone else, else {credit, ms}.
_BEAT_LUA = """
local e = redis.call('HMGET', KEYS[2], 'ms', 'u')
local c = redis.call('GET', KEYS[1])
if not e[1] or not c then return false end
if e[2] ~= ARGV[2] then return -1 end
local from, to = tonumber(ARGV[4]), tonumber(ARGV[5])
local credited = tonumber(c)
local credit, ms = 0, e[1]
if to > from and credited < to then
  credit = to - math.max(credited, from)
  redis.call('SET', KEYS[1], ARGV[5], 'EX', ARGV[6])
  ms = redis.call('HINCRBY', KEYS[2], 'ms', credit)
  redis.call('EXPIRE', KEYS[2], ARGV[6])
end
redis.call('HSET', KEYS[2], 'beat', ARGV[3])
redis.call('SADD', KEYS[3], ARGV[1])
return {credit, tonumber(ms)}
"""
_BEAT_SHA = hashlib.sha1(_BEAT_LUA.encode()).hexdigest()  # noqa: S324  (Redis names scripts by SHA-1)

# KEYS: dirty, flushing. Moves dirty to flushing unless a crashed flush left one. Returns 0 when there is nothing.
_CLAIM_LUA = """
if redis.call('EXISTS', KEYS[2]) == 0 then
  if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
  redis.call('RENAME', KEYS[1], KEYS[2])
end
return 1
"""

# KEYS: flushing. ARGV: prefix, SSCAN cursor, count. One slice of the flushing set, so Redis (which serves every
# beat) is never held for the whole set: {next cursor, {enrolment id, ms, beat, user id, credited instant} ...}.
# Reads keys derived from the ids, so this assumes a single Redis, not a cluster.
_COLLECT_LUA = """
local scan = redis.call('SSCAN', KEYS[1], ARGV[2], 'COUNT', ARGV[3])
local out = {}
for _, id in ipairs(scan[2]) do
  local e = redis.call('HMGET', ARGV[1] .. ':e:' .. id, 'ms', 'beat', 'u')
  if e[1] and e[3] then
    out[#out + 1] = {id, e[1], e[2] or '0', e[3], redis.call('GET', ARGV[1] .. ':c:' .. e[3]) or '0'}
  else
    out[#out + 1] = {id, false, false, false, false}
  end
end
return {scan[1], out}
"""


def enabled() -> bool:
    return bool(getattr(settings, "REDIS_URL", ""))


def prefix() -> str:
    return getattr(settings, "LEARNING_READING_REDIS_PREFIX", "civlearn:reading")


@lru_cache(maxsize=4)
def _client_for(url: str) -> redis.Redis:
    # Bounded waits: a Redis that stops answering (a partition, a hung host) fails a beat or a flush round within
    # seconds instead of holding a worker or the flusher for the operating system's TCP timeout.
    return redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS)


def client() -> redis.Redis:
    return _client_for(settings.REDIS_URL)


# The beat talks to Redis over one connection per thread, kept open, with the command packed here and no pool
# checkout, retry wrapper or per-call script lookup. Profiled, redis-py's generic path (`Script.__call__` on a
# pooled client: encoder, packer, RESP3 parser) was the largest single cost of a beat (≈ 60 µs → ≈ 25 µs here).
_local = threading.local()
_BEAT_HEAD = b"*12\r\n$7\r\nEVALSHA\r\n$40\r\n" + _BEAT_SHA.encode() + b"\r\n$1\r\n3\r\n"


def _pack_beat(values: tuple) -> bytes:
    """EVALSHA <beat script> 3 <3 keys> <6 args> in the Redis protocol (keys and args are str or int)."""
    parts = [_BEAT_HEAD]
    for value in values:
        data = str(value).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def _connection(url: str) -> redis.Connection:
    connections = getattr(_local, "connections", None)
    if connections is None:
        connections = _local.connections = {}
    conn = connections.get(url)
    if conn is None:
        pool = _client_for(url).connection_pool
        conn = connections[url] = pool.connection_class(**pool.connection_kwargs)
    return conn


def _beat(keys: tuple[str, str, str], args: tuple[int, ...]):
    conn = _connection(settings.REDIS_URL)
    command = [_pack_beat((*keys, *args))]
    for attempt in range(3):
        try:
            conn.send_packed_command(command, check_health=False)
            return conn.read_response()
        except NoScriptError:
            # A restarted Redis has no scripts: load it (idempotent) and send the beat again.
            conn.send_command("SCRIPT", "LOAD", _BEAT_LUA)
            conn.read_response()
        except (RedisConnectionError, RedisTimeoutError):
            # A dropped connection: reconnect once; a Redis that is down fails the beat.
            conn.disconnect()
            if attempt:
                raise
        except BaseException:
            conn.disconnect()  # the reply may still be on the wire: never reuse the connection out of step
            raise
    raise RedisConnectionError("Redis kept refusing the reading script")


def credit(*, enrolment_id: int, user_id: int, now: int, credit_from: int, credit_to: int) -> tuple[int, int] | None:
    """One beat: (credited ms, the enrolment's reading_ms), or None when the enrolment is not the learner's."""
    keys = _keys(enrolment_id, user_id)
    args = (enrolment_id, user_id, now, credit_from, credit_to, KEY_TTL_SECONDS)
    result = _beat(keys, args)
    if result is None:
        # Cold path: first beat after Redis lost its data (or a key expired). Seed and run the beat again.
        if not seed(enrolment_id=enrolment_id, user_id=user_id):
            return None
        result = _beat(keys, args)
    if result == -1 or result is None:
        return None
    return int(result[0]), int(result[1])


def _keys(enrolment_id: int, user_id: int) -> tuple[str, str, str]:
    p = prefix()
    return f"{p}:c:{user_id}", f"{p}:e:{enrolment_id}", f"{p}:dirty"


def seed(*, enrolment_id: int, user_id: int) -> bool:
    """Copy the enrolment's balance and the learner's credited instant from the database unless Redis has them.

    The enrolment is marked dirty, so a flush notices if it has since been deleted and drops its keys.
    Returns False when the enrolment does not exist for that learner."""
    row = (
        Enrolment.objects.filter(pk=enrolment_id, user_id=user_id)
        .values_list("reading_ms", "last_beat_ms", "user__learning_clock__last_credited_ms")
        .first()
    )
    if row is None:
        return False
    reading, last_beat, credited = row
    clock_key, enrolment_key, dirty_key = _keys(enrolment_id, user_id)
    with client().pipeline(transaction=True) as pipe:
        pipe.set(clock_key, credited or 0, nx=True, ex=KEY_TTL_SECONDS)
        pipe.hsetnx(enrolment_key, "ms", reading)
        pipe.hsetnx(enrolment_key, "beat", last_beat)
        pipe.hsetnx(enrolment_key, "u", user_id)
        pipe.expire(enrolment_key, KEY_TTL_SECONDS)
        pipe.sadd(dirty_key, enrolment_id)
        pipe.execute()
    return True


def reading_exact(*, enrolment: Enrolment) -> int:
    """Flush this enrolment's balance (and its learner's credited instant) now; set and return the exact value."""
    clock_key, enrolment_key, _dirty = _keys(enrolment.pk, enrolment.user_id)
    with client().pipeline(transaction=False) as pipe:
        pipe.hmget(enrolment_key, "ms", "beat")
        pipe.get(clock_key)
        (ms, beat), credited = pipe.execute()
    if ms is None or int(ms) <= enrolment.reading_ms:
        # Nothing in Redis, or the database already has it (pages listing many enrolments pay one round trip each).
        return enrolment.reading_ms
    _write([(enrolment.pk, int(ms), int(beat or 0))], [(enrolment.user_id, int(credited or 0))])
    enrolment.reading_ms = max(enrolment.reading_ms, int(ms))
    return enrolment.reading_ms


@lru_cache(maxsize=4)
def _flush_scripts(url: str):
    redis_client = _client_for(url)
    return redis_client.register_script(_CLAIM_LUA), redis_client.register_script(_COLLECT_LUA)


def reading_flush(*, batch: int = 1000) -> int:
    """Write every balance changed since the last flush to the database, `batch` enrolments per statement.
    Returns how many enrolments were written.

    Safe to run twice or concurrently (GREATEST); a crash before the end leaves the `flushing` set in place, and
    the next run writes it again."""
    p = prefix()
    claim, collect = _flush_scripts(settings.REDIS_URL)
    if not claim(keys=(f"{p}:dirty", f"{p}:flushing")):
        return 0
    written_all: set[int] = set()
    gone: set[int] = set()
    cursor = b"0"
    while True:
        cursor, rows = collect(keys=(f"{p}:flushing",), args=(p, cursor, batch))
        balances = [(int(r[0]), int(r[1]), int(r[2])) for r in rows if r[1] is not None]
        clocks = {int(r[3]): int(r[4]) for r in rows if r[1] is not None}
        written = _write(balances, sorted(clocks.items()))
        written_all |= written
        gone |= {int(r[0]) for r in rows} - written  # SSCAN may repeat an id: harmless, GREATEST
        if int(cursor) == 0:
            break
    with client().pipeline(transaction=False) as pipe:
        for enrolment_id in gone:
            # Deleted enrolments (or a hash without its learner): drop the keys, so the next beat re-seeds.
            pipe.delete(f"{p}:e:{enrolment_id}")
        pipe.delete(f"{p}:flushing")
        pipe.execute()
    return len(written_all)


_ENROLMENT = Enrolment._meta.db_table
_CLOCK = LearnerClock._meta.db_table

# One statement per table however many rows: arrays bound as parameters, so the plan is the same every flush.
_FLUSH_ENROLMENTS_PG = f"""
UPDATE {_ENROLMENT} AS e
SET reading_ms = GREATEST(e.reading_ms, v.ms), last_beat_ms = GREATEST(e.last_beat_ms, v.beat)
FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS v(id, ms, beat)
WHERE e.id = v.id
RETURNING e.id
"""  # noqa: S608  (table names come from the models, values are parameters)
_FLUSH_CLOCKS_PG = f"""
UPDATE {_CLOCK} AS c SET last_credited_ms = v.ms
FROM unnest(%s::bigint[], %s::bigint[]) AS v(user_id, ms)
WHERE c.user_id = v.user_id AND c.last_credited_ms < v.ms
"""  # noqa: S608


def _write(balances: list[tuple[int, int, int]], clocks: list[tuple[int, int]]) -> set[int]:
    """Raise each balance and credited instant to the given value (never lower one). Returns the enrolment ids
    that exist. Sorted by id, so two flushers lock rows in the same order and cannot deadlock."""
    balances = sorted(balances)
    written: set[int] = set()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if balances:
                ids, ms, beats = (list(column) for column in zip(*balances, strict=True))
                cursor.execute(_FLUSH_ENROLMENTS_PG, [ids, ms, beats])
                written = {row[0] for row in cursor.fetchall()}
            if clocks:
                users, instants = (list(column) for column in zip(*clocks, strict=True))
                cursor.execute(_FLUSH_CLOCKS_PG, [users, instants])
        else:
            for enrolment_id, ms, beat in balances:
                cursor.execute(
                    f"UPDATE {_ENROLMENT} SET reading_ms = MAX(reading_ms, %s), "  # noqa: S608
                    "last_beat_ms = MAX(last_beat_ms, %s) WHERE id = %s",
                    [ms, beat, enrolment_id],
                )
                if cursor.rowcount:
                    written.add(enrolment_id)
            for user_id, instant in clocks:
                cursor.execute(
                    f"UPDATE {_CLOCK} SET last_credited_ms = %s WHERE user_id = %s AND last_credited_ms < %s",  # noqa: S608
                    [instant, user_id, instant],
                )
    return written
