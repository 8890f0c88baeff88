"""Each content rule on small crafted emails (policy P16: phishing, spam and fraud)."""

from __future__ import annotations

import pytest

from mailsoftly.screening.content import Content, Decision, screen_content
from mailsoftly.screening.content.engine import check_links
from mailsoftly.screening.content.urls import brand_lookalike, parse_url, skeleton

pytestmark = pytest.mark.policy("P16")

FOOTER = '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'
CLEAN_TEXT = (
    "Hello there, here is our monthly update about the garden club. We planted tulips, "
    "repaired the shed and met twice at the library. Thanks for reading, see you soon."
)


def campaign(html: str = "", **kwargs) -> Content:
    defaults = {
        "subject": "Garden club news for March",
        "from_address": "news@garden.example",
        "verified_domains": ("garden.example",),
        "html": f"<html><body><p>{CLEAN_TEXT}</p>{html}{FOOTER}</body></html>",
        "text": CLEAN_TEXT + "\nUnsubscribe: {{ unsubscribe_url }}",
    }
    defaults.update(kwargs)
    return Content(**defaults)


def codes(content: Content) -> list[str]:
    return screen_content(content).codes


def test_plain_newsletter_passes():
    verdict = screen_content(campaign('<p><a href="https://garden.example/news">Read more</a></p>'))
    assert verdict.decision == Decision.PASS, verdict.to_dict()
    assert verdict.reasons == ()


# ------------------------------------------------------------------ links


def test_link_text_showing_another_domain_is_held():
    verdict = screen_content(
        campaign('<a href="https://tracker.evil.example/x">https://garden.example/offer</a>')
    )
    assert "link_text_mismatch" in verdict.codes
    assert verdict.decision in {Decision.HOLD, Decision.BLOCK}


def test_link_text_showing_a_bank_domain_is_blocked():
    verdict = screen_content(campaign('<a href="https://evil.example/">www.paypal.com</a>'))
    assert verdict.decision == Decision.BLOCK
    assert "link_text_mismatch" in verdict.codes


def test_link_text_that_is_not_a_domain_is_fine():
    assert "link_text_mismatch" not in codes(
        campaign('<a href="https://shop.example/a">Open the offer.html page</a>')
    )


def test_subdomain_of_the_shown_domain_is_not_a_mismatch():
    assert "link_text_mismatch" not in codes(
        campaign('<a href="https://news.garden.example/x">garden.example</a>')
    )


@pytest.mark.parametrize(
    "host,brand",
    [
        ("paypa1.com", "paypal"),  # digit for letter
        ("xn--pypal-4ve.com", "paypal"),  # Cyrillic a, punycode
        ("pаypal.com", "paypal"),  # Cyrillic a, Unicode  # noqa: RUF001
        ("ｐａｙｐａｌ.com", "paypal"),  # fullwidth letters, folded by NFKC  # noqa: RUF001
        ("paypal.com.account-check.net", "paypal"),  # real domain as a subdomain
        ("apple-id-verify.com", "apple"),  # brand plus phishing word
        ("micros0ft-login.com", "microsoft"),
        ("arnazon.com", "amazon"),  # rn looks like m
    ],
)
def test_brand_lookalikes_are_recognised(host, brand):
    look = brand_lookalike(parse_url(f"https://{host}/").host)
    assert look is not None and look.brand == brand


@pytest.mark.parametrize(
    "host", ["paypal.com", "www.paypal.com", "apple.com", "pineapple.com", "garden.example"]
)
def test_real_brand_and_unrelated_domains_are_not_lookalikes(host):
    assert brand_lookalike(host) is None


def test_lookalike_link_blocks_the_campaign():
    verdict = screen_content(campaign('<a href="https://paypa1.com/signin">Sign in</a>'))
    assert verdict.decision == Decision.BLOCK
    assert "lookalike" in verdict.codes


def test_a_brand_composed_with_a_phishing_word_holds_and_blocks_with_a_credential_ask():
    link = '<a href="https://apple-id-verify.com/">Apple ID</a>'
    held = screen_content(campaign(link))
    assert held.decision == Decision.HOLD and "lookalike" in held.codes
    asking = screen_content(campaign(f"<p>Please verify your account now.</p>{link}"))
    assert asking.decision == Decision.BLOCK and "lookalike" in asking.codes


@pytest.mark.parametrize("host", ["yahoo.comm", "paypal.cmo", "amazon.local", "paypal"])
def test_a_brand_on_a_suffix_that_does_not_exist_is_not_an_imitation(host):
    # Nothing answers at yahoo.comm: a typo, not a fake Yahoo site.
    assert brand_lookalike(host) is None


@pytest.mark.parametrize("host", ["paypal.support", "yahoo.xyz", "apple.co.uk"])
def test_a_brand_on_another_real_suffix_is_still_an_imitation(host):
    look = brand_lookalike(host)
    assert look is not None and look.kind == "skeleton"


@pytest.mark.parametrize("host", ["yahoo.co.uk", "mail.yahoo.co.jp", "www.amazon.co.uk"])
def test_a_brands_own_country_domains_are_not_lookalikes(host):
    assert brand_lookalike(host) is None


def test_a_link_to_a_non_existent_top_level_domain_is_a_mild_signal_of_its_own():
    links = (
        '<a href="https://groups.yahoo.comm/group/garden">our group</a>'
        '<a href="https://news.garden.comm/">news</a>'
    )
    verdict = screen_content(campaign(links))
    assert verdict.decision == Decision.PASS, verdict.to_dict()
    assert verdict.codes.count("invalid_tld") == 1
    assert "lookalike" not in verdict.codes
    (reason,) = [r for r in verdict.reasons if r.code == "invalid_tld"]
    assert "groups.yahoo.comm" in reason.message and "real top-level domain" in reason.message
    assert 0 < reason.weight < 5


def test_public_suffixes_come_from_the_bundled_list_without_the_network(monkeypatch):
    import socket

    from mailsoftly.screening.content import urls

    def no_network(*args, **kwargs):
        raise AssertionError("the public suffix list must not be fetched")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    urls._suffixes.cache_clear()
    urls.public_suffix.cache_clear()
    urls.registrable.cache_clear()
    assert urls.public_suffix("news.garden.co.uk") == "co.uk"
    assert urls.public_suffix("xn--80ak6aa92e.xn--p1ai") == "xn--p1ai"
    assert urls.public_suffix("shop.example") == "example"  # reserved for documentation
    assert urls.public_suffix("yahoo.comm") == ""
    assert urls.registrable("a.b.news.example.com.au") == "example.com.au"


def test_many_script_links_give_one_reason():
    links = "".join(f'<a href="javascript:go({i})">Link {i}</a>' for i in range(20))
    verdict = screen_content(campaign(links))
    assert verdict.decision == Decision.BLOCK
    assert verdict.codes.count("script_url") == 1


def test_skeleton_folds_confusables():
    assert skeleton("ɡооgle") == skeleton("google")  # noqa: RUF001


def test_unknown_punycode_domain_is_flagged():
    assert "punycode" in codes(campaign('<a href="https://xn--bcher-kva.com/">site</a>'))


def test_punycode_spelling_a_brand_in_another_script_blocks():
    # xn--80ak6aa92e is "apple" written in Cyrillic letters.
    verdict = screen_content(campaign('<a href="https://xn--80ak6aa92e.com/">site</a>'))
    assert verdict.decision == Decision.BLOCK
    assert "lookalike" in verdict.codes


def test_url_shortener_is_flagged():
    assert "shortener" in codes(campaign('<a href="https://bit.ly/3abc">our offer</a>'))


@pytest.mark.parametrize(
    "href",
    [
        "http://192.0.2.10/login",
        "http://[2001:db8::1]/",
        "http://3221225994/",  # 192.0.2.10 as one decimal number
        "http://0xC0.0x00.0x02.0x0A/",
    ],
)
def test_ip_literal_urls_are_held(href):
    verdict = screen_content(campaign(f'<a href="{href}">click</a>'))
    assert "ip_url" in verdict.codes
    assert verdict.decision != Decision.PASS


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        " JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "vbscript:msgbox",
        "data:text/html;base64,PHNjcmlwdD4=",
    ],
)
def test_script_and_data_urls_block(href):
    verdict = screen_content(campaign(f'<a href="{href}">open</a>'))
    assert verdict.decision == Decision.BLOCK
    assert {"script_url", "data_url"} & set(verdict.codes)


def test_inline_data_image_is_not_a_data_link():
    assert "data_url" not in codes(campaign('<img src="data:image/png;base64,iVBO" alt="logo">'))


def test_blocklisted_domain_blocks():
    content = campaign('<a href="https://www.bad-pharma.example/buy">shop</a>')
    assert screen_content(content).decision == Decision.PASS
    verdict = screen_content(Content(**{**content.__dict__, "blocklist": ("bad-pharma.example",)}))
    assert verdict.decision == Decision.BLOCK
    assert "blocklisted" in verdict.codes


def test_from_domain_must_be_verified():
    verdict = screen_content(campaign(from_address="ceo@bank.example"))
    assert verdict.decision == Decision.BLOCK
    assert "from_unverified" in verdict.codes


def test_subdomain_of_a_verified_domain_is_fine():
    assert "from_unverified" not in codes(campaign(from_address="a@mail.garden.example"))


def test_odd_urls_never_crash():
    odd = [
        "http://",
        "http://[::1",
        "https://exa mple.com",
        "//evil.example/",
        "http://%zz/",
        "http://ex\u0000ample.com",
        "mailto:someone@example.com",
        "https://" + "a" * 5000 + ".com",
        "https://xn--.com",
        "https://xn--zzzzzzzzz-.com/",
        "http://user:pass@example.com:99999/",
    ]
    html = "".join(f'<a href="{h}">x</a>' for h in odd)
    verdict = screen_content(campaign(html))
    assert verdict.decision in set(Decision)


def test_links_in_the_text_part_are_checked_too():
    content = campaign(text=CLEAN_TEXT + "\nGo to http://203.0.113.9/pay now. Unsubscribe")
    assert "ip_url" in codes(content)


def test_check_links_handles_no_links():
    from mailsoftly.screening.content.budget import Deadline
    from mailsoftly.screening.content.engine import Context
    from mailsoftly.screening.content.htmlscan import HtmlScan

    assert check_links(Context(content=Content(), scan=HtmlScan()), Deadline(1)) == []


# ------------------------------------------------------------------ credential bait


def test_password_field_blocks():
    verdict = screen_content(
        campaign('<form action="https://x.example/"><input type="password" name="p"></form>')
    )
    assert verdict.decision == Decision.BLOCK
    assert {"password_field", "form"} <= set(verdict.codes)


def test_a_form_alone_is_flagged():
    assert "form" in codes(campaign('<form action="https://garden.example/s"><input></form>'))


def test_verify_your_account_with_a_foreign_link_is_held():
    verdict = screen_content(
        campaign(
            "<p>Please verify your account within 24 hours.</p>"
            '<a href="https://secure-check.example/">Verify</a>'
        )
    )
    assert "credential_bait" in verdict.codes
    assert verdict.decision != Decision.PASS


def test_verify_your_account_linking_to_the_senders_domain_is_fine():
    assert "credential_bait" not in codes(
        campaign(
            '<p>Please verify your account.</p><a href="https://app.garden.example/">Verify</a>'
        )
    )


# ------------------------------------------------------------------ spam signals


def test_all_caps_subject():
    assert "subject_caps" in codes(campaign(subject="BIG GARDEN NEWS INSIDE"))
    assert "subject_caps" not in codes(campaign(subject="Big garden news (USA)"))


def test_excessive_punctuation_in_subject():
    assert "subject_punctuation" in codes(campaign(subject="Act fast!!! Really???"))
    assert "subject_punctuation" not in codes(campaign(subject="News: spring is here"))


def test_hidden_text_is_flagged():
    for style in ("display:none", "visibility: hidden", "font-size:0", "color:#ffffff"):
        html = f'<div style="{style}">cheap pills cheap pills cheap pills cheap pills</div>'
        assert "hidden_text" in codes(campaign(html)), style


def test_tiny_font_is_flagged():
    assert "tiny_font" in codes(
        campaign('<span style="font-size:2px">very small print nobody can read here</span>')
    )


def test_image_only_mail_is_flagged():
    content = campaign(
        html="",
        text="",
    )
    content = Content(
        **{
            **content.__dict__,
            "html": f'<img src="https://garden.example/flyer.png">{FOOTER}',
        }
    )
    assert "image_only" in codes(content)


def test_missing_unsubscribe_link_is_flagged_for_campaigns_only():
    html = f"<p>{CLEAN_TEXT}</p>"
    assert "no_unsubscribe" in codes(Content(html=html, text=CLEAN_TEXT))
    assert "no_unsubscribe" not in codes(Content(html=html, text=CLEAN_TEXT, campaign=False))


def test_spam_wording_adds_up_to_a_hold():
    verdict = screen_content(
        campaign(
            "<p>Dear friend, make money from home! Work from home, 100% guaranteed, "
            "no obligation, act now. To be removed reply with remove.</p>"
        )
    )
    assert "spam_phrases" in verdict.codes
    assert verdict.decision != Decision.PASS


def test_attachments_block_campaigns():
    verdict = screen_content(campaign(attachments=("invoice.pdf",)))
    assert verdict.decision == Decision.BLOCK
    assert verdict.codes == ["attachment"]


def test_every_reason_has_a_code_a_message_and_a_score_adds_up():
    verdict = screen_content(
        campaign(
            '<a href="https://bit.ly/x">x</a><form action="https://a.example"></form>',
            subject="FREE MONEY!!!",
        )
    )
    assert verdict.reasons
    for reason in verdict.reasons:
        assert reason.code and reason.message and "%(" not in reason.message
    assert verdict.score == pytest.approx(sum(r.weight for r in verdict.reasons), abs=0.01)
    assert verdict.to_dict()["decision"] == str(verdict.decision)


def test_preheader_and_layout_font_size_zero_are_not_hidden_text():
    html = (
        '<div style="display:none;max-height:0;overflow:hidden">Inbox preview line</div>'
        f'<div style="font-size:0px"><div style="font-size:16px">{CLEAN_TEXT}</div></div>'
    )
    content = campaign()
    content = Content(**{**content.__dict__, "html": html + FOOTER})
    assert "hidden_text" not in codes(content)


def test_hidden_text_after_visible_text_counts_even_when_short_of_a_page():
    html = f'<p>{CLEAN_TEXT}</p><span style="font-size:0">buy pills buy pills buy pills</span>'
    assert "hidden_text" in codes(campaign(html))
