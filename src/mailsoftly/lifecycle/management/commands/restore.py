"""``mailsoftly manage restore <dir>``: restore a verified backup. Stop web and workers first."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mailsoftly.lifecycle.services.backups import BackupError, backup_restore, backup_verify


class Command(BaseCommand):
    help = "Restore a backup written by 'backup' over the configured databases and media."

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path, help="the backup directory (mailsoftly-…)")
        parser.add_argument("--yes", action="store_true", help="really overwrite the current data")

    def handle(self, *args, **options):
        try:
            manifest = backup_verify(source=options["source"])
            if not options["yes"]:
                self.stdout.write(
                    f"backup of {manifest['created_at']} verified; "
                    "run again with --yes to overwrite the current data"
                )
                return
            backup_restore(source=options["source"])
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("restored")
