from django.core.management.base import BaseCommand

from meetings import demo


class Command(BaseCommand):
    help = "Create the demo council (idempotent): Fjordvik kommune, 25 members, deputies, a clerk, today's remote meeting."

    def handle(self, *args, **options):
        meeting, logins = demo.seed()
        try:  # a past meeting with published minutes, when the minutes app provides it
            from minutes.demo import ensure_past_meeting
        except ImportError:
            ensure_past_meeting = None
        if ensure_past_meeting is not None:
            ensure_past_meeting()
        self.stdout.write(self.style.SUCCESS(f"Demo council ready. Today's meeting: /meetings/{meeting.id}/"))
        self.stdout.write(f"Demo logins (password for all: {demo.PASSWORD}):")
        shown = [l for l in logins if l.username in ("ordforer", "varaordforer", "sekretar", "medlem02", "medlem03",
                                                      "vara-ap1")]
        for login in shown:
            self.stdout.write(f"  {login.username:<14} {login.name:<24} {login.role}")
        self.stdout.write(f"  ... and medlem02..medlem25, vara-<party><n> ({len(logins)} logins in all)")
