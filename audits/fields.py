"""Model fields of the audits app."""

from django.db import models


class PlainJSONField(models.JSONField):
    """A JSONField kept as PostgreSQL ``json`` (the text, checked) instead of ``jsonb``.

    For values written in bulk and read whole, never searched inside, such as a
    result's twelve monthly figures: ``json`` only checks the text it is given, while
    ``jsonb`` converts every number, which was about a third of what PostgreSQL spent
    taking in a million-row audit's results. On other databases it is a JSONField.
    """

    def db_type(self, connection):
        if connection.vendor == "postgresql":
            return "json"
        return super().db_type(connection)

    def from_db_value(self, value, expression, connection):
        if value is not None and not isinstance(value, str):
            return value  # psycopg decodes a json column itself
        return super().from_db_value(value, expression, connection)
