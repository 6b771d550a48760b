"""`manage.py bench` (`make bench`): time audits through the real path, then the pages.

Upload through the API -> Celery worker process(es) -> PostgreSQL -> artifacts ->
SUCCEEDED, for a 600-row sample and a dirty 1,000,000-row file (83,334 factories x 12
months, ~2% dirty rows), with one worker (single pass), one worker (partitions) and
two workers (partitions in parallel). Then the dashboard, the factories table and the
factories API of the million-row audit, 50 requests each. Prints a table and writes
docs/benchmarks.md.

Run it through `make bench`, which points DATABASE_URL at a benchmark database (created
here if missing) and REDIS_URL at a Redis; never against production.
"""

from __future__ import annotations

import io
import os
import platform
import shutil
import statistics
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from carbontrace_site.celery import solo_worker_argv

BENCH_ROWS = 1_000_000
BENCH_PARTITION_ROWS = 250_000  # the partitioned runs split the million rows in 4
SAMPLE_SEED = 2026
REQUESTS_PER_PAGE = 50
WAIT_SECONDS = 600
BENCH_ORGANIZATION = "Carbon-Trace Bench"
BENCH_USER = "bench-officer"
NOTES_HEADING = "## Notes"


@dataclass
class RunResult:
    label: str
    rows: int
    workers: int
    post_s: float
    end_to_end_s: float
    peak_rss_mb: float
    timings: dict = field(default_factory=dict)
    job_id: str = ""
    status: str = ""


class PeakMemory:
    """Samples the resident memory of worker process trees every 20 ms."""

    def __init__(self, pids: list[int]) -> None:
        import psutil

        self._processes = [psutil.Process(pid) for pid in pids]
        self._stop = threading.Event()
        self.peak_bytes = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _tree_rss(self, process) -> int:
        import psutil

        total = 0
        try:
            for member in [process, *process.children(recursive=True)]:
                total += member.memory_info().rss
        except psutil.Error:
            pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            # The largest single worker tree: each worker runs on its own host in production.
            peak = max((self._tree_rss(p) for p in self._processes), default=0)
            self.peak_bytes = max(self.peak_bytes, peak)
            self._stop.wait(0.02)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


class Workers:
    """N Celery worker processes (solo pool, one task at a time each) on a private queue."""

    def __init__(self, count: int, *, queue: str, env: dict[str, str], log_dir: Path) -> None:
        self.count = count
        self.queue = queue
        self.env = env
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    def __enter__(self) -> Workers:
        for number in range(self.count):
            log_path = self.log_dir / f"worker-{number}.log"
            self.logs.append(log_path)
            with log_path.open("w") as log:
                self.processes.append(
                    subprocess.Popen(
                        solo_worker_argv(
                            queue=self.queue, hostname=f"bench{number}-{os.getpid()}@%h"
                        ),
                        cwd=settings.BASE_DIR,
                        env=self.env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        for process, log in zip(self.processes, self.logs, strict=True):
            while " ready." not in log.read_text():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise CommandError(f"A Celery worker did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.1)

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self.processes]

    def __exit__(self, *exc) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


def load_average() -> str:
    try:
        return " / ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "n/a"


def machine_description() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        import psutil

        memory = f", {psutil.virtual_memory().total / 2**30:.1f} GiB RAM"
    except ImportError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    return (
        f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores{memory}; "
        f"Python {platform.python_version()}, PostgreSQL {postgres}"
    )


class Command(BaseCommand):
    help = "Benchmark audits end to end (API -> worker -> PostgreSQL) and the result pages."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--rows", type=int, default=BENCH_ROWS)
        parser.add_argument("--requests", type=int, default=REQUESTS_PER_PAGE)
        parser.add_argument(
            "--output", default=str(Path(settings.BASE_DIR) / "docs" / "benchmarks.md")
        )
        parser.add_argument("--skip-partitioned", action="store_true")
        parser.add_argument(
            "--partition-rows",
            type=int,
            default=BENCH_PARTITION_ROWS,
            help="rows per partition in the partitioned runs",
        )

    # --- setup -------------------------------------------------------------------

    def handle(self, *args, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(
                "The benchmark runs on PostgreSQL: set DATABASE_URL (make bench does)."
            )
        self.partition_rows = options["partition_rows"]
        self._create_database()
        self._check_redis()
        self.work_dir = Path(settings.BASE_DIR) / "var" / "bench"
        self.work_dir.mkdir(parents=True, exist_ok=True)
        call_command("migrate", verbosity=0, interactive=False)
        call_command("load_factors", stdout=io.StringIO())
        self.organization, self.user, self.token = self._bench_account()
        self._forget_previous_runs()

        sample, million = self._inputs(options["rows"])
        load_before = load_average()
        runs: list[RunResult] = []
        huge = 10**12  # partitioning off
        runs.append(self._run("600-row sample", sample, 600, workers=1, partition_rows=huge))
        runs.append(
            self._run(
                f"{options['rows']:,} rows, single pass",
                million,
                options["rows"],
                workers=1,
                partition_rows=huge,
            )
        )
        single = runs[-1]
        if not options["skip_partitioned"]:
            partition_rows = self.partition_rows
            for workers in (1, 2):
                runs.append(
                    self._run(
                        f"{options['rows']:,} rows, partitions, {workers} worker(s)",
                        million,
                        options["rows"],
                        workers=workers,
                        partition_rows=partition_rows,
                    )
                )
        pages = self._time_pages(single.job_id, options["requests"])
        load_after = load_average()
        report = self._report(runs, pages, load_before, load_after, options["requests"])
        self.stdout.write(report)
        output = Path(options["output"])
        output.parent.mkdir(parents=True, exist_ok=True)
        # Hand-written analysis below a "## Notes" heading survives a new run.
        previous = output.read_text(encoding="utf-8") if output.exists() else ""
        notes = previous[previous.find(NOTES_HEADING) :] if NOTES_HEADING in previous else ""
        output.write_text(report + ("\n" + notes if notes else ""), encoding="utf-8")
        self.stdout.write(f"\nWritten to {output}")

    def _create_database(self) -> None:
        """Create the benchmark database on first use (the server must exist)."""
        from django.db.utils import OperationalError

        try:
            connection.ensure_connection()
            return
        except OperationalError as exc:
            if "does not exist" not in str(exc):
                raise CommandError(f"PostgreSQL is not reachable: {exc}") from None
        import psycopg
        from psycopg import sql

        db = connection.settings_dict
        with psycopg.connect(
            dbname="postgres",
            user=db.get("USER") or None,
            password=db.get("PASSWORD") or None,
            host=db.get("HOST") or None,
            port=db.get("PORT") or None,
            autocommit=True,
        ) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
        self.stdout.write(f"Created the database {db['NAME']}.")

    def _check_redis(self) -> None:
        import redis

        try:
            redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=2).ping()
        except (redis.RedisError, OSError) as exc:
            raise CommandError(
                f"Redis is not reachable at {settings.CELERY_BROKER_URL} ({exc}); start one "
                "or set REDIS_URL."
            ) from None

    def _bench_account(self):
        from django.contrib.auth import get_user_model
        from rest_framework.authtoken.models import Token

        from factories.models import Membership, Organization

        organization, _ = Organization.objects.get_or_create(name=BENCH_ORGANIZATION)
        user, _ = get_user_model().objects.get_or_create(username=BENCH_USER)
        Membership.objects.update_or_create(
            user=user,
            defaults={"organization": organization, "role": Membership.Role.OFFICER},
        )
        token, _ = Token.objects.get_or_create(user=user)
        return organization, user, token.key

    def _forget_previous_runs(self) -> None:
        from audits.models import AuditJob

        for job in AuditJob.objects.filter(organization=self.organization):
            shutil.rmtree(Path(settings.MEDIA_ROOT) / "audits" / str(job.pk), ignore_errors=True)
            job.delete()

    def _inputs(self, rows: int) -> tuple[Path, Path]:
        """The sample and the dirty file, made by the project's generators (deterministic)."""
        from audits.engine import generate_dirty_frame, write_sample_csv

        sample = self.work_dir / "sample_600.csv"
        write_sample_csv(sample, seed=SAMPLE_SEED)
        million = self.work_dir / f"dirty_{rows}.csv"
        if not million.exists():
            self.stdout.write(f"Generating {million.name} ...")
            import pyarrow as pa
            from pyarrow import csv as pa_csv

            frame = generate_dirty_frame(rows=rows, seed=SAMPLE_SEED)
            table = pa.Table.from_pandas(frame, preserve_index=False)
            partial = million.with_suffix(".partial")
            pa_csv.write_csv(
                table, partial, write_options=pa_csv.WriteOptions(quoting_style="needed")
            )
            partial.rename(million)
        return sample, million

    # --- one audit through the real path ---------------------------------------------

    def _worker_env(self, partition_rows: int, queue: str) -> dict[str, str]:
        db = connection.settings_dict
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get(
                "DJANGO_SETTINGS_MODULE", "carbontrace_site.settings.bench"
            ),
            "DATABASE_URL": (
                f"postgres://{db.get('USER') or ''}{password}@{db.get('HOST') or 'localhost'}"
                f"{port}/{db['NAME']}"
            ),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "REDIS_URL": settings.CELERY_BROKER_URL,
            "CARBONTRACE_QUEUE": queue,
            "CARBONTRACE_PARTITION_ROWS": str(partition_rows),
        }

    def _run(self, label, path: Path, rows: int, *, workers: int, partition_rows: int) -> RunResult:
        from django.test import Client

        from audits.models import AuditJob
        from carbontrace_site.celery import app

        queue = settings.CELERY_TASK_DEFAULT_QUEUE
        self.stdout.write(f"- {label}: {workers} worker(s) ...")
        env = self._worker_env(partition_rows, queue)
        with Workers(workers, queue=queue, env=env, log_dir=self.work_dir) as pool:
            app.control.purge()
            client = Client(HTTP_AUTHORIZATION=f"Token {self.token}")
            with PeakMemory(pool.pids) as memory:
                started = time.perf_counter()
                with path.open("rb") as handle:
                    response = client.post(
                        "/api/v1/audits/", {"file": handle, "reporting_year": 2026}
                    )
                accepted = time.perf_counter()
                accepted_wall = time.time()
                if response.status_code != 202:
                    raise CommandError(
                        f"The upload was refused ({response.status_code}): "
                        f"{response.content[:500]!r}"
                    )
                job_id = uuid.UUID(response.json()["id"])
                job = self._wait(job_id, pool)
                finished = time.perf_counter()
                finished_wall = time.time()
        if job.status != AuditJob.Status.SUCCEEDED:
            raise CommandError(f"{label}: the audit {job.status}: {job.error_message}")
        result = RunResult(
            label=label,
            rows=rows,
            workers=workers,
            post_s=accepted - started,
            end_to_end_s=finished - accepted,
            peak_rss_mb=memory.peak_bytes / 2**20,
            timings={
                **(job.summary.get("timings_s") or {}),
                # Upload accepted -> a worker starts the job; the job's last write -> seen.
                "queue": max(0.0, job.started_at.timestamp() - accepted_wall),
                "commit": max(0.0, finished_wall - job.finished_at.timestamp()),
            },
            job_id=str(job.pk),
            status=job.status,
        )
        self.stdout.write(
            f"  upload {result.post_s:.2f} s, accepted -> SUCCEEDED {result.end_to_end_s:.2f} s, "
            f"worker peak {result.peak_rss_mb:.0f} MB, stages {result.timings}"
        )
        return result

    def _wait(self, job_id: uuid.UUID, pool: Workers):
        from audits.models import AuditJob

        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            job = AuditJob.objects.get(pk=job_id)
            if job.is_finished:
                return job
            for process, log in zip(pool.processes, pool.logs, strict=True):
                if process.poll() is not None:
                    raise CommandError(f"A worker died:\n{log.read_text()[-3000:]}")
            time.sleep(0.02)
        raise CommandError(f"Audit {job_id} did not finish within {WAIT_SECONDS} s.")

    # --- pages ----------------------------------------------------------------------

    def _time_pages(self, job_id: str, requests: int) -> list[tuple[str, str, list[float]]]:
        from django.test import Client

        browser = Client()
        browser.force_login(self.user)
        api = Client(HTTP_AUTHORIZATION=f"Token {self.token}")
        pages = [
            ("Dashboard page", browser, f"/audits/{job_id}/"),
            (
                "Factories table (sorted by total, sector Steel)",
                browser,
                f"/audits/{job_id}/?tab=factories&sort=-total&sector=Steel",
            ),
            ("GET /api/v1/audits/{id}/factories/", api, f"/api/v1/audits/{job_id}/factories/"),
        ]
        measured = []
        for label, client, url in pages:
            client.get(url)  # warm the connection and the template cache
            durations = []
            for _ in range(requests):
                started = time.perf_counter()
                response = client.get(url)
                durations.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise CommandError(f"{url} answered {response.status_code}")
            measured.append((label, url, durations))
        return measured

    # --- report ---------------------------------------------------------------------

    def _report(self, runs, pages, load_before, load_after, requests) -> str:
        stages = (
            "queue",
            "read",
            "clean",
            "register",
            "audit",
            "summary_csv",
            "chart",
            "persist",
            "commit",
        )
        lines = [
            "# Carbon-Trace benchmarks",
            "",
            "Measured by `make bench` (`python manage.py bench`): upload through "
            "`POST /api/v1/audits/`, a real Celery worker process (solo pool) per worker, "
            "PostgreSQL, artifacts on disk, until the job is SUCCEEDED.",
            "",
            f"- Machine: {machine_description()}",
            f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
            f"- Load average (1/5/15 min) before: {load_before}; after: {load_after}",
            f"- Partitioned runs: {self.partition_rows:,} "
            "cleaned rows per partition (single pass: partitioning off)",
            "",
            "## Audits, end to end",
            "",
            "Stage columns are seconds inside the worker (from the job's `summary.timings_s`); "
            "*end to end* is upload accepted (202) -> job SUCCEEDED, seen by polling the "
            "database every 20 ms. *queue*: accepted -> a worker starts the job. *register*: "
            "new factories registered and the file's factory ids looked up. *audit*: the "
            "closures, while a second thread streams the results into PostgreSQL (COPY) and "
            "cleaned.csv is written on a third; for partitioned runs it spans dispatch -> "
            "merge (partition files, queueing, parallel audits). *persist*: what PostgreSQL "
            "still had to take in once the chart was drawn. *commit*: the job's last write -> "
            "seen SUCCEEDED. Peak RSS is the largest worker process (MiB).",
            "",
            "| run | workers | "
            + " | ".join(stages)
            + " | other | cleaned.csv (parallel) | upload (s) | end to end (s) | rows/s "
            "| worker peak RSS (MiB) |",
            "|---|---:|" + "---:|" * len(stages) + "---:|---:|---:|---:|---:|---:|",
        ]
        for run in runs:
            known = sum(float(run.timings.get(stage, 0.0)) for stage in stages)
            other = max(0.0, run.end_to_end_s - known)
            cells = [f"{float(run.timings.get(stage, 0.0)):.2f}" for stage in stages]
            lines.append(
                f"| {run.label} | {run.workers} | "
                + " | ".join(cells)
                + f" | {other:.2f} | {float(run.timings.get('cleaned_csv', 0.0)):.2f} | "
                f"{run.post_s:.2f} | {run.end_to_end_s:.2f} | "
                f"{run.rows / run.end_to_end_s:,.0f} | {run.peak_rss_mb:.0f} |"
            )
        lines += [
            "",
            "*other*: the factory codes and sectors already registered, checks, "
            "rejected_rows.csv, the summary dict, progress updates, partition files and the "
            "chord's hand-over. *cleaned.csv* is written beside the audit (before "
            "partitioning on partitioned runs).",
            "",
            f"## Pages of the million-row audit ({requests} requests each, Django test client, "
            "in process)",
            "",
            "| page | median (ms) | p95 (ms) |",
            "|---|---:|---:|",
        ]
        for label, _url, durations in pages:
            lines.append(
                f"| {label} | {statistics.median(durations) * 1000:.1f} | "
                f"{percentile(durations, 0.95) * 1000:.1f} |"
            )
        return "\n".join(lines) + "\n"
