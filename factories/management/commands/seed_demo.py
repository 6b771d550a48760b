from django.core.management.base import BaseCommand

from factories.services import demo_seed


class Command(BaseCommand):
    help = "Create the demo organization with an officer, a viewer and an admin (idempotent)."

    def handle(self, *args, **options):
        organization, accounts = demo_seed()
        self.stdout.write(f"Demo organization: {organization.name}")
        for account in accounts:
            self.stdout.write(
                f"  {account.role:<10} username: {account.username:<8} password: {account.password}"
            )
        self.stdout.write("These are demo credentials: never seed them on a public server.")
