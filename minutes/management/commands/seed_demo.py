from django.core.management.base import BaseCommand

from meetings import demo
from minutes.demo import ensure_past_meeting


class Command(BaseCommand):
    help = ("Create the demo council (idempotent): Fjordvik kommune, 25 members, deputies, a clerk, today's remote "
            "meeting, and a past meeting with published minutes.")

    def handle(self, *args, **options):
        meeting, logins = demo.seed()
        ensure_past_meeting()
        self.stdout.write(self.style.SUCCESS(f"Demo council ready. Today's meeting: /meetings/{meeting.id}/"))
        self.stdout.write(f"Demo logins (password for all: {demo.PASSWORD}):")
        shown = [login for login in logins if login.username in ("ordforer", "varaordforer", "sekretar", "medlem02",
                                                                  "medlem03", "vara-ap1")]
        for login in shown:
            self.stdout.write(f"  {login.username:<14} {login.name:<24} {login.role}")
        self.stdout.write(f"  ... and medlem02..medlem25, vara-<party><n> ({len(logins)} logins in all)")
