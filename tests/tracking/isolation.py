from tests.isolation.routes import EXEMPT, route

EXEMPT["tracking:open"] = "public open pixel keyed by a signed token (forgery: tests/tracking)"
EXEMPT["tracking:preferences"] = (
    "recipient preference centre keyed by a signed token (tests/tracking)"
)
EXEMPT["tracking:click"] = "public click redirect keyed by a signed token (forgery: tests/tracking)"


def _campaign(workspace, user):
    from tests.campaigns.helpers import make_campaign, make_list, people

    contact_list, _ = make_list(workspace, people(1))
    return {"pk": make_campaign(workspace, contact_list).pk}


route("tracking:report")(_campaign)


@route("tracking:report_export")
def _export(workspace, user):
    return {**_campaign(workspace, user), "fmt": "csv"}


route("tracking:report_figures")(_campaign)
route("tracking:report_audience")(_campaign)
