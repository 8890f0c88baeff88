"""The fast path of email_normalize never disagrees with email-validator."""

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mailsoftly.contacts.emails import InvalidEmail, _plain, email_normalize

ATEXT = "abcXYZ019!#$%&'*+/=?^_`{|}~-."
addresses = st.builds(
    lambda local, labels, tld: f"{local}@{'.'.join([*labels, tld])}",
    st.text(alphabet=ATEXT, min_size=1, max_size=70),
    st.lists(st.text(alphabet="abcXn0-", min_size=1, max_size=65), min_size=1, max_size=4),
    st.sampled_from(["com", "ORG", "de", "test", "local", "x", "c0m", "localhost", "io"]),
)


def _reference(value: str):
    try:
        result = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        return None
    return f"{result.local_part}@{result.ascii_domain.lower()}"


@settings(max_examples=2000)
@given(addresses | st.text(max_size=40))
@example("a..b@example.com")
@example(".a@example.com")
@example("a@xn--abc.com")
@example("a@x-.com")
@example("a@ex.test")
@example("A.B@EXAMPLE.COM")
def test_fast_path_accepts_only_what_email_validator_accepts(value):
    fast = _plain(value)
    if fast is not None:
        assert _reference(value) == fast


@pytest.mark.parametrize(
    ("raw", "email", "key"),
    [
        ("  Ann@EXAMPLE.org ", "Ann@example.org", "ann@example.org"),
        ("bob@Bücher.de", "bob@xn--bcher-kva.de", "bob@xn--bcher-kva.de"),
    ],
)
def test_normalised_forms(raw, email, key):
    assert email_normalize(raw) == (email, key)


def test_fast_path_takes_ordinary_addresses():
    assert _plain("Person.1+news@Example1.ORG") == "Person.1+news@example1.org"


@pytest.mark.parametrize("bad", ["x@y.com.", "a..b@x.org", "\u0430pple@x.org", "a@localhost", ""])
def test_refused(bad):
    with pytest.raises(InvalidEmail):
        email_normalize(bad)
