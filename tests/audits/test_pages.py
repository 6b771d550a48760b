"""The web interface: overview, dashboard tabs and tables, history, factories.

Content, organization scoping, server-side sort/filter/pagination kept in the URL, and
query counts that stay flat as the number of factories grows (no N+1).
"""

import json

import pytest
from django.urls import reverse

from audits.models import AuditJob, FactoryResult
from tests.builders import (
    AuditJobFactory,
    FactoryFactory,
    FactoryResultFactory,
    MembershipFactory,
    SectorFactory,
)

pytestmark = pytest.mark.django_db


def succeeded_job(organization, *, factories: int, year: int = 2026, created_by=None) -> AuditJob:
    """A SUCCEEDED job with `factories` results over two sectors, every third over its cap."""
    steel = SectorFactory(name="Steel", carbon_cap_kg=90_000_000)
    textile = SectorFactory(name="Textile", carbon_cap_kg=7_500_000)
    job = AuditJobFactory(
        organization=organization,
        reporting_year=year,
        status=AuditJob.Status.SUCCEEDED,
        progress=100,
        created_by=created_by,
    )
    results = []
    for n in range(factories):
        sector = steel if n % 2 == 0 else textile
        factory = organization.factories.filter(code=f"FAC_{n:03d}").first() or FactoryFactory(
            organization=organization, code=f"FAC_{n:03d}", name=f"Plant {n}", sector=sector
        )
        over = n % 3 == 0
        total = (sector.carbon_cap_kg * 1.2) if over else 1_000_000.0 + n * 1000
        results.append(
            FactoryResultFactory.build(
                job=job,
                factory=factory,
                factory_code=factory.code,
                sector=sector.name,
                monthly_emissions_kg=[total / 12] * 12,
                total_emissions_kg=total,
                carbon_cap_kg=sector.carbon_cap_kg,
                status="EXCEEDED" if over else "COMPLIANT",
                first_breach_month=10 if over else None,
                alerts_count=3 if over else 0,
            )
        )
    FactoryResult.objects.bulk_create(results)
    over_cap = sum(1 for r in results if r.status == "EXCEEDED")
    job.summary = {
        "summary": {
            "total_factories": factories,
            "total_emissions_kg": sum(r.total_emissions_kg for r in results),
            "total_emissions_tons": sum(r.total_emissions_kg for r in results) / 1000,
            "total_alerts": over_cap * 3,
            "factories_over_cap": over_cap,
        },
        "sector_breakdown": {
            name: {
                "factories": sum(1 for r in results if r.sector == name),
                "total_emissions_kg": sum(
                    r.total_emissions_kg for r in results if r.sector == name
                ),
                "avg_per_factory_kg": 1.0,
                "over_cap": sum(1 for r in results if r.sector == name and r.status == "EXCEEDED"),
            }
            for name in ("Steel", "Textile")
        },
        "violators": [],
        "rows": {"read": factories * 12, "cleaned": factories * 12, "rejected": 0},
    }
    job.cleaning_report = [
        {
            "number": i,
            "name": f"step {i}",
            "rows_in": 1,
            "rows_out": 1,
            "rejected": 0,
            "changed": 0,
            "detail": "",
        }
        for i in range(1, 11)
    ]
    job.save()
    return job


def table_codes(content: str, table_id: str) -> list[str]:
    import re

    body = content.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'class="mono">(FAC_\d+)</a>', body) or re.findall(r">(FAC_\d+)</a>", body)


# --- overview --------------------------------------------------------------------


def test_the_overview_shows_the_latest_audit_and_the_globe(officer_client, organization, officer):
    succeeded_job(organization, factories=6, year=2025)
    latest = succeeded_job(organization, factories=9, year=2026, created_by=officer)
    AuditJobFactory(organization=organization, status=AuditJob.Status.FAILED)
    content = officer_client.get(reverse("home")).content.decode()
    assert reverse("audits:detail", args=[latest.pk]) in content
    assert 'data-testid="home-total"' in content
    assert f"{latest.summary['summary']['total_emissions_tons']:,.0f}" in content
    markers = json.loads(
        content.split('id="globe-markers" type="application/json">')[1].split("<")[0]
    )
    assert len(markers) == 9
    statuses = {m["code"]: m["status"] for m in markers}
    assert statuses["FAC_000"] == "exceeded" and statuses["FAC_001"] == "compliant"
    assert 'id="globe-list"' in content and "FAC_008" in content
    assert "vendor/cobe.esm.js" in content
    assert "<script>" not in content  # CSP-ready: no inline script


def test_the_overview_without_audits_invites_an_upload(officer_client):
    content = officer_client.get(reverse("home")).content.decode()
    assert "No finished audit yet" in content
    assert reverse("audits:upload") in content


def test_factories_without_an_audit_are_marked_no_data(officer_client, organization):
    FactoryFactory(organization=organization, code="FAC_NEW")
    content = officer_client.get(reverse("home")).content.decode()
    markers = json.loads(
        content.split('id="globe-markers" type="application/json">')[1].split("<")[0]
    )
    assert markers[0]["status"] == "none"


def test_the_user_menu_links_to_the_token_page(officer_client):
    content = officer_client.get(reverse("home")).content.decode()
    assert reverse("account-token") in content
    assert 'id="theme-toggle"' in content
    assert "js/theme.js" in content.split("</head>")[0]


# --- dashboard -------------------------------------------------------------------


def test_the_dashboard_embeds_the_chart_data(officer_client, organization):
    job = succeeded_job(organization, factories=12)
    content = officer_client.get(reverse("audits:detail", args=[job.pk])).content.decode()
    for canvas in ("chart-sectors", "chart-top", "chart-cumulative"):
        assert f'id="{canvas}" role="img" aria-label=' in content
    data = json.loads(
        content.split('id="chart-data" type="application/json">')[1].split("</script>")[0]
    )
    assert data["sectors"]["labels"] == ["Steel", "Textile"]
    assert len(data["top"]["labels"]) == 10
    assert data["top"]["tonnes"] == sorted(data["top"]["tonnes"], reverse=True)
    cumulative = data["cumulative"]["sectors"]
    assert set(cumulative) == {"Steel", "Textile"}
    assert all(len(group["factories"]) <= 4 for group in cumulative.values())
    assert len(cumulative["Steel"]["factories"][0]["cumulative_kg"]) == 12
    assert "vendor/chart.umd.min.js" in content
    assert reverse("audits:artifact", args=[job.pk, "chart"]) in content


def test_the_factories_tab_sorts_filters_and_paginates_on_the_server(officer_client, organization):
    job = succeeded_job(organization, factories=40)
    url = reverse("audits:detail", args=[job.pk])

    first = officer_client.get(url).content.decode()
    assert "1\u201325 of 40" in first
    codes = table_codes(first, "results-table")
    assert len(codes) == 25

    by_code = officer_client.get(url, {"sort": "factory", "per_page": 50}).content.decode()
    assert table_codes(by_code, "results-table") == [f"FAC_{n:03d}" for n in range(40)]
    assert 'aria-sort="ascending"' in by_code

    descending = officer_client.get(url, {"sort": "-factory"}).content.decode()
    assert table_codes(descending, "results-table")[0] == "FAC_039"

    textile_over = officer_client.get(
        url, {"sector": "Textile", "status": "EXCEEDED", "sort": "factory"}
    ).content.decode()
    assert table_codes(textile_over, "results-table") == [
        f"FAC_{n:03d}" for n in range(40) if n % 2 == 1 and n % 3 == 0
    ]

    search = officer_client.get(url, {"q": "fac_01"}).content.decode()
    assert sorted(table_codes(search, "results-table")) == [f"FAC_{n:03d}" for n in range(10, 20)]

    page_two = officer_client.get(url, {"page": 2, "sort": "factory"}).content.decode()
    assert table_codes(page_two, "results-table")[0] == "FAC_025"
    assert "26\u201340 of 40" in page_two
    # The pagination links keep the table state in the URL.
    assert "?sort=factory" in page_two


def test_unknown_sort_and_filter_values_fall_back_safely(officer_client, organization):
    job = succeeded_job(organization, factories=5)
    url = reverse("audits:detail", args=[job.pk])
    response = officer_client.get(
        url, {"sort": "id; DROP TABLE", "status": "BOGUS", "per_page": "9999", "page": "x"}
    )
    assert response.status_code == 200
    assert "1\u20135 of 5" in response.content.decode()


def test_the_violators_tab_lists_only_factories_over_their_cap(officer_client, organization):
    job = succeeded_job(organization, factories=12)
    content = officer_client.get(
        reverse("audits:detail", args=[job.pk]), {"tab": "violators", "sort": "factory"}
    ).content.decode()
    assert table_codes(content, "results-table") == ["FAC_000", "FAC_003", "FAC_006", "FAC_009"]


def test_the_cleaning_tab_lists_the_ten_steps(officer_client, organization):
    job = succeeded_job(organization, factories=3)
    content = officer_client.get(
        reverse("audits:detail", args=[job.pk]), {"tab": "cleaning"}
    ).content.decode()
    assert content.count("<td>step ") == 10


def test_the_rejected_tab_pages_through_the_artifact(officer_client, organization):
    from django.core.files.base import ContentFile

    job = succeeded_job(organization, factories=3)
    lines = ["line_number,factory_id,column,value,reason"] + [
        f"{n},FAC_X,month,13,month must be an integer from 1 to 12" for n in range(2, 62)
    ]
    job.rejected_csv.save("rejected_rows.csv", ContentFile("\n".join(lines).encode()), save=False)
    job.summary["rows"]["rejected"] = 60
    job.save()
    url = reverse("audits:detail", args=[job.pk])
    first = officer_client.get(url, {"tab": "rejected"}).content.decode()
    assert "1\u201350 of 60" in first
    assert "month must be an integer from 1 to 12" in first
    second = officer_client.get(url, {"tab": "rejected", "page": 2}).content.decode()
    assert "51\u201360 of 60" in second
    assert '<td class="num">61</td>' in second


def test_the_dashboard_query_count_does_not_grow_with_factories(
    client, organization, officer, django_assert_max_num_queries
):
    client.force_login(officer)
    small = succeeded_job(organization, factories=5, year=2024)
    large = succeeded_job(organization, factories=50, year=2025)
    counts = {}
    for job in (small, large):
        for tab in ("factories", "violators", "cleaning"):
            from django.db import connection
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as queries:
                assert (
                    client.get(reverse("audits:detail", args=[job.pk]), {"tab": tab}).status_code
                    == 200
                )
            counts[(job.reporting_year, tab)] = len(queries)
    for tab in ("factories", "violators", "cleaning"):
        assert counts[(2025, tab)] == counts[(2024, tab)], counts
    with django_assert_max_num_queries(15):
        client.get(reverse("audits:detail", args=[large.pk]))


@pytest.mark.parametrize("name", ["home", "audits:list", "factories:list"])
def test_list_pages_query_count_does_not_grow_with_factories(client, organization, officer, name):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(officer)
    succeeded_job(organization, factories=5, year=2024)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(name)).status_code == 200
    succeeded_job(organization, factories=50, year=2025)
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse(name)).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many]


def test_the_factory_page_query_count_grows_with_audits_not_factories(
    client, organization, officer
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(officer)
    succeeded_job(organization, factories=5, year=2024)
    factory = organization.factories.get(code="FAC_000")
    url = reverse("factories:detail", args=[factory.pk])
    with CaptureQueriesContext(connection) as one_audit:
        client.get(url)
    succeeded_job(organization, factories=50, year=2025)
    with CaptureQueriesContext(connection) as two_audits:
        client.get(url)
    assert len(two_audits) == len(one_audit)


# --- history ---------------------------------------------------------------------


def test_the_history_filters_by_year_and_status(officer_client, organization, officer):
    old = succeeded_job(organization, factories=2, year=2024, created_by=officer)
    new = succeeded_job(organization, factories=2, year=2026, created_by=officer)
    failed = AuditJobFactory(organization=organization, reporting_year=2026, status="FAILED")
    url = reverse("audits:list")
    content = officer_client.get(url).content.decode()
    for job in (old, new, failed):
        assert reverse("audits:detail", args=[job.pk]) in content
    assert officer.username in content
    only_2024 = officer_client.get(url, {"year": 2024}).content.decode()
    assert reverse("audits:detail", args=[old.pk]) in only_2024
    assert reverse("audits:detail", args=[new.pk]) not in only_2024
    only_failed = officer_client.get(url, {"status": "FAILED"}).content.decode()
    assert reverse("audits:detail", args=[failed.pk]) in only_failed
    assert reverse("audits:detail", args=[new.pk]) not in only_failed
    assert '<option value="2024" selected>' in only_2024


# --- factories -------------------------------------------------------------------


def test_the_factory_list_shows_latest_status_and_filters(officer_client, organization):
    succeeded_job(organization, factories=6, year=2025)
    FactoryFactory(organization=organization, code="FAC_900", sector=SectorFactory(name="Steel"))
    url = reverse("factories:list")
    content = officer_client.get(url).content.decode()
    assert table_codes(content, "factory-table") == [f"FAC_{n:03d}" for n in range(6)] + ["FAC_900"]
    over = officer_client.get(url, {"status": "EXCEEDED"}).content.decode()
    assert table_codes(over, "factory-table") == ["FAC_000", "FAC_003"]
    none = officer_client.get(url, {"status": "none"}).content.decode()
    assert table_codes(none, "factory-table") == ["FAC_900"]
    textile = officer_client.get(url, {"sector": "Textile", "sort": "-code"}).content.decode()
    assert table_codes(textile, "factory-table") == ["FAC_005", "FAC_003", "FAC_001"]
    by_total = officer_client.get(url, {"sort": "-total"}).content.decode()
    assert table_codes(by_total, "factory-table")[-1] == "FAC_900"  # no data sorts last


def test_the_factory_page_has_a_chart_per_audit_and_the_history(officer_client, organization):
    succeeded_job(organization, factories=3, year=2024)
    succeeded_job(organization, factories=3, year=2025)
    factory = organization.factories.get(code="FAC_000")
    content = officer_client.get(reverse("factories:detail", args=[factory.pk])).content.decode()
    charts = json.loads(
        content.split('id="factory-charts" type="application/json">')[1].split("</script>")[0]
    )
    assert len(charts) == 2
    assert len(charts[0]["tonnes"]) == 12
    assert content.index("2025") < content.split('id="history-table"')[1].index("2024") + len(
        content.split('id="history-table"')[0]
    )
    assert content.count('role="img" aria-label="Monthly emissions') == 2


# --- organization scoping -------------------------------------------------------------


def test_pages_show_only_the_users_organization(client, organization, other_organization):
    ours = succeeded_job(organization, factories=3)
    theirs_user = MembershipFactory(organization=other_organization, role="viewer").user
    client.force_login(theirs_user)
    home = client.get(reverse("home")).content.decode()
    assert str(ours.pk) not in home and "FAC_000" not in home
    assert "FAC_000" not in client.get(reverse("factories:list")).content.decode()
    factory = organization.factories.get(code="FAC_000")
    assert client.get(reverse("factories:detail", args=[factory.pk])).status_code == 404
    assert (
        client.get(reverse("audits:detail", args=[ours.pk]), {"tab": "rejected"}).status_code == 404
    )


def test_pages_need_a_signed_in_member(client, user_without_organization):
    for name in ("home", "factories:list"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    client.force_login(user_without_organization)
    for name in ("home", "factories:list"):
        assert client.get(reverse(name)).status_code == 403


def test_the_upload_page_states_the_limit(officer_client, settings):
    settings.CARBONTRACE_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
    content = officer_client.get(reverse("audits:upload")).content.decode()
    assert "10 MB" in content
    assert 'id="dropzone"' in content and 'accept=".csv,.xlsx"' in content
