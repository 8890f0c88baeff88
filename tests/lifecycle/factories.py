"""Factories for lifecycle rows, created through ``for_workspace`` (the right region)."""

from __future__ import annotations

import factory
from django.core.files.base import ContentFile

from mailsoftly.lifecycle import models


class ExportJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ExportJob

    format = models.ExportFormat.CSV

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        content = kwargs.pop("content", None)
        workspace = kwargs["workspace"]
        job = model_class.objects.for_workspace(workspace).create(*args, **kwargs)
        if content is not None:
            job.file.save("export.csv", ContentFile(content), save=True)
        return job


class ExportDownloadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ExportDownload

    workspace = factory.LazyAttribute(lambda o: o.export.workspace)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class.objects.for_workspace(kwargs["workspace"]).create(*args, **kwargs)
