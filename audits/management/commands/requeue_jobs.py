"""Queue again audit jobs left behind by a broker outage or a worker that died (for cron)."""

from django.core.management.base import BaseCommand

from audits.recovery import audit_requeue_stale


class Command(BaseCommand):
    help = (
        "Queue again QUEUED audit jobs older than --older-than seconds that have no task in "
        "the broker, and recover jobs stalled in RUNNING. Safe to run at any time."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=None, metavar="SECONDS")

    def handle(self, *args, older_than=None, **options):
        counts = audit_requeue_stale(queued_older_than_s=older_than)
        self.stdout.write(
            f"requeued {counts['requeued']}, still waiting for the queue {counts['waiting']}, "
            f"stalled jobs recovered {counts['recovered']}"
        )
        if counts["waiting"]:
            self.stderr.write("The audit queue is unreachable; run this again later.")
            return
