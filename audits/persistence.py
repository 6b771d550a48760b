"""Writing one audit's rows in bulk: PostgreSQL COPY, ``bulk_create`` elsewhere.

A million-row upload makes tens of thousands of factories and results. ``INSERT``
batches cost a round trip and a parse per batch; COPY streams them in one statement.
Both paths run inside the caller's transaction, so a failure leaves nothing behind.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Collection, Iterable, Sequence

import numpy as np
import pandas as pd
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from audits.engine import FACTORY_DETAIL_COLUMNS, AuditOutcome
from factories.models import Factory, Organization
from factories.selectors import factory_field_by_code

from .models import FactoryResult

BATCH_SIZE = 5000
# After this many rows in one go the planner's row estimates are far off until
# autovacuum analyzes the table: a fresh 83,000-factory job was planned as 15 rows, and
# its API page sorted the whole job (230 ms) instead of reading an index (8 ms).
ANALYZE_AFTER_ROWS = 10_000

_RESULT_FIELDS = (
    "job",
    "factory",
    "factory_code",
    "sector",
    "monthly_emissions_kg",
    "production_kg",
    "energy_kg",
    "material_kg",
    "total_emissions_kg",
    "carbon_cap_kg",
    "status",
    "first_breach_month",
    "alerts_count",
    "months_reported",
    "projected_annual_kg",
    "max_monthly_emissions_kg",
    "avg_monthly_emissions_kg",
)


def uses_copy() -> bool:
    return connection.vendor == "postgresql"


def statistics_refresh_after_bulk_insert(*, rows: int) -> None:
    """VACUUM (ANALYZE) the results after a large job; ANALYZE the factories (PostgreSQL).

    Fresh statistics keep the job's pages on the indexes, and the vacuum marks the new
    pages all-visible so that counting a job's results (every paginated page does) is
    an index-only scan: 14 ms instead of 124 ms for 83,000 results. Run after the
    results are committed, so it never delays SUCCEEDED; it blocks no reader or writer.
    """
    if rows < ANALYZE_AFTER_ROWS or not uses_copy():
        return
    results = connection.ops.quote_name(FactoryResult._meta.db_table)
    factories = connection.ops.quote_name(Factory._meta.db_table)
    with connection.cursor() as cursor:
        if connection.in_atomic_block:  # VACUUM cannot run in a transaction
            cursor.execute(f"ANALYZE {results}")
        else:
            cursor.execute(f"VACUUM (ANALYZE) {results}")
        cursor.execute(f"ANALYZE {factories}")


def results_transaction_tune() -> None:
    """Let the results transaction commit at once: constraints checked as rows arrive,
    and the commit not waiting for its WAL to reach disk.

    A million-row audit writes tens of thousands of results and their index entries;
    waiting for that WAL to be flushed made the commit take up to a second. With
    ``synchronous_commit`` off for this transaction only, a crash of the database
    server within a fraction of a second after the commit can lose the transaction
    whole (never part of it): the job is then still RUNNING, and the stalled-job sweep
    runs it again from its stored file. Nothing else changes: every other transaction
    keeps the server's setting.
    """
    if uses_copy() and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            # Django's foreign keys are checked at commit (DEFERRABLE INITIALLY
            # DEFERRED): 83,000 results made COMMIT take a second. Checked as each row
            # arrives instead, the work happens while the factories are still audited.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def finite_or_none(value: object, low: float, high: float) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and low <= number <= high else None


def monthly_values(values: Iterable[float | None]) -> list[float | None]:
    return [None if v is None or not math.isfinite(v) else float(v) for v in values]


def factory_ids_by_code(
    *, organization: Organization, codes: Collection[str] | None = None
) -> dict[str, int]:
    """Factory id by code, for the organization's factories (with ``codes``: those)."""
    return factory_field_by_code(organization=organization, field="id", codes=codes)


# --- COPY payloads, built by pyarrow a block at a time ---------------------------------
#
# COPY ... (FORMAT csv): pyarrow quotes every text value (a quoted empty string stays an
# empty string) and leaves NULL unquoted and empty, which is what PostgreSQL reads.
# Building the lines in Python cost ~20 us a row (1.7 s for 83,334 results).


def _csv_payload(table) -> bytes:
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    sink = pa.BufferOutputStream()
    pa_csv.write_csv(table, sink, write_options=pa_csv.WriteOptions(include_header=False))
    return sink.getvalue().to_pybytes()


def _finite(name: str, values: Sequence[float]) -> np.ndarray:
    array = np.asarray(values, dtype="float64")
    if not np.isfinite(array).all():
        raise ValueError(f"a result figure ({name}) is not finite")
    return array


def _optional_coordinates(values: Sequence[float | None], limit: float):
    import pyarrow as pa

    array = np.asarray(values, dtype="float64")  # None -> NaN
    with np.errstate(invalid="ignore"):
        usable = np.isfinite(array) & (np.abs(array) <= limit)
    return pa.array(array, mask=~usable, type=pa.float64())


def monthly_json(monthly: np.ndarray):
    """Each row of an (n, 12) array as a JSON array; NaN (a month not reported) -> null.

    Numbers keep their shortest round-trip form, and whole numbers a ".0", as
    ``json.dumps`` writes a float.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if monthly.size and not np.isfinite(monthly[~np.isnan(monthly)]).all():
        raise ValueError("a monthly figure is not finite")
    parts = []
    for index in range(monthly.shape[1]):
        column = monthly[:, index]
        text = pc.cast(pa.array(column, mask=np.isnan(column)), pa.string())
        whole = pc.match_substring_regex(text, r"^-?\d+$")
        text = pc.if_else(whole, pc.binary_join_element_wise(text, ".0", ""), text)
        parts.append(pc.fill_null(text, "null"))
    return pc.binary_join_element_wise("[", pc.binary_join_element_wise(*parts, ", "), "]", "")


def _factories_payload(factories: pd.DataFrame, sector_ids: dict[str, int]) -> bytes:
    import pyarrow as pa
    import pyarrow.compute as pc

    def text(name: str, length: int):
        values = pa.array(factories[name].astype(str).tolist(), type=pa.string())
        return pc.utf8_slice_codeunits(values, 0, length)

    table = pa.table(
        {
            "code": pa.array(factories["factory_id"].astype(str).tolist(), type=pa.string()),
            "name": text("factory_name", 200),
            "sector_id": pa.array(
                [sector_ids[name] for name in factories["sector"].astype(str).tolist()],
                type=pa.int64(),
            ),
            "country": text("country", 100),
            "latitude": _optional_coordinates(factories["latitude"].tolist(), 90.0),
            "longitude": _optional_coordinates(factories["longitude"].tolist(), 180.0),
        }
    )
    return _csv_payload(table)


def _results_payload(job_id: uuid.UUID, part: AuditOutcome, factory_ids: dict[str, int]) -> bytes:
    import pyarrow as pa

    count = len(part)
    codes = part.column("factory_id")
    breach = part.column("first_breach_month")
    columns = {
        "job": pa.array([str(job_id)] * count, type=pa.string()),
        "factory": pa.array([factory_ids[code] for code in codes], type=pa.int64()),
        "factory_code": pa.array(codes, type=pa.string()),
        "sector": pa.array(part.column("sector"), type=pa.string()),
        "monthly_emissions_kg": monthly_json(part.column("monthly_emissions_kg")),
        "status": pa.array(part.column("status"), type=pa.string()),
        "first_breach_month": pa.array(breach, mask=breach == 0, type=pa.int64()),
        "alerts_count": pa.array(part.column("alerts_count"), type=pa.int64()),
        "months_reported": pa.array(part.column("months_reported"), type=pa.int64()),
    }
    for name in _RESULT_FIELDS[5:]:
        if name not in columns:
            columns[name] = pa.array(_finite(name, part.column(name)), type=pa.float64())
    return _csv_payload(pa.table({name: columns[name] for name in _RESULT_FIELDS}))


def factories_insert(
    *,
    organization: Organization,
    factories: pd.DataFrame,
    sector_ids: dict[str, int],
) -> dict[str, int]:
    """Register new factories; a code registered meanwhile by another job is left alone.

    ``factories`` has one row per factory: factory_id, factory_name, sector, country,
    latitude and longitude (``audits.engine.factory_details``). Returns the ids of the
    factories inserted here by code, where the database tells them (PostgreSQL).
    """
    if factories.empty:
        return {}
    if not uses_copy():
        Factory.objects.bulk_create(
            [
                Factory(
                    organization=organization,
                    code=code,
                    name=(name or "")[:200],
                    sector_id=sector_ids[sector],
                    country=(country or "")[:100],
                    latitude=finite_or_none(latitude, -90, 90),
                    longitude=finite_or_none(longitude, -180, 180),
                )
                for code, name, sector, country, latitude, longitude in zip(
                    *(factories[column].tolist() for column in FACTORY_DETAIL_COLUMNS),
                    strict=True,
                )
            ],
            batch_size=BATCH_SIZE,
            ignore_conflicts=True,
        )
        return {}
    payload = _factories_payload(factories, sector_ids)
    table = connection.ops.quote_name(Factory._meta.db_table)
    with connection.cursor() as cursor:
        # COPY cannot skip conflicting rows; a temporary table plus INSERT ... ON
        # CONFLICT DO NOTHING keeps the "first registration wins" behaviour.
        cursor.execute(
            "CREATE TEMPORARY TABLE carbontrace_new_factories (code text, name text, "
            "sector_id bigint, country text, latitude double precision, "
            "longitude double precision) ON COMMIT DROP"
        )
        with cursor.cursor.copy(
            "COPY carbontrace_new_factories (code, name, sector_id, country, latitude, "
            "longitude) FROM STDIN (FORMAT csv)"
        ) as copy:
            copy.write(payload)
        cursor.execute(
            f"INSERT INTO {table} (organization_id, code, name, sector_id, country, latitude, "
            "longitude, carbon_cap_kg, created_at) "
            "SELECT %s, code, name, sector_id, country, latitude, longitude, NULL, %s "
            "FROM carbontrace_new_factories "
            "ON CONFLICT (organization_id, code) DO NOTHING RETURNING code, id",
            [organization.pk, timezone.now()],
        )
        inserted = dict(cursor.fetchall())
        cursor.execute("DROP TABLE carbontrace_new_factories")
    return inserted


def factory_results_insert(
    *,
    job_id: uuid.UUID,
    outcomes: Iterable[AuditOutcome],
    factory_ids: dict[str, int],
    database: BaseDatabaseWrapper | None = None,
) -> int:
    """Insert one FactoryResult per audited factory of ``outcomes``; returns how many.

    ``outcomes`` is consumed as it comes: it may be a generator that yields parts of an
    audit (``audit_frame``'s blocks) while the rest is being audited, and each part is
    streamed to PostgreSQL as it arrives. ``database`` is the connection (default: this
    thread's) whose transaction receives the rows; on PostgreSQL another thread may do
    the writing on it while its owner, which must not use it meanwhile, goes on with
    other work.
    """
    if not uses_copy():
        objects = [
            FactoryResult(
                job_id=job_id,
                factory_id=factory_ids[item.factory_id],
                factory_code=item.factory_id,
                sector=item.sector,
                monthly_emissions_kg=monthly_values(item.monthly_emissions_kg),
                **{name: getattr(item, name) for name in _RESULT_FIELDS[5:]},
            )
            for part in outcomes
            for item in part.factories
        ]
        FactoryResult.objects.bulk_create(objects, batch_size=BATCH_SIZE)
        return len(objects)
    database = database or connections[DEFAULT_DB_ALIAS]
    meta = FactoryResult._meta
    columns = ", ".join(
        database.ops.quote_name(meta.get_field(name).column) for name in _RESULT_FIELDS
    )
    table = database.ops.quote_name(meta.db_table)
    count = 0
    if database.connection is None:
        database.ensure_connection()
    with (
        database.wrap_database_errors,
        database.connection.cursor() as cursor,
        cursor.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)") as copy,
    ):
        for part in outcomes:
            if len(part):
                copy.write(_results_payload(job_id, part, factory_ids))
                count += len(part)
    return count
