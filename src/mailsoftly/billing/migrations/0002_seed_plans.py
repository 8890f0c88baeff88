"""The default plans: Free, Pro, Business (operators edit them in the admin)."""

from django.db import migrations


def seed(apps, schema_editor):
    from mailsoftly.billing.plans import plans_seed

    plans_seed(apps.get_model("billing", "Plan"))


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
