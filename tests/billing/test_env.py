"""Gateway configuration comes from the environment only, and bad combinations fail at start."""

import pytest

from mailsoftly.config.env import EnvError, load


def _env(tmp_path, **values):
    return {"MAILSOFTLY_VAR_DIR": str(tmp_path), **values}


def test_fake_gateway_is_the_embedded_default(tmp_path):
    env = load(_env(tmp_path))
    assert env.billing_gateway == "fake"
    assert env.stripe_secret_key is None


def test_stripe_gateway_needs_both_secrets(tmp_path):
    with pytest.raises(EnvError, match="STRIPE_SECRET_KEY"):
        load(_env(tmp_path, BILLING_GATEWAY="stripe"))
    with pytest.raises(EnvError, match="STRIPE_WEBHOOK_SECRET"):
        load(_env(tmp_path, BILLING_GATEWAY="stripe", STRIPE_SECRET_KEY="sk_test_x"))
    env = load(
        _env(
            tmp_path,
            BILLING_GATEWAY="Stripe",
            STRIPE_SECRET_KEY="sk_test_x",
            STRIPE_WEBHOOK_SECRET="whsec_y",
        )
    )
    assert env.billing_gateway == "stripe"


def test_unknown_gateway_is_refused_by_name(tmp_path):
    with pytest.raises(EnvError, match="BILLING_GATEWAY='paypal'"):
        load(_env(tmp_path, BILLING_GATEWAY="paypal"))


def test_gateway_secrets_stay_out_of_the_env_repr(tmp_path):
    env = load(
        _env(
            tmp_path,
            BILLING_GATEWAY="stripe",
            STRIPE_SECRET_KEY="sk_test_secretvalue",
            STRIPE_WEBHOOK_SECRET="whsec_secretvalue",
        )
    )
    assert "secretvalue" not in repr(env)
