from django.core.management.base import BaseCommand

from minutes.services import publish_due


class Command(BaseCommand):
    help = "Publish minutes whose review window has passed (run from cron; pages also publish on read)."

    def handle(self, *args, **options):
        done = publish_due()
        self.stdout.write(f"published minutes of {len(done)} meeting(s): {done}")
