"""``mailsoftly manage integrity_check``: rows whose unchecked reference points at nothing."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from mailsoftly.core.integrity import dangling_references


class Command(BaseCommand):
    help = (
        "Check the references no database constraint covers (regional rows to the directory, "
        "the contacts' child tables) and list rows that point at a missing parent. "
        "Exits 1 if any is found. Reads only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--database",
            action="append",
            choices=list(settings.DATABASES),
            help="check only this database (repeatable); default: every one",
        )

    def handle(self, *args, database=None, **options):
        found = dangling_references(databases=database)
        for finding in found:
            self.stdout.write(str(finding))
        if found:
            raise CommandError(f"{len(found)} kind(s) of dangling reference found")
        self.stdout.write("no dangling references")
