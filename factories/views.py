"""The organization's factories: a list with their latest status and one page per factory."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from audits.tables import PAGE_SIZES

from .selectors import (
    FACTORY_TABLE,
    factory_audit_history,
    factory_get_for_user,
    factory_table_page,
    membership_require,
    sector_names,
)

MONTH_LABELS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@login_required
@require_GET
def factory_list(request):
    membership = membership_require(user=request.user)
    state = FACTORY_TABLE.state_from(request.GET)
    return render(
        request,
        "factories/factory_list.html",
        {
            "membership": membership,
            "table": state,
            "page": factory_table_page(user=request.user, state=state),
            "sectors": sector_names(),
            "page_sizes": PAGE_SIZES,
        },
    )


@login_required
@require_GET
def factory_detail(request, factory_id):
    membership = membership_require(user=request.user)
    factory = factory_get_for_user(user=request.user, factory_id=factory_id)
    results = factory_audit_history(factory=factory)
    charts = [
        {
            "id": f"factory-chart-{result.pk}",
            "title": f"{result.job.reporting_year} · {result.job.source_name}",
            "labels": MONTH_LABELS,
            "tonnes": [None if v is None else v / 1000 for v in result.monthly_emissions_kg],
            "cap_tonnes": result.carbon_cap_kg / 1000,
            "status": result.status,
        }
        for result in results
    ]
    return render(
        request,
        "factories/factory_detail.html",
        {
            "membership": membership,
            "factory": factory,
            "results": results,
            "latest": results[0] if results else None,
            "charts": charts,
        },
    )
