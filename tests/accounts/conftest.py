import pytest
from django.core.cache import cache
from django.urls import reverse

PASSWORD = "a-Long unusual passphrase 42"


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    # allauth keeps rate-limit history in the cache, which outlives a test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def signup_data():
    return {
        "username": "alice",
        "email": "alice@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "age_confirmed": "on",
        "accept_privacy": "on",
    }


@pytest.fixture
def signup(client):
    def post(data, **extra):
        return client.post(reverse("account_signup"), data, **extra)

    return post
