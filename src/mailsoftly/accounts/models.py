from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """An account. Lives in the directory database; workspaces hold everything it makes."""

    email = models.EmailField(_("email address"), max_length=254)
    language = models.CharField(_("language"), max_length=8, default="en")
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
