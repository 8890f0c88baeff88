"""``mailsoftly manage trash_restore``: staff restore a trashed item on a user's request."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from mailsoftly.lifecycle import registry, services
from mailsoftly.teams.models import Workspace


class Command(BaseCommand):
    help = "Restore one trashed item of a workspace (within 30 days), as staff on request."

    def add_arguments(self, parser):
        parser.add_argument("--workspace", type=int, required=True, help="workspace id")
        parser.add_argument("--model", required=True, help="app_label.model, e.g. contacts.contact")
        parser.add_argument("--id", required=True, help="the item's id")
        parser.add_argument("--staff", required=True, help="username of the staff member")

    def handle(self, *args, **options):
        staff = get_user_model().objects.filter(username=options["staff"], is_staff=True).first()
        if staff is None:
            raise CommandError(f"no staff account {options['staff']!r}")
        workspace = Workspace.objects.filter(pk=options["workspace"]).first()
        model = registry.model_for_key(options["model"].lower())
        if workspace is None or model is None:
            raise CommandError("unknown workspace or model")
        item = model.trashed.for_workspace(workspace).filter(pk=options["id"]).first()
        if item is None:
            raise CommandError("that item is not in this workspace's trash")
        try:
            services.trash_restore(obj_or_queryset=item, actor=staff)
        except services.TrashError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored {options['model']} {item.pk}: {item}")
