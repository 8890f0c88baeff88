from django import template

from mailsoftly.accounts import cookies

register = template.Library()


@register.inclusion_tag("accounts/_cookie_banner_body.html", takes_context=True)
def cookie_banner(context):
    request = context.get("request")
    return {
        "show": request is not None and cookies.cookie_choice(request) is None,
        "next": request.get_full_path() if request is not None else "/",
        "csrf_token": context.get("csrf_token"),
    }
