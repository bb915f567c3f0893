"""Reading time (閱讀時數): heartbeats from open course pages, credited from the server's own clock.

Rules (domain notes): a beat every LEARNING_HEARTBEAT_SECONDS (60 s) while the page is visible and a final one
when it is hidden or closed; no credit across a gap of more than LEARNING_HEARTBEAT_GAP_SECONDS (180 s); a single
stretch is capped at LEARNING_STRETCH_CAP_SECONDS (6 h); one credit stream per learner however many tabs or devices
are open.

How: every page view gets a signed token naming the enrolment, the previous beat of this page view (the stream)
and when its stretch began. Each beat answers with a fresh token, so a stream's state travels with it and the hot
path never reads it from the database. The learner's single LearnerClock row holds the instant up to which time has
been credited. A beat at `now` is credited

    credit = min(now, stretch_start + cap) − max(last_credited, previous_beat_of_this_stream)

when positive, and only when `now − previous_beat ≤ gap`. Two short updates, atomically:
  1. UPDATE the clock row to the new instant, but only if it moves forward; RETURNING the old instant (the row
     lock serialises concurrent beats of the same learner, so two tabs can never both credit the same interval);
  2. UPDATE the enrolment's balance with `reading_ms = reading_ms + credit` (never read-modify-write).
On PostgreSQL both are one statement (a data-modifying CTE: one round trip); elsewhere one short transaction.
Client-sent times are ignored, so a skewed client clock changes nothing; a server clock stepping back credits 0.

With `REDIS_URL` set, the two updates are one Redis script instead and the database receives the balances in
batches (redis_store.py, docs/adr/0006-reading-time-in-redis.md); `reading_ms_exact()` gives the exact
balance either way.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from functools import lru_cache

import psycopg
from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.utils.translation import gettext as _

from civlearn.core import clock
from civlearn.learning.models import Enrolment, LearnerClock
from civlearn.learning.reading import redis_store

logger = logging.getLogger(__name__)

TOKEN_SALT = "learning.heartbeat"  # noqa: S105 (a signing namespace, not a secret)
# A stream's token older than this is refused outright (the gap rule would credit nothing anyway).
TOKEN_MAX_AGE_SECONDS = 24 * 3600


class HeartbeatRefused(Exception):
    """The token is forged, expired or names an enrolment that no longer exists."""


class ReadingUnavailable(HeartbeatRefused):
    """Redis (which keeps reading time when REDIS_URL is set) cannot be reached: nothing was credited.

    A HeartbeatRefused, so a caller that only knows refusals (the SCORM runtime's beat) still answers with the
    message; the heartbeat view answers 503 instead, since the page should simply beat again."""


def heartbeat_seconds() -> int:
    return int(getattr(settings, "LEARNING_HEARTBEAT_SECONDS", 60))


def gap_ms() -> int:
    return int(getattr(settings, "LEARNING_HEARTBEAT_GAP_SECONDS", 180)) * 1000


def stretch_cap_ms() -> int:
    return int(getattr(settings, "LEARNING_STRETCH_CAP_SECONDS", 6 * 3600)) * 1000


def now_ms() -> int:
    return int(clock.now().timestamp() * 1000)


@dataclass(frozen=True)
class Beat:
    enrolment_id: int
    credited_ms: int
    reading_ms: int
    required_ms: int
    token: str

    @property
    def threshold_crossed(self) -> bool:
        return self.reading_ms >= self.required_ms > self.reading_ms - self.credited_ms


# Tokens are exactly what `signing.dumps(fields, salt=TOKEN_SALT)` makes and `signing.loads` reads (a
# TimestampSigner over compact JSON, HMAC-SHA256), built here from Django's own helpers with the HMAC key derived
# once per secret: Django derives it again for every signature, and two signatures were a seventh of a beat's CPU.
# Anything the fast check does not accept outright (a key in SECRET_KEY_FALLBACKS, an expired or forged token) goes
# to signing.loads, which decides.
@lru_cache(maxsize=4)
def _token_key(secret: str) -> bytes:
    return hashlib.sha256(f"{TOKEN_SALT}signer{secret}".encode()).digest()


def _signature(body: str) -> str:
    return signing.b64_encode(hmac.digest(_token_key(settings.SECRET_KEY), body.encode(), "sha256")).decode()


def _sign(enrolment_id: int, user_id: int, previous_ms: int, stretch_ms: int, required_ms: int) -> str:
    fields = f"[{enrolment_id:d},{user_id:d},{previous_ms:d},{stretch_ms:d},{required_ms:d}]"
    body = f"{signing.b64_encode(fields.encode()).decode()}:{signing.b62_encode(int(time.time()))}"
    return f"{body}:{_signature(body)}"


def _unsign(token: str) -> list:
    body, _sep, signature = token.rpartition(":")
    payload, _sep, stamp = body.rpartition(":")
    try:
        if (
            payload[:1] not in ("", ".")  # "." marks a compressed payload: never made here
            and hmac.compare_digest(signature, _signature(body))
            and time.time() - signing.b62_decode(stamp) <= TOKEN_MAX_AGE_SECONDS
        ):
            return json.loads(signing.b64_decode(payload.encode()))
    except (ValueError, UnicodeError, binascii.Error):
        pass
    return signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE_SECONDS)


def reading_stream_open(*, enrolment: Enrolment) -> str:
    """Start a stream for one page view: make sure the learner's clock row exists and sign the first token.

    Called when a course page is rendered (not on the hot path)."""
    LearnerClock.objects.get_or_create(user_id=enrolment.user_id)
    if redis_store.enabled():
        try:
            redis_store.seed(enrolment_id=enrolment.pk, user_id=enrolment.user_id)
        except redis_store.RedisError as exc:
            # The page still opens: its beats are refused until Redis is back, and the first one then seeds.
            logger.warning("reading stream opened without Redis: %s", exc)
    start = now_ms()
    return _sign(enrolment.pk, enrolment.user_id, start, start, enrolment.course.required_reading_ms)


def heartbeat_credit(*, token: str) -> Beat:
    """Credit the time since this stream's previous beat, once per learner. Raises HeartbeatRefused."""
    try:
        enrolment_id, user_id, previous_ms, stretch_ms, required_ms = _unsign(token)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise HeartbeatRefused(_("無效的閱讀計時憑證")) from exc

    now = now_ms()
    credit_from = credit_to = 0
    if now < previous_ms or now - previous_ms > gap_ms():
        # A gap (or the server clock stepped back): nothing is credited and a new stretch begins now.
        stretch_ms = now
    else:
        credit_from, credit_to = previous_ms, min(now, stretch_ms + stretch_cap_ms())

    if redis_store.enabled():
        try:
            result = redis_store.credit(
                enrolment_id=enrolment_id, user_id=user_id, now=now, credit_from=credit_from, credit_to=credit_to
            )
        except redis_store.RedisError as exc:
            raise ReadingUnavailable(_("閱讀計時暫時無法使用，稍後會自動重試")) from exc
        if result is None:
            raise HeartbeatRefused(_("找不到此選課紀錄"))
        credited, reading = result
    elif connection.vendor == "postgresql":
        credited, reading = _credit_postgresql(enrolment_id, user_id, now, credit_from, credit_to)
    else:
        credited, reading = _credit_portable(enrolment_id, user_id, now, credit_from, credit_to)
    return Beat(
        enrolment_id=enrolment_id,
        credited_ms=credited,
        reading_ms=reading,
        required_ms=required_ms,
        token=_sign(enrolment_id, user_id, now, stretch_ms, required_ms),
    )


def reading_ms_exact(*, enrolment: Enrolment) -> int:
    """The enrolment's exact reading time, also set on `enrolment`. With Redis, flushes this enrolment first; with
    Redis unreachable, the database's figure (short by at most the last flush interval, never more than credited)."""
    if redis_store.enabled():
        try:
            return redis_store.reading_exact(enrolment=enrolment)
        except redis_store.RedisError as exc:
            logger.warning("reading time read without Redis: %s", exc)
    return enrolment.reading_ms


_CLOCK = LearnerClock._meta.db_table
_ENROLMENT = Enrolment._meta.db_table

# PostgreSQL: the whole beat is one statement, so one round trip and its own (implicit) transaction.
# - set_config(..., true) turns synchronous_commit off for this transaction only: reading time is not money, and
#   losing the last fraction of a second of beats in a crash is acceptable, while waiting for the WAL flush on every
#   beat would cap the platform at the disk's fsync rate (~100/s here). The ledger keeps synchronous commits. It
#   sits in the SET list (evaluated for the row written) rather than in a WHERE over a CTE: a WHERE that reads a
#   CTE came back empty when PostgreSQL re-checked a row another beat had just updated, refusing that beat.
# - `clock` moves the learner's credited instant forward only if it is behind, and only if the enrolment exists;
#   SET uses the old row values, so prev_credited_ms returns the instant before this beat. The row lock serialises
#   concurrent beats of one learner (a waiting UPDATE re-reads the newest row), so no interval is credited twice.
# - the outer UPDATE adds the credit to the balance in place (never read-modify-write).
_BEAT_SQL = f"""
WITH clock AS (
    UPDATE {_CLOCK} SET prev_credited_ms = last_credited_ms, last_credited_ms = %(to)s
    WHERE user_id = %(user)s AND last_credited_ms < %(to)s AND %(to)s > %(from)s
      AND EXISTS (SELECT 1 FROM {_ENROLMENT} WHERE id = %(enrolment)s AND user_id = %(user)s)
    RETURNING %(to)s - GREATEST(prev_credited_ms, %(from)s) AS credit
)
UPDATE {_ENROLMENT}
SET reading_ms = reading_ms + COALESCE((SELECT credit FROM clock), 0),
    last_beat_ms = %(now)s + 0 * length(set_config('synchronous_commit', 'off', true))
WHERE id = %(enrolment)s AND user_id = %(user)s
RETURNING COALESCE((SELECT credit FROM clock), 0), reading_ms
"""  # noqa: S608  (table names come from the models, values are parameters)


def _credit_postgresql(enrolment_id: int, user_id: int, now: int, credit_from: int, credit_to: int) -> tuple[int, int]:
    params = {"enrolment": enrolment_id, "user": user_id, "now": now, "from": credit_from, "to": credit_to}
    raw = connection.connection
    if raw is None or raw.closed or raw.broken:
        # Bypassing Django's cursor also bypasses its error bookkeeping: reconnect here after a lost connection.
        connection.close()
        connection.ensure_connection()
        raw = connection.connection
    # A server-side-binding cursor on Django's own connection (same transaction state), so the statement can be
    # prepared once per connection: PostgreSQL then skips parsing and planning the CTE on every beat.
    try:
        with psycopg.Cursor(raw) as cursor:
            cursor.execute(_BEAT_SQL, params, prepare=True)
            row = cursor.fetchone()
    except psycopg.OperationalError:
        connection.close()
        raise
    if row is None:
        raise HeartbeatRefused(_("找不到此選課紀錄"))
    return int(row[0]), int(row[1])


def _credit_portable(enrolment_id: int, user_id: int, now: int, credit_from: int, credit_to: int) -> tuple[int, int]:
    """Other databases (SQLite): the same two updates in one short transaction. SQLite serialises writers."""
    credited = 0
    with transaction.atomic(), connection.cursor() as cursor:
        if credit_to > credit_from:
            cursor.execute(
                f"UPDATE {_CLOCK} SET prev_credited_ms = last_credited_ms, last_credited_ms = %s "  # noqa: S608
                "WHERE user_id = %s AND last_credited_ms < %s RETURNING prev_credited_ms",
                [credit_to, user_id, credit_to],
            )
            row = cursor.fetchone()
            if row is not None:
                credited = credit_to - max(row[0], credit_from)
        cursor.execute(
            f"UPDATE {_ENROLMENT} SET reading_ms = reading_ms + %s, last_beat_ms = %s "  # noqa: S608
            "WHERE id = %s AND user_id = %s RETURNING reading_ms",
            [credited, now, enrolment_id, user_id],
        )
        row = cursor.fetchone()
        if row is None:
            # Rolls back the clock update too: time is never credited to nothing.
            raise HeartbeatRefused(_("找不到此選課紀錄"))
    return credited, row[0]
