"""PostgreSQL: an upload's rows go into the ledger by COPY while the rest of the file is still being read.

The job's own connection holds one transaction and one `COPY hours_ledgerentry … FROM STDIN` open for the whole file;
each checked chunk is written to it at once, so the database files rows on its own core while Python reads the next
chunk. A connection in the middle of a COPY cannot run queries, so a second, autocommit connection (`SideConnection`)
answers the questions asked along the way: who the people are, which references the ledger already holds, and how
far the job has got. It sees committed data only, which is why jobs.py streams only outside an outer transaction.

No row is written whose reference the ledger held when its chunk was checked. An upload of the same rows committed
by someone else after that check makes the COPY fail on the unique (source_kind, source_reference) key; the caller
then does the job again the conflict-tolerant way (jobs.commit_rows).

The ledger's foreign keys are checked once for the whole COPY instead of once per row, where the connection may do
so (`copy`, docs/adr/0010-hours-upload-set-based-reference-check.md): the per-row checks were a quarter of the
database's work for an upload, all of it after the last row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import psycopg
import psycopg.copy
from django.conf import settings
from django.db import IntegrityError, connection

from civlearn.hours import batch, rules
from civlearn.hours.models import CategoryTable, ImportJob, LedgerEntry
from civlearn.registry.models import Person

# The row's own values first, then what every row of one job shares (written once as a ready-made tail).
COLUMNS = (
    "person_id", "source_reference", "course_name", "course_code", "period", "score", "certificate_no",
    "attendance_note", "category_code", "county_code", "degree_credit", "mode", "hours_unit", "digital_hours",
    "physical_hours", "certified_hours", "job_related", "self_applied_leave", "course_start", "course_end",
    "actual_start", "actual_end", "year", "category_table_id",
    "institution_code", "source_kind", "reason", "created_by_id", "created_at",
)  # fmt: skip
COPY_SQL = f"COPY {LedgerEntry._meta.db_table} ({', '.join(COLUMNS)}) FROM STDIN"
# The text format's escapes (PostgreSQL "COPY", text format): backslash first, then the separators it uses.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_FLAG = {True: "t", False: "f"}
_MEMO_LIMIT = 20_000


def _text(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_ESCAPES)
    return value


class CopyLines:
    """Turns checked rows into lines of COPY's text format for the ledger, in `COLUMNS` order."""

    def __init__(
        self,
        *,
        book: rules.RuleBook,
        institution_code: str,
        source_kind: str,
        created_at: dt.datetime,
        actor_id: int | None = None,
    ) -> None:
        self._book = book
        self._zone = batch.local_zone()
        # What the lines refer to, for check_references: the rows' foreign keys, collected where the lines are made.
        self.person_ids: set[int] = set()
        self.table_ids: set[int] = set()
        self.user_ids: set[int] = set() if actor_id is None else {actor_id}
        self._tail = "\t".join(
            (
                _text(institution_code),
                source_kind,
                "",
                "\\N" if actor_id is None else str(actor_id),
                created_at.isoformat(),
            )
        )
        # Rows of one course run share their moments (the parser hands out the same objects), and a file uses a
        # few hour figures: their text is worked out once.
        self._moments: dict[tuple[dt.datetime, ...], str] = {}
        self._hours: dict[tuple, str] = {}

    def lines(self, rows: Iterable[batch.UploadRow]) -> str:
        out = []
        person_ids = self.person_ids
        for row in rows:
            person_ids.add(row.person_id)
            moments = self._moments.get(key := (row.course_start, row.course_end, row.actual_start, row.actual_end))
            if moments is None:
                if len(self._moments) > _MEMO_LIMIT:
                    self._moments.clear()
                moments = self._moments[key] = self._moments_text(*key)
            hours = self._hours.get(
                key := (row.mode, row.hours_unit, row.digital_hours, row.physical_hours, row.certified_hours,
                        row.job_related, row.self_applied_leave)
            )  # fmt: skip
            if hours is None:
                if len(self._hours) > _MEMO_LIMIT:
                    self._hours.clear()
                hours = self._hours[key] = "\t".join(
                    (str(key[0]), _text(key[1]), str(key[2]), str(key[3]), str(key[4]), _FLAG[key[5]], _FLAG[key[6]])
                )
            # Lengths as the ledger's columns allow; the parser has checked the others. One test for the escapes of
            # the whole row's text: most rows need none.
            texts = "\t".join(
                (row.course_name, row.course_code, row.period, row.score[:20], row.certificate_no[:100],
                 row.attendance_note[:200], row.category_code, row.county_code, row.degree_credit)
            )  # fmt: skip
            if "\\" in texts or "\n" in texts or "\r" in texts or texts.count("\t") != 8:
                texts = "\t".join(
                    map(_text, (row.course_name, row.course_code, row.period, row.score[:20],
                                row.certificate_no[:100], row.attendance_note[:200], row.category_code,
                                row.county_code, row.degree_credit))
                )  # fmt: skip
            out.append(f"{row.person_id}\t{row.source_reference}\t{texts}\t{hours}\t{moments}\t{self._tail}\n")
        return "".join(out)

    def _moments_text(
        self, course_start: dt.datetime, course_end: dt.datetime, actual_start: dt.datetime, actual_end: dt.datetime
    ) -> str:
        # The year and the code table follow the actual end date in local time, as in jobs.commit_rows.
        day = actual_end.astimezone(self._zone).date()
        table = self._book.table_for(day)
        assert table is not None, "the parser only passes codes of a table in force"
        self.table_ids.add(table[0])
        return "\t".join(
            (
                course_start.isoformat(),
                course_end.isoformat(),
                actual_start.isoformat(),
                actual_end.isoformat(),
                str(day.year),
                str(table[0]),
            )
        )


@contextmanager
def copy(cursor, lines: CopyLines) -> Iterator[psycopg.Copy]:
    """The COPY into the ledger on the job's connection (`cursor`: a Django cursor on it, inside a transaction), for
    the lines `lines` makes.

    The queued writer hands the data to a thread that sends it, so `write` returns at once and the parser goes on
    with the next chunk while the database is still filing this one (the plain writer waits whenever the socket's
    buffer is full, which keeps the two cores taking turns).

    Where the connection may set `session_replication_role`, the COPY runs with it set to `replica` for this
    transaction only, which leaves out the foreign keys' per-row triggers (≈ 11 µs of the database's time a row, run
    one by one at COMMIT); once the COPY has ended the role is set back and `check_references` makes the same checks
    for all the rows at once, before anything can be committed. Indexes, the unique key and CHECK constraints are
    not triggers and apply as always. Elsewhere the per-row checks run as before.
    """
    set_based = set_based_checks_allowed(cursor)
    if set_based:
        cursor.execute("SET LOCAL session_replication_role = replica")
    raw = cursor.connection.cursor()
    with raw.copy(COPY_SQL, writer=psycopg.copy.QueuedLibpqWriter(raw)) as ledger:
        yield ledger
    if set_based:
        cursor.execute("SET LOCAL session_replication_role = origin")
        check_references(cursor, lines)


def set_based_checks_allowed(cursor) -> bool:
    """Whether this connection may leave the per-row foreign-key checks out of its COPY: a superuser, or (PostgreSQL
    15 and later) a role granted `SET ON PARAMETER session_replication_role`. HOURS_UPLOAD_SET_BASED_CHECKS = False
    keeps the per-row checks everywhere."""
    if not getattr(settings, "HOURS_UPLOAD_SET_BASED_CHECKS", True):
        return False
    if cursor.connection.info.server_version >= 150000:
        cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
    else:
        cursor.execute("SELECT current_setting('is_superuser') = 'on'")
    return bool(cursor.fetchone()[0])


def check_references(cursor, lines: CopyLines) -> None:
    """What the ledger's foreign keys check for each row, for all the rows `lines` made at once: each person, code
    table and creator they refer to exists, and is locked FOR KEY SHARE (the lock each row's check takes) until the
    transaction ends, so that it cannot be deleted, nor its key changed, before the rows are committed. Raises
    IntegrityError when one is missing; the caller's transaction is then rolled back."""
    from django.contrib.auth import get_user_model

    for model, ids in (
        (Person, lines.person_ids),
        (CategoryTable, lines.table_ids),
        (get_user_model(), lines.user_ids),
    ):
        if not ids:
            continue
        table = model._meta.db_table
        cursor.execute(
            f"SELECT count(*) FROM (SELECT FROM {table} WHERE id = ANY(string_to_array(%s, ',')::bigint[]) "  # noqa: S608
            "FOR KEY SHARE) AS locked",
            [",".join(map(str, ids))],
        )
        (found,) = cursor.fetchone()
        if found != len(ids):
            raise IntegrityError(f"the upload refers to {len(ids) - found} row(s) of {table} that do not exist")


class SideConnection:
    """A second connection to the same database, in autocommit, for look-ups while the job's connection copies."""

    def __init__(self) -> None:
        params = connection.get_connection_params()
        self._connection = psycopg.connect(**params)
        self._connection.autocommit = True
        # Every question here is a list of keys looked up through a unique index. With thousands of keys the planner
        # prefers a parallel scan of the whole table (≈ 65 ms and three processes for 5,000 of 350,000 people),
        # which takes the cores the COPY needs; the index answers in a few milliseconds.
        self._connection.execute("SET enable_seqscan = off")
        self._connection.execute("SET max_parallel_workers_per_gather = 0")

    def close(self) -> None:
        self._connection.close()

    def people(self, ids: Iterable[str]) -> dict[str, int]:
        """{national_id: person id} of those in the registry (batch.parse_upload's `people_for`)."""
        table = Person._meta.db_table
        with self._connection.cursor() as cursor:
            cursor.execute(
                f"SELECT national_id, id FROM {table} WHERE national_id = ANY(string_to_array(%s, ','))",  # noqa: S608
                [_joined(ids)],
            )
            return dict(cursor.fetchall())

    def present(self, references: Sequence[str], kinds: Sequence[str]) -> set[str]:
        """The references among `references` that the ledger holds under one of `kinds` (committed rows)."""
        table = LedgerEntry._meta.db_table
        with self._connection.cursor() as cursor:
            cursor.execute(
                f"SELECT source_reference FROM {table} "  # noqa: S608
                "WHERE source_kind = ANY(%s) AND source_reference = ANY(string_to_array(%s, ','))",
                [list(kinds), _joined(references)],
            )
            return {reference for (reference,) in cursor.fetchall()}

    def progress(self, job_id: int, percent: int) -> None:
        with self._connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {ImportJob._meta.db_table} SET progress = %s WHERE id = %s",  # noqa: S608
                [max(0, min(99, percent)), job_id],
            )


def _joined(values: Iterable[str]) -> str:
    """Many keys as one comma-separated parameter: a list parameter costs a Python call per element to send.
    National IDs (checked by the parser) and references (hexadecimal) hold no comma."""
    return ",".join(values)


# A concurrent upload of the same rows: the unique key refused a row, or the two COPYs waited on each other.
CONFLICTS = (psycopg.errors.UniqueViolation, psycopg.errors.TransactionRollback)
