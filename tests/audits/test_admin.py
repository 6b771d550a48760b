import pytest
from django.urls import reverse

from tests.builders import FactoryResultFactory

pytestmark = pytest.mark.django_db


def test_audit_jobs_are_read_only_in_the_admin(admin_client):
    result = FactoryResultFactory()
    job = result.job
    assert admin_client.get(reverse("admin:audits_auditjob_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:audits_auditjob_change", args=[job.pk]))
    assert page.status_code == 200
    assert result.factory_code in page.content.decode()
    assert f"audits/{job.pk}/source".encode() in page.content
    assert b'name="_save"' not in page.content
    assert admin_client.get(reverse("admin:audits_auditjob_add")).status_code == 403
    assert (
        admin_client.get(reverse("admin:audits_auditjob_delete", args=[job.pk])).status_code == 403
    )
    assert admin_client.get(reverse("admin:audits_factoryresult_changelist")).status_code == 200
