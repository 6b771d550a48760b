"""The API fixtures (a finished audit with every file, token clients, staff) serve here too."""

from tests.api.conftest import _clear_throttles, finished_job, staff  # noqa: F401
