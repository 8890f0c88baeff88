from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "mailsoftly.teams"
    label = "teams"
    verbose_name = "Workspaces and teams"
