from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "mailsoftly.campaigns"
    label = "campaigns"
    verbose_name = "Campaigns"
