import pytest


@pytest.fixture(autouse=True)
def _regional_media(settings, tmp_path):
    """Each test writes its regional files under its own temporary roots."""
    settings.MAILSOFTLY_REGION_MEDIA_ROOTS = {"us": tmp_path / "us", "eu": tmp_path / "eu"}
    return settings.MAILSOFTLY_REGION_MEDIA_ROOTS
