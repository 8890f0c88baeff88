"""My Account, the marketing unsubscribe link and the cookie-consent choice. Thin views."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from mailsoftly.accounts import cookies, selectors, services
from mailsoftly.accounts.forms import (
    CommunicationForm,
    PreferencesForm,
    SharingForm,
    WithdrawConsentForm,
)
from mailsoftly.accounts.middleware import set_language_cookie
from mailsoftly.accounts.models import ConsentPurpose, ConsentSource
from mailsoftly.accounts.tokens import unsubscribe_token_read


def _ip(request) -> str | None:
    return get_adapter().client_ip(request)


@login_required
@require_http_methods(["GET", "POST"])
def my_account(request):
    user = request.user
    preferences = PreferencesForm(
        user=user,
        initial={"username": user.username, "language": user.language, "timezone": user.timezone},
    )
    communication = CommunicationForm(initial={"marketing_opt_in": user.marketing_opt_in})
    sharing_now = selectors.consent_current(user=user, purpose=ConsentPurpose.THIRD_PARTY_SHARING)
    sharing = SharingForm(initial={"third_party_sharing": sharing_now})
    withdraw = WithdrawConsentForm()
    if request.method == "POST":
        section = request.POST.get("section")
        if section == "preferences":
            preferences = PreferencesForm(request.POST, user=user)
            if preferences.is_valid():
                services.user_preferences_update(user=user, **preferences.cleaned_data)
                translation.activate(user.language)
                messages.success(request, _("Your settings have been saved."))
                response = redirect("accounts:my_account")
                set_language_cookie(response, user.language)
                return response
        elif section == "communication":
            communication = CommunicationForm(request.POST)
            if communication.is_valid():
                services.marketing_consent_set(
                    user=user,
                    granted=communication.cleaned_data["marketing_opt_in"],
                    source=ConsentSource.MY_ACCOUNT,
                    ip_address=_ip(request),
                )
                messages.success(request, _("Your communication preferences have been saved."))
                return redirect("accounts:my_account")
        elif section == "sharing":
            sharing = SharingForm(request.POST)
            if sharing.is_valid():
                services.third_party_sharing_set(
                    user=user,
                    granted=sharing.cleaned_data["third_party_sharing"],
                    source=ConsentSource.MY_ACCOUNT,
                    ip_address=_ip(request),
                )
                messages.success(request, _("Your sharing choice has been saved."))
                return redirect("accounts:my_account")
        elif section == "withdraw":
            withdraw = WithdrawConsentForm(request.POST)
            if withdraw.is_valid():
                services.policy_consent_withdraw(user=user, ip_address=_ip(request))
                logout(request)
                messages.info(
                    request,
                    _("You withdrew your consent to the privacy policy. Your account is closed."),
                )
                return redirect("account_login")
    return render(
        request,
        "accounts/my_account.html",
        {
            "preferences_form": preferences,
            "communication_form": communication,
            "withdraw_form": withdraw,
            "sharing_form": sharing,
            "cookie_choice": cookies.cookie_choice(request),
            "consents": selectors.marketing_consent_list(user=user, limit=5),
            "consent_records": selectors.consent_record_list(user=user, limit=10),
            "policy_acceptances": selectors.policy_acceptance_list(user=user),
        },
    )


# Mail clients' one-click unsubscribe (RFC 8058) posts without a CSRF token; the signed
# token is the credential here.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """Opt out of platform marketing mail from the link in that mail, at once (P19)."""
    user_id = unsubscribe_token_read(token)
    user = selectors.user_get(user_id=user_id) if user_id is not None else None
    if user is None:
        return render(request, "accounts/unsubscribe.html", {"invalid": True}, status=404)
    services.marketing_consent_set(
        user=user, granted=False, source=ConsentSource.UNSUBSCRIBE_LINK, ip_address=_ip(request)
    )
    return render(request, "accounts/unsubscribe.html", {"invalid": False})


@require_POST
def cookie_consent(request):
    """Keep the banner's choice in the session and append it to the consent ledger."""
    accepted = request.POST.get("choice") == "accept"
    cookies.cookie_choice_set(request, accepted=accepted)
    user = request.user if request.user.is_authenticated else None
    services.consent_record(
        user=user,
        session_ref="" if user else cookies.session_ref(request),
        purpose=ConsentPurpose.COOKIES,
        granted=accepted,
        source=ConsentSource.MY_ACCOUNT
        if request.POST.get("from") == "my_account"
        else ConsentSource.COOKIE_BANNER,
        ip_address=_ip(request),
    )
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("web:dashboard")
    return HttpResponseRedirect(target)


def privacy_policy(request):
    """The policy a visitor accepts at sign-up, with the version that gets recorded.

    Once the operator has published a version (ops), that is the policy in effect and
    its public page is the one to read; the built-in text is shown until then.
    """
    from django.conf import settings

    from mailsoftly.ops.models import PolicyKind
    from mailsoftly.ops.selectors import policy_current

    if policy_current(kind=PolicyKind.PRIVACY) is not None:
        return redirect("ops:policy", kind=PolicyKind.PRIVACY)
    return render(
        request,
        "accounts/privacy_policy.html",
        {
            "blocks": selectors.privacy_policy_blocks(),
            "version": settings.PRIVACY_POLICY_VERSION,
        },
    )
