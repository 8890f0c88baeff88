from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from mailsoftly.designs.media import MediaError, media_image_clean, media_upload
from mailsoftly.designs.models import MediaFile


def image_bytes(fmt: str = "JPEG", size=(64, 48), exif: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    out = BytesIO()
    kwargs = {}
    if exif:
        info = Image.Exif()
        info[0x010F] = "SpyCam Inc"  # Make
        info[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0)}  # GPS
        kwargs["exif"] = info.tobytes()
    image.save(out, fmt, **kwargs)
    return out.getvalue()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def upload_image(workspace, user, **kwargs):
    return media_upload(workspace=workspace, user=user, upload=upload(image_bytes(**kwargs)))


def test_exif_and_gps_are_stripped():
    original = image_bytes(exif=True)
    assert b"SpyCam" in original
    clean = media_image_clean(upload(original))
    assert b"SpyCam" not in clean.data
    assert not Image.open(BytesIO(clean.data)).getexif()
    assert (clean.content_type, clean.width, clean.height) == ("image/jpeg", 64, 48)


@pytest.mark.parametrize("fmt", ["PNG", "GIF", "WEBP"])
def test_other_formats_are_accepted_with_their_real_type(fmt):
    clean = media_image_clean(upload(image_bytes(fmt), name="x.jpg", content_type="text/html"))
    assert clean.content_type == f"image/{fmt.lower()}"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "not a JPEG"),
        (b"<html><script>alert(1)</script></html>", "not a JPEG"),
        (b"MZ\x90\x00" + b"\x00" * 100, "not a JPEG"),
        (image_bytes()[:40], "not a JPEG"),
        (b"", "empty"),
    ],
)
def test_things_that_are_not_images_are_refused(data, message):
    with pytest.raises(MediaError) as error:
        media_image_clean(upload(data, name="evil.jpg"))
    assert message in str(error.value)


def test_huge_dimensions_are_refused():
    with pytest.raises(MediaError) as error:
        media_image_clean(upload(image_bytes("PNG", size=(6000, 10))))
    assert "6000 x 10" in str(error.value)


def test_a_50_mb_upload_is_refused_with_a_clear_message(logged_in_client, workspace):
    big = SimpleUploadedFile("big.jpg", b"\xff" * (50 * 1024 * 1024), content_type="image/jpeg")
    response = logged_in_client.post(reverse("designs:media"), {"file": big})
    assert response.status_code == 200
    assert "the limit is 5 MB" in response.content.decode()
    assert not MediaFile.all_rows.using(workspace.database).exists()


def test_upload_page_stores_and_serves_the_image(logged_in_client, workspace, client):
    response = logged_in_client.post(
        reverse("designs:media"), {"file": upload(image_bytes("PNG"), name="logo.png")}
    )
    assert response.status_code == 302
    media = MediaFile.objects.for_workspace(workspace).get()
    assert media.file.name.startswith(f"us/media/{workspace.pk}/")
    served = client.get(reverse("designs:media_file", kwargs={"key": media.key}))
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"]
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")
    page = logged_in_client.get(reverse("designs:media")).content.decode()
    assert media.key in page


def test_bad_upload_shows_the_error_next_to_the_field(logged_in_client, workspace):
    response = logged_in_client.post(
        reverse("designs:media"), {"file": upload(b"<svg onload=alert(1)>", name="x.svg")}
    )
    assert response.status_code == 200
    assert "not a JPEG, PNG, GIF or WebP image" in response.content.decode()
    assert not MediaFile.all_rows.using(workspace.database).exists()


@pytest.mark.policy("P26", "P40")
def test_trashed_images_stop_being_served_and_eu_files_stay_in_the_eu(
    logged_in_client, user, workspace, eu_workspace, client
):
    media = upload_image(workspace, user)
    url = reverse("designs:media_file", kwargs={"key": media.key})
    assert client.get(url).status_code == 200
    logged_in_client.post(reverse("designs:media_trash", args=[media.pk]))
    assert client.get(url).status_code == 404
    eu_media = upload_image(eu_workspace, user)
    assert eu_media._state.db == "eu"
    assert eu_media.file.name.startswith("eu/")
    assert (
        client.get(reverse("designs:media_file", kwargs={"key": eu_media.key})).status_code == 200
    )


def test_unknown_media_keys_are_404(client, db):
    assert client.get("/m/nope").status_code == 404
    assert client.get("/m/" + "x" * 40).status_code == 404
