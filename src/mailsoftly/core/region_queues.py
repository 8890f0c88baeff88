"""Celery queues per region, so a deployment can run EU workers in the EU (policy P40).

A task that works on one workspace's data names it in its keyword arguments
(``workspace_id=…`` or ``region=…``). :func:`route_task` sends such a task to the queue of
its region, ``<queue>.<region>`` (``celery.eu``, ``transactional.eu``), and every other task
(platform jobs, fan-outs over all regions) to the plain queue.

``mailsoftly worker --regions eu`` consumes only the EU queues, and :class:`RegionalTask`
makes every worker check each task before running it: a task for a region this worker was
not given (not configured here, or outside ``--regions``) fails at once with
:class:`~mailsoftly.core.regions.RegionUnavailable`, never running against another database.
A task that passes runs inside :func:`~mailsoftly.core.regions.region_scope` of its region.
"""

from __future__ import annotations

from typing import Any

from celery import Task
from kombu import Exchange, Queue

from mailsoftly.core.regions import (
    DIRECTORY_DATABASE,
    region_names,
    region_scope,
    require_served,
)

DEFAULT_QUEUE = "celery"


def regional_queue(base: str, region: str) -> str:
    return f"{base}.{region}"


def base_queues() -> list[str]:
    """The project's plain queues, in the order workers should take them."""
    from django.conf import settings

    queues = getattr(settings, "CELERY_TASK_QUEUES", None) or ()
    names = [getattr(queue, "name", queue) for queue in queues]
    return names or [DEFAULT_QUEUE]


def worker_queues(regions: tuple[str, ...] | None = None) -> list[str]:
    """The queue names a worker consumes: its regions' queues only, or (None) all of them."""
    # Grouped by plain queue, so the order the project gives them (transactional mail
    # first) holds for the regional ones too.
    everyone = regions is None
    names = []
    for base in base_queues():
        if everyone:
            names.append(base)
        names += [regional_queue(base, region) for region in (regions or region_names())]
    return names


def task_queues() -> tuple[Queue, ...]:
    """Every queue declared, plain and regional (``task_queues`` of the Celery app)."""
    return tuple(Queue(name, Exchange(name), routing_key=name) for name in worker_queues())


def task_region(kwargs: dict[str, Any] | None) -> str | None:
    """The region a task works in, from its ``region`` or ``workspace_id`` argument."""
    if not kwargs:
        return None
    region = kwargs.get("region")
    if region:
        return str(region)
    workspace_id = kwargs.get("workspace_id")
    if workspace_id is None:
        return None
    from mailsoftly.teams.models import Workspace

    return (
        Workspace._default_manager.using(DIRECTORY_DATABASE)
        .filter(pk=workspace_id)
        .values_list("region", flat=True)
        .first()
    )


def route_task(name, args, kwargs, options, task=None, **extra) -> dict[str, str]:
    """Celery router: a workspace's task goes to its region's queue.

    The plain queue comes from ``CELERY_TASK_ROUTES`` (``{"task": {"queue": …}}``) or is
    ``celery``; an explicit ``queue=`` given to ``apply_async`` still wins.
    """
    from django.conf import settings

    static = getattr(settings, "CELERY_TASK_ROUTES", None) or {}
    base = (
        (static.get(name) or {}).get("queue", DEFAULT_QUEUE)
        if isinstance(static, dict)
        else DEFAULT_QUEUE
    )
    region = task_region(kwargs)
    if region is None:
        return {"queue": base}
    return {"queue": regional_queue(base, region)}


class RegionalTask(Task):
    """Base task class: refuses work for a region this worker has no database for."""

    def __call__(self, *args, **kwargs):
        region = task_region(kwargs)
        if region is None:
            return super().__call__(*args, **kwargs)
        require_served(region)
        with region_scope(region):
            return super().__call__(*args, **kwargs)

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        # Celery logs the failure (with the task's arguments and traceback) right after
        # this, outside the task's region scope: tag that line with the task's region so it
        # goes to the region's log (core.logging); after_return, which follows, untags.
        from mailsoftly.core.logging import _log_region

        region = task_region(kwargs)
        if region:
            self.request.mailsoftly_log_token = _log_region.set(region)
        super().on_failure(exc, task_id, args, kwargs, einfo)

    def after_return(self, status, retval, task_id, args, kwargs, einfo) -> None:
        from mailsoftly.core.logging import _log_region

        token = getattr(self.request, "mailsoftly_log_token", None)
        if token is not None:
            self.request.mailsoftly_log_token = None
            try:
                _log_region.reset(token)
            except ValueError:  # set in another context (a pool's thread): just clear it
                _log_region.set(None)
        super().after_return(status, retval, task_id, args, kwargs, einfo)
