"""The pages work under the Content-Security-Policy: Chromium reports no violation.

Every page listens for `securitypolicyviolation` from the first script on; the charts must
still draw, the globe start and Swagger UI render, so a policy that blocks them fails here.
"""

from __future__ import annotations

import pytest
from django.core.files import File

from audits.models import AuditJob
from audits.services import audit_create, audit_run
from factories.models import Factory
from tests.builders import TEST_PASSWORD
from tests.e2e.test_browser import DESKTOP, chromium  # noqa: F401  (fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ` +
    `${event.sourceFile}:${event.lineNumber}`
  );
});
"""


@pytest.fixture
def csp_page(chromium):  # noqa: F811
    context = chromium.new_context(viewport=DESKTOP, color_scheme="light")
    context.set_default_timeout(20_000)
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    page.console_csp = []
    page.on(
        "console",
        lambda message: (
            page.console_csp.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    context.close()


def test_no_csp_violation_on_the_pages(
    csp_page, live_server, configured_factors, officer, organization, sample_csv
):
    with sample_csv.open("rb") as handle:
        job = audit_create(
            organization=organization,
            uploaded_file=File(handle, name="a.csv"),
            reporting_year=2026,
            created_by=officer,
            enqueue=False,
        )
    assert audit_run(job_id=job.pk).status == AuditJob.Status.SUCCEEDED
    factory = Factory.objects.filter(organization=organization).first()

    page = csp_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_selector("h1:has-text('Overview')")

    checks = {
        "/": "#globe[data-ready='true']",
        f"/audits/{job.pk}/": "canvas[data-drawn='true']",
        "/audits/upload/": "#dropzone",
        f"/factories/{factory.pk}/": "canvas[data-drawn='true']",
        "/api/docs/": ".swagger-ui .info",
    }
    for path, ready in checks.items():
        page.goto(f"{live_server.url}{path}")
        page.wait_for_selector(ready, state="attached")
        page.wait_for_timeout(300)
        violations = page.evaluate("window.__cspViolations")
        assert violations == [], (path, violations)
    assert page.console_csp == []
