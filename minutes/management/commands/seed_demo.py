from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from meetings import demo
from minutes.demo import ensure_past_meeting


class Command(BaseCommand):
    help = ("Create the demo council (idempotent): Fjordvik kommune, 25 members, deputies, a clerk, today's remote "
            "meeting, and a past meeting with published minutes.")

    def handle(self, *args, **options):
        if not settings.DEBUG and not settings.DEMO_SITE:
            # Its logins share a password printed below and in the README: never on a real council's server.
            raise CommandError("seed_demo refuses to run with DEBUG=0: the demo logins' password is published. "
                               "Set DEMO_SITE=1 only for a public demonstration server.")
        meeting, logins = demo.seed()
        ensure_past_meeting()
        self.stdout.write(self.style.SUCCESS(f"Demo council ready. Today's meeting: /meetings/{meeting.id}/"))
        self.stdout.write(f"Demo logins (password for all: {demo.PASSWORD}):")
        shown = [login for login in logins if login.username in ("ordforer", "varaordforer", "sekretar", "medlem02",
                                                                  "medlem03", "vara-ap1")]
        for login in shown:
            self.stdout.write(f"  {login.username:<14} {login.name:<24} {login.role}")
        self.stdout.write(f"  ... and medlem02..medlem25, vara-<party><n> ({len(logins)} logins in all)")
