from pathlib import Path

from django.core.management.base import BaseCommand

from audits.engine import write_sample_csv


class Command(BaseCommand):
    help = "Write the deterministic sample production file (50 factories x 12 months)."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default="monthly_production.csv")

    def handle(self, *args, path: str, **options):
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_sample_csv(target)
        self.stdout.write(f"Sample written to {target.resolve()}")
