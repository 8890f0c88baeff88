import io
import zipfile

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from mailsoftly.contacts import imports
from mailsoftly.contacts.importing import engine
from mailsoftly.contacts.importing.mapping import custom_key_index, mapping_guess
from mailsoftly.contacts.models import (
    ConsentRecord,
    Contact,
    ContactImport,
    ContactStatus,
    CustomField,
    FieldType,
    ImportStatus,
    Subscription,
    SubscriptionStatus,
    Suppression,
)
from mailsoftly.contacts.selectors import contact_tag_names
from tests.contacts.factories import ContactFactory, ContactListFactory, CustomFieldFactory

MAILCHIMP = (
    "Email Address,First Name,Last Name,TAGS,OPTIN_TIME,OPTIN_IP,MEMBER_RATING\n"
    'ann@example.org,Ann,Smith,"vip, beta",2024-01-05 10:00:00,192.0.2.7,2\n'
    "bob@example.org,Bob,Jones,,,,1\n"
)


def upload(workspace, content: bytes | str, name="contacts.csv", encoding="utf-8"):
    data = content.encode(encoding) if isinstance(content, str) else content
    return imports.contact_import_upload(
        workspace=workspace, uploaded_file=SimpleUploadedFile(name, data)
    )


def run(workspace, job, *, mode="add", contact_list=None, mapping=None, consent_text=""):
    if mapping is None:
        header, _ = imports.contact_import_preview(contact_import=job)
        mapping = mapping_guess(
            header=header,
            custom_keys=custom_key_index(CustomField.objects.for_workspace(workspace)),
        )
    with TestCase.captureOnCommitCallbacks(using=workspace.database, execute=True):
        imports.contact_import_start(
            contact_import=job,
            mapping=mapping,
            mode=mode,
            contact_list=contact_list,
            consent_text=consent_text,
        )
    job.refresh_from_db()
    return job


def emails(workspace):
    return sorted(Contact.objects.for_workspace(workspace).values_list("email", flat=True))


@pytest.mark.policy("P20")
def test_mailchimp_export_imports_with_tags_list_and_consent(workspace):
    contact_list = ContactListFactory(workspace=workspace)
    job = upload(workspace, MAILCHIMP)
    job = run(workspace, job, contact_list=contact_list, consent_text="Signed up at the fair")
    assert job.status == ImportStatus.DONE, job.file_error
    assert (job.created_count, job.error_count) == (2, 0)
    ann = Contact.objects.for_workspace(workspace).get(email_key="ann@example.org")
    assert (ann.first_name, ann.last_name) == ("Ann", "Smith")
    assert sorted(contact_tag_names(contact=ann)) == ["beta", "vip"]
    consent = ConsentRecord.objects.for_workspace(workspace).get(contact=ann)
    assert consent.source == "import"
    assert consent.consent_text == "Signed up at the fair"
    assert consent.ip_address == "192.0.2.7"
    assert consent.given_at.year == 2024
    assert f"import:{job.pk}:contacts.csv" == consent.location
    assert (
        Subscription.objects.for_workspace(workspace)
        .filter(contact_list=contact_list, status=SubscriptionStatus.SUBSCRIBED)
        .count()
        == 2
    )


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [
        ("utf-8", ","),
        ("utf-8-sig", ";"),
        ("utf-16", "\t"),
        ("utf-16-le", ","),
        ("cp1252", ";"),
        ("latin-1", ","),
    ],
)
def test_encodings_and_delimiters_are_detected(workspace, encoding, delimiter):
    text = delimiter.join(["email", "first name", "last name"]) + "\r\n"
    text += delimiter.join(["zoe@example.org", "Zoë", "Müller"]) + "\n"
    text += delimiter.join(["eve@example.org", '"Ève; the, first"', "Ørsted"]) + "\r"
    if encoding == "cp1252":
        text = text.replace("Ørsted", "“Ørsted”")
    job = upload(workspace, text, encoding=encoding)
    job = run(workspace, job)
    assert job.status == ImportStatus.DONE, job.file_error
    assert job.error_count == 0
    names = dict(Contact.objects.for_workspace(workspace).values_list("email", "first_name"))
    assert names == {"zoe@example.org": "Zoë", "eve@example.org": "Ève; the, first"}


def test_bad_rows_get_a_report_and_good_rows_go_in(workspace):
    csv = (
        "email,name\n"
        "good@example.org,A\n"
        "not-an-address,B\n"
        "\n"
        "GOOD@example.org,dup\n"
        "trailing@example.org.,C\n"
        "\u0430pple@example.org,D\n"
        "<script>alert(1)</script>@x.org,E\n"
        'ok2@example.org,=HYPERLINK("http://evil")\n'
    )
    job = run(workspace, upload(workspace, csv))
    assert job.status == ImportStatus.DONE
    errors = {e.row_number: e.reason for e in job.row_errors.all()}
    assert sorted(errors) == [3, 5, 6, 7, 8]
    assert errors[5] == "Duplicate of row 2."
    assert job.created_count == 2
    assert job.error_count == 5
    # Every data row is accounted for: created + errors (the blank line has no data).
    assert job.created_count + job.error_count + job.skipped_count == 7
    report = imports_report(job)
    assert "row,email,reason" in report.splitlines()[0]
    assert "3,not-an-address," in report


def imports_report(job):
    from mailsoftly.contacts.exports import import_error_report_csv

    return "".join(import_error_report_csv(contact_import=job))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\n\n\r\n", "empty"),
        (b"\xef\xbb\xbf", "empty"),
    ],
)
def test_empty_files_are_refused_at_upload(workspace, content, message):
    with pytest.raises(ValidationError) as exc:
        upload(workspace, content)
    assert message in exc.value.message_dict["file"][0]
    assert not ContactImport.objects.for_workspace(workspace).exists()


def test_header_only_imports_nothing(workspace):
    job = run(workspace, upload(workspace, "email,first_name\n"))
    assert job.status == ImportStatus.DONE
    assert (job.created_count, job.error_count) == (0, 0)


def test_mapping_without_email_is_refused(workspace):
    job = upload(workspace, "name,city\nAnn,Berlin\n")
    with pytest.raises(ValidationError) as exc:
        imports.contact_import_start(contact_import=job, mapping={"0": "first_name"}, mode="add")
    assert "email" in exc.value.message_dict["mapping"][0]


def test_nul_bytes_huge_line_and_mixed_line_endings(workspace):
    huge = "x" * (10 * 1024 * 1024)
    csv = (
        "email,first_name\r\n"
        "a@example.org,A\n"
        "b@exa\x00mple.org,B\r"
        f"c@example.org,{huge}\r\n"
        "d@example.org,D"
    )
    job = run(workspace, upload(workspace, csv))
    assert job.status == ImportStatus.DONE
    assert emails(workspace) == ["a@example.org", "d@example.org"]
    errors = {e.row_number: e.reason for e in job.row_errors.all()}
    assert set(errors) == {3, 4}
    assert "NUL" in errors[3]


def test_two_hundred_columns(workspace):
    header = ["email"] + [f"col{i}" for i in range(199)]
    row = ["wide@example.org"] + [str(i) for i in range(199)]
    job = run(workspace, upload(workspace, ",".join(header) + "\n" + ",".join(row) + "\n"))
    assert job.status == ImportStatus.DONE
    assert emails(workspace) == ["wide@example.org"]


def test_custom_fields_are_typed_on_import(workspace):
    CustomFieldFactory(workspace=workspace, key="age", label="Age", field_type=FieldType.NUMBER)
    CustomFieldFactory(workspace=workspace, key="since", label="Since", field_type=FieldType.DATE)
    csv = "email,age,since\na@x.org,42,2020-02-03\nb@x.org,old,2020-02-03\n"
    job = run(workspace, upload(workspace, csv))
    assert Contact.objects.for_workspace(workspace).get().fields == {
        "age": 42,
        "since": "2020-02-03",
    }
    assert "Age" in job.row_errors.get().reason


def xlsx_bytes(rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_import(workspace):
    import datetime

    data = xlsx_bytes(
        [
            ["Email", "First name", "OPTIN_TIME"],
            ["x@example.org", "Xena", datetime.datetime(2023, 5, 1, 9)],  # noqa: DTZ001 (Excel has no zone)
            ["bad", "B", None],
        ]
    )
    job = run(workspace, upload(workspace, data, name="people.xlsx"))
    assert job.status == ImportStatus.DONE, job.file_error
    assert emails(workspace) == ["x@example.org"]
    assert [e.row_number for e in job.row_errors.all()] == [3]


def test_xlsx_zip_bomb_is_refused(workspace):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    with pytest.raises(ValidationError) as exc:
        upload(workspace, buffer.getvalue(), name="bomb.xlsx")
    assert "size" in exc.value.message_dict["file"][0]


def test_not_really_xlsx_is_refused(workspace):
    with pytest.raises(ValidationError):
        upload(workspace, b"PK\x03\x04garbage", name="x.xlsx")


def test_upsert_updates_and_add_skips_existing(workspace):
    ContactFactory(workspace=workspace, email="ann@example.org", first_name="Old", last_name="Name")
    job = run(workspace, upload(workspace, "email,first_name\nann@example.org,New\nnew@x.org,N\n"))
    assert (job.created_count, job.skipped_count, job.updated_count) == (1, 1, 0)
    assert (
        Contact.objects.for_workspace(workspace).get(email_key="ann@example.org").first_name
        == "Old"
    )
    job = run(
        workspace, upload(workspace, "email,first_name\nann@example.org,New\n"), mode="upsert"
    )
    assert job.updated_count == 1
    ann = Contact.objects.for_workspace(workspace).get(email_key="ann@example.org")
    assert (ann.first_name, ann.last_name) == ("New", "Name")


def test_unsubscribe_and_blocklist_modes(workspace):
    contact = ContactFactory(workspace=workspace, email="u@example.org")
    ContactFactory(workspace=workspace, email="b@example.org")
    run(
        workspace,
        upload(workspace, "email\nu@example.org\nunknown@example.org\n"),
        mode="unsubscribe",
    )
    contact.refresh_from_db()
    assert contact.status == ContactStatus.UNSUBSCRIBED
    assert Suppression.objects.for_workspace(workspace).count() == 2
    run(workspace, upload(workspace, "email\nb@example.org\n"), mode="blocklist")
    assert (
        Contact.objects.for_workspace(workspace).get(email_key="b@example.org").status
        == "blocklisted"
    )


def test_import_never_resubscribes_someone_who_opted_out(workspace):
    contact_list = ContactListFactory(workspace=workspace)
    contact = ContactFactory(workspace=workspace, email="out@example.org")
    Subscription.objects.for_workspace(workspace).create(
        workspace=workspace, contact=contact, contact_list=contact_list, status="unsubscribed"
    )
    run(workspace, upload(workspace, "email\nout@example.org\n"), contact_list=contact_list)
    assert Subscription.objects.for_workspace(workspace).get().status == "unsubscribed"


def test_crash_midway_leaves_an_exact_report_and_resume_changes_nothing_twice(
    workspace, monkeypatch
):
    lines = ["email,first_name"] + [f"p{i}@example.org,P{i}" for i in range(25)]
    lines.insert(5, "broken,row")
    lines.insert(9, "p1@example.org,dup")
    csv = "\n".join(lines) + "\n"
    contact_list = ContactListFactory(workspace=workspace)
    monkeypatch.setattr(engine, "BATCH_ROWS", 10)
    real_add = engine.BatchWriter._add_or_update
    calls = {"n": 0}

    def crash_on_third_batch(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            real_add(self, *args, **kwargs)  # writes, then the worker "dies"
            raise RuntimeError("worker killed")
        return real_add(self, *args, **kwargs)

    monkeypatch.setattr(engine.BatchWriter, "_add_or_update", crash_on_third_batch)
    job = upload(workspace, csv)
    original = engine.import_apply

    def small_batches(**kwargs):
        return original(**kwargs, batch_rows=10)

    monkeypatch.setattr(imports, "import_apply", small_batches)
    job = run(workspace, job, contact_list=contact_list)
    assert job.status == ImportStatus.FAILED
    assert job.rows_done == 21  # two batches of 10 data rows after the header (row 1)
    assert "Rows up to 21 went in" in job.file_error
    assert Contact.objects.for_workspace(workspace).count() == 18  # 20 rows - 1 bad - 1 dup
    assert job.error_count == 2

    with TestCase.captureOnCommitCallbacks(using=workspace.database, execute=True):
        imports.contact_import_resume(contact_import=job)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.file_error
    assert Contact.objects.for_workspace(workspace).count() == 25
    assert ConsentRecord.objects.for_workspace(workspace).count() == 25
    assert Subscription.objects.for_workspace(workspace).count() == 25
    assert (job.created_count, job.error_count) == (25, 2)
    assert sorted(e.row_number for e in job.row_errors.all()) == [6, 10]

    # Running the finished job again changes nothing.
    imports.contact_import_run(contact_import=job)
    job.refresh_from_db()
    assert (job.created_count, job.error_count) == (25, 2)


def test_a_second_runner_cannot_apply_the_same_batch(workspace):
    job = upload(workspace, "email\na@x.org\nb@x.org\n")
    job.mapping, job.mode, job.status = {"0": "email"}, "add", ImportStatus.RUNNING
    job.save()
    stale = ContactImport.objects.for_workspace(workspace).get(pk=job.pk)
    engine.import_apply(contact_import=job, path=imports.contact_import_path(contact_import=job))
    with pytest.raises(engine.ImportConflict):
        engine.import_apply(
            contact_import=stale, path=imports.contact_import_path(contact_import=stale)
        )
    assert Contact.objects.for_workspace(workspace).count() == 2


@pytest.mark.policy("P40")
def test_eu_import_writes_only_to_the_eu_database(eu_workspace):
    job = upload(eu_workspace, MAILCHIMP)
    job = run(eu_workspace, job, contact_list=ContactListFactory(workspace=eu_workspace))
    assert job.status == ImportStatus.DONE, job.file_error
    assert Contact.objects.using("eu").count() == 2
    assert ConsentRecord.objects.using("eu").count() == 2
    assert Contact.objects.using("default").count() == 0
    assert ConsentRecord.objects.using("default").count() == 0


@pytest.mark.usefixtures("unlimited_plan")  # 4,000 rows: more than the Free plan holds
def test_misdeclared_encoding_late_in_the_file_is_a_row_error(workspace):
    good = "".join(f"p{i}@example.org,Name{i}\n" for i in range(4000))  # > 64 KB sample
    data = ("email,first_name\n" + good).encode("utf-8") + "late@example.org,Zoë\n".encode(
        "latin-1"
    )
    job = run(workspace, upload(workspace, data))
    assert job.status == ImportStatus.DONE
    assert job.created_count == 4000
    error = job.row_errors.get()
    assert error.row_number == 4002
    assert "utf-8" in error.reason


def test_read_ahead_keeps_order_and_the_callers_language():
    from django.utils import translation

    def items():
        for n in range(5):
            yield ([], [(n, "", translation.get_language())], n)

    with translation.override("de"):
        got = list(engine.read_ahead(items()))
    assert [last for _batch, _errors, last in got] == [0, 1, 2, 3, 4]
    assert {errors[0][2] for _batch, errors, _last in got} == {"de"}


def test_read_ahead_raises_the_readers_error_in_the_caller():
    def items():
        yield ([], [], 1)
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad byte")

    got = []
    with pytest.raises(UnicodeDecodeError):
        for item in engine.read_ahead(items()):
            got.append(item)
    assert got == [([], [], 1)]


def test_read_ahead_stops_and_closes_the_reader_when_the_caller_fails():
    closed = []

    def items():
        try:
            for n in range(1000):
                yield ([], [], n)
        finally:
            closed.append(True)

    with pytest.raises(RuntimeError):
        for _batch, _errors, last in engine.read_ahead(items()):
            if last == 2:
                raise RuntimeError("the batch failed")
    assert closed == [True]


def test_an_import_batch_commits_without_waiting_for_the_wal_on_postgresql(workspace):
    from django.db import connections, transaction

    job = upload(workspace, "email\na@x.org\n")
    job.mapping, job.mode, job.status = {"0": "email"}, "add", ImportStatus.RUNNING
    job.save()
    writer = engine.BatchWriter(job)
    connection = connections[workspace.database]
    if connection.vendor != "postgresql":
        pytest.skip("synchronous_commit is a PostgreSQL setting")
    # SET LOCAL: it lasts until the outermost transaction ends (here the test's).
    with transaction.atomic(using=workspace.database):
        writer._commit_asynchronously()
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "off"


def test_an_upload_whose_file_is_gone_fails_at_start_with_the_reason(workspace):
    from django.core.files.storage import default_storage

    job = upload(workspace, MAILCHIMP)
    default_storage.delete(job.file_path)
    with pytest.raises(imports.ImportStartFailed):
        imports.contact_import_start(contact_import=job, mapping={"0": "email"}, mode="add")
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert "can no longer be read" in job.file_error
    assert "No rows were written." in job.file_error
    # Resuming cannot help an import that never started.
    with pytest.raises(ValidationError):
        imports.contact_import_resume(contact_import=job)


def test_an_upload_that_became_unreadable_fails_at_preview_with_the_files_error(workspace):
    from django.core.files.storage import default_storage

    job = upload(workspace, MAILCHIMP)
    with default_storage.open(job.file_path, "wb") as handle:
        handle.write(b"")
    with pytest.raises(imports.ImportStartFailed):
        imports.contact_import_preview(contact_import=job)
    job.refresh_from_db()
    assert (job.status, job.file_error) == (
        ImportStatus.FAILED,
        "The file is empty. No rows were written.",
    )
