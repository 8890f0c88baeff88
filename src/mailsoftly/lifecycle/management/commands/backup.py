"""``mailsoftly manage backup``: a consistent backup of every database and region's files."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from mailsoftly.lifecycle.services.backups import BackupError, backup_create, backup_rotate


class Command(BaseCommand):
    help = "Write a consistent backup (databases + media) and delete backups older than 30 days."

    def add_arguments(self, parser):
        parser.add_argument(
            "--target",
            type=Path,
            default=None,
            help="directory that holds the backups (default: <var>/backups)",
        )
        parser.add_argument(
            "--no-rotate", action="store_true", help="keep backups older than 30 days"
        )

    def handle(self, *args, **options):
        target = options["target"] or Path(settings.VAR_DIR) / "backups"
        try:
            created = backup_create(target_dir=target)
            removed = [] if options["no_rotate"] else backup_rotate(target_dir=target)
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"backup written: {created}")
        for path in removed:
            self.stdout.write(f"old backup deleted: {path}")
