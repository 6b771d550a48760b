from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from factories.selectors import membership_get_for_user

from .forms import AuditUploadForm
from .selectors import audit_get_for_user, audit_list_for_user, audit_results, audit_status_dict
from .services import audit_create, audit_fail_if_stalled

VIOLATORS_SHOWN = 25


def _membership_or_403(request):
    membership = membership_get_for_user(user=request.user)
    if membership is None:
        raise PermissionDenied("Your account is not a member of any organization yet.")
    return membership


@login_required
@require_GET
def audit_list(request):
    membership = _membership_or_403(request)
    jobs = audit_list_for_user(user=request.user)[:200]
    return render(request, "audits/audit_list.html", {"jobs": jobs, "membership": membership})


@login_required
@require_http_methods(["GET", "POST"])
def audit_upload(request):
    membership = _membership_or_403(request)
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
    return render(request, "audits/audit_upload.html", {"form": form, "membership": membership})


@login_required
@require_GET
def audit_detail(request, job_id):
    job = audit_fail_if_stalled(job=audit_get_for_user(user=request.user, job_id=job_id))
    violators = (
        list(audit_results(job=job).filter(status="EXCEEDED")[:VIOLATORS_SHOWN])
        if job.status == job.Status.SUCCEEDED
        else []
    )
    return render(
        request,
        "audits/audit_detail.html",
        {
            "job": job,
            "violators": violators,
            "summary": job.summary or {},
            "membership": membership_get_for_user(user=request.user),
        },
    )


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
