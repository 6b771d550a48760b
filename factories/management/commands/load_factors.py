from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from factories.services import factors_load


class Command(BaseCommand):
    help = "Load sectors and energy sources from config/sectors.json (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--path", default=str(settings.CARBONTRACE_SECTORS_FILE))
        parser.add_argument(
            "--update",
            action="store_true",
            help="Overwrite sectors and energy sources that already exist with the file's values.",
        )

    def handle(self, *args, path: str, update: bool, **options):
        try:
            result = factors_load(path=path, update_existing=update)
        except FileNotFoundError as exc:
            raise CommandError(f"Factors file not found: {path}") from exc
        except (KeyError, TypeError, ValueError, ValidationError) as exc:
            raise CommandError(f"Invalid factors file {path}: {exc}") from exc
        self.stdout.write(
            f"Sectors: {result.sectors_created} created, {result.sectors_updated} updated. "
            f"Energy sources: {result.energy_sources_created} created, "
            f"{result.energy_sources_updated} updated."
        )
