from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from factories.selectors import factory_globe_markers, membership_get_for_user, membership_require

from .forms import AuditUploadForm
from .models import AuditJob
from .selectors import (
    AUDIT_HISTORY_TABLE,
    RESULT_TABLE,
    audit_chart_data,
    audit_get_for_user,
    audit_history_page,
    audit_rejected_rows,
    audit_rejected_rows_count,
    audit_result_table,
    audit_sector_names,
    audit_status_dict,
    audit_years_for_user,
    organization_overview,
)
from .services import audit_create, audit_fail_if_stalled
from .tables import PAGE_SIZES

DASHBOARD_TABS = {
    "factories": "All factories",
    "violators": "Violators",
    "rejected": "Rejected rows",
    "cleaning": "Cleaning report",
}
REJECTED_PAGE_SIZE = 50


@login_required
@require_GET
def home(request):
    membership = membership_require(user=request.user)
    return render(
        request,
        "home.html",
        {
            "membership": membership,
            **organization_overview(user=request.user),
            "markers": factory_globe_markers(user=request.user),
        },
    )


@login_required
@require_GET
def audit_list(request):
    membership = membership_require(user=request.user)
    state = AUDIT_HISTORY_TABLE.state_from(request.GET)
    return render(
        request,
        "audits/audit_list.html",
        {
            "membership": membership,
            "page": audit_history_page(user=request.user, state=state),
            "table": state,
            "years": audit_years_for_user(user=request.user),
            "statuses": AuditJob.Status.choices,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def audit_upload(request):
    membership = membership_require(user=request.user)
    if not membership.is_officer:
        raise PermissionDenied("Only compliance officers can upload production data.")
    if request.method == "POST":
        form = AuditUploadForm(request.POST, request.FILES)
    else:
        form = AuditUploadForm()
    if form.is_bound and form.is_valid():
        try:
            job = audit_create(
                organization=membership.organization,
                uploaded_file=form.cleaned_data["file"],
                reporting_year=form.cleaned_data["reporting_year"],
                created_by=request.user,
            )
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            return redirect("audits:detail", job_id=job.pk)
    return render(
        request,
        "audits/audit_upload.html",
        {
            "form": form,
            "membership": membership,
            "max_upload_bytes": settings.CARBONTRACE_MAX_UPLOAD_BYTES,
        },
    )


@login_required
@require_GET
def audit_detail(request, job_id):
    job = audit_fail_if_stalled(job=audit_get_for_user(user=request.user, job_id=job_id))
    context = {
        "job": job,
        "summary": job.summary or {},
        "membership": membership_get_for_user(user=request.user),
    }
    if job.status == AuditJob.Status.SUCCEEDED:
        tab = request.GET.get("tab", "factories")
        if tab not in DASHBOARD_TABS:
            tab = "factories"
        context.update(tab=tab, tabs=DASHBOARD_TABS, charts=audit_chart_data(job=job))
        if tab in ("factories", "violators"):
            state = RESULT_TABLE.state_from(request.GET)
            state.extra["tab"] = tab
            context.update(
                table=state,
                page=audit_result_table(job=job, state=state, violators_only=tab == "violators"),
                sectors=audit_sector_names(job=job),
                page_sizes=PAGE_SIZES,
            )
        elif tab == "rejected":
            context.update(rejected=_rejected_page(request, job))
    elif job.status == AuditJob.Status.FAILED and job.rejected_csv:
        context.update(rejected=_rejected_page(request, job))
    return render(request, "audits/audit_detail.html", context)


def _rejected_page(request, job: AuditJob) -> Page:
    """A page of rejected_rows.csv: only the rows up to the page's last one are read."""
    count = audit_rejected_rows_count(job=job)
    paginator = Paginator(range(count), REJECTED_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = audit_rejected_rows(
        job=job, offset=page.start_index() - 1 if count else 0, limit=REJECTED_PAGE_SIZE
    )
    return page


@login_required
@require_GET
def audit_status(request, job_id):
    job = audit_fail_if_stalled(job=audit_get_for_user(user=request.user, job_id=job_id))
    response = JsonResponse(audit_status_dict(job=job))
    response["Cache-Control"] = "no-store"
    return response


ARTIFACT_FIELDS = {
    "summary": "summary_csv",
    "chart": "chart_png",
    "rejected": "rejected_csv",
    "cleaned": "cleaned_csv",
    "source": "source_file",
}


@login_required
@require_GET
def audit_artifact(request, job_id, kind: str):
    job = audit_get_for_user(user=request.user, job_id=job_id)
    field_name = ARTIFACT_FIELDS.get(kind)
    if field_name is None:
        raise Http404("No such file.")
    field = getattr(job, field_name)
    if not field or not field.storage.exists(field.name):
        raise Http404("This file is not available.")
    filename = job.source_name if kind == "source" else field.name.rsplit("/", 1)[-1]
    return FileResponse(field.open("rb"), as_attachment=True, filename=filename)
