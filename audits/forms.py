from django import forms
from django.utils import timezone


def default_reporting_year() -> int:
    return timezone.now().year


class AuditUploadForm(forms.Form):
    file = forms.FileField(
        label="Monthly production file",
        help_text="CSV (UTF-8) or Excel .xlsx, one row per factory and month.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    reporting_year = forms.IntegerField(
        label="Reporting year", min_value=1990, max_value=2100, initial=default_reporting_year
    )
