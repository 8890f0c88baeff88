"""The Celery application. Tasks are discovered in each app's ``tasks.py``.

Each workspace's tasks go to its region's queue and every task checks that this worker
serves its region (:mod:`mailsoftly.core.region_queues`).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mailsoftly.config.settings")

app = Celery("mailsoftly", task_cls="mailsoftly.core.region_queues:RegionalTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _region_queues(sender, **kwargs):
    from mailsoftly.core import region_queues

    sender.conf.task_queues = region_queues.task_queues()
    sender.conf.task_routes = (region_queues.route_task,)
