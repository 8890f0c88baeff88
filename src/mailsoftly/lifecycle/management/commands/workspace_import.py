"""``mailsoftly manage workspace_import <zip> --owner <username>``: restore a workspace backup."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from mailsoftly.core.regions import Region
from mailsoftly.lifecycle.services import WorkspaceImportError, workspace_import


class Command(BaseCommand):
    help = "Create a workspace from a backup ZIP exported by another installation."

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)
        parser.add_argument("--owner", required=True, help="username of the Primary Admin")
        parser.add_argument("--name", default="", help="name of the new workspace")
        parser.add_argument("--region", default=Region.US, choices=[r.value for r in Region])

    def handle(self, *args, **options):
        owner = get_user_model().objects.filter(username=options["owner"]).first()
        if owner is None:
            raise CommandError(f"no account with username {options['owner']!r}")
        try:
            workspace = workspace_import(
                archive=options["archive"],
                owner=owner,
                name=options["name"],
                region=options["region"],
            )
        except WorkspaceImportError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"imported workspace {workspace.pk} ({workspace.name}, {workspace.region})"
        )
