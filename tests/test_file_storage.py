"""Files: local disk or object storage (issue 16, point 4).

Every file the portal keeps goes through ``STORAGES["default"]``: attachments,
exports and the fullmakt form's held files. The same stories run on the disk
(the default) and on S3-compatible object storage (django-storages, with moto
imitating S3 in this process), configured as production configures it: from the
environment (``portal.env.file_storage``). On S3 nothing may reach the machine's
disk, and every download still goes through the view that checks access.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from moto import mock_aws

from access.fullmakt_views import HELD
from cases.files import sweep_orphan_files
from cases.models import Attachment, Case, ExportJob
from portal import env
from tests.cases_helpers import PDF_BYTES, bytes_of, pdf, subject_area
from tests.conftest import Cast, client_for
from tests.test_fullmakt_form import REVIEW, download, fill, per_row, send

BUCKET = "kundesenter-filer"
REGION = "eu-north-1"
S3_ENVIRONMENT = ("FILE_STORAGE", "S3_BUCKET", "S3_ENDPOINT_URL", "S3_REGION")
S3_SECRETS = ("S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY")


@dataclass
class Files:
    """The storage a test runs on, and how to look behind it."""

    kind: str
    media: Path  # MEDIA_ROOT: the files themselves on disk, and nothing at all on S3
    bucket: Any = None  # boto3's S3 client on the imitated bucket

    def stored(self) -> list[str]:
        """Every name in the storage, read behind the storage API's back."""
        if self.bucket is not None:
            listing = self.bucket.list_objects_v2(Bucket=BUCKET)
            return sorted(entry["Key"] for entry in listing.get("Contents", []))
        return sorted(
            str(path.relative_to(self.media)) for path in self.media.rglob("*") if path.is_file()
        )


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*S3_ENVIRONMENT, *S3_SECRETS):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"{name}_FILE", raising=False)


@pytest.fixture(params=["filesystem", "s3"])
def files(
    request: pytest.FixtureRequest,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    clean_environment: None,
) -> Iterator[Files]:
    settings.MEDIA_ROOT = tmp_path / "media"
    if request.param == "filesystem":
        settings.STORAGES = {**settings.STORAGES, "default": env.file_storage()}
        yield Files("filesystem", tmp_path / "media")
        return
    secret_file = tmp_path / "s3-secret"
    secret_file.write_text("hemmelig-nøkkel\n")
    monkeypatch.setenv("FILE_STORAGE", "s3")
    monkeypatch.setenv("S3_BUCKET", BUCKET)
    monkeypatch.setenv("S3_REGION", REGION)
    monkeypatch.setenv("S3_ACCESS_KEY_ID", "kundesenter")
    monkeypatch.setenv("S3_SECRET_ACCESS_KEY_FILE", str(secret_file))  # as a Docker secret
    with mock_aws():
        bucket = boto3.client(
            "s3",
            region_name=REGION,
            aws_access_key_id="kundesenter",
            aws_secret_access_key="hemmelig-nøkkel",
        )
        bucket.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        settings.STORAGES = {**settings.STORAGES, "default": env.file_storage()}
        yield Files("s3", tmp_path / "media", bucket)
    assert not (tmp_path / "media").exists(), "a file reached the disk instead of the bucket"


def _report(client: Client, *uploads: Any) -> Case:
    response = client.post(
        "/saker/ny/",
        {
            "category": "lonn",
            "subject_area": subject_area("lonn").pk,
            "title": "Lønnsslipp mangler",
            "description": "Se vedlegget.",
            "submission_key": str(uuid.uuid4()),
            "attachments": list(uploads),
        },
    )
    assert response.status_code == 302
    case = Case.objects.order_by("-pk").first()
    assert case is not None
    return case


def _written(name: str) -> str:
    """A file written straight to the storage, as a process killed before its commit leaves it."""
    return default_storage.save(name, ContentFile(b"innhold"))


# --- settings ------------------------------------------------------------------------


def test_the_disk_is_the_default(clean_environment: None) -> None:
    assert env.file_storage() == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_s3_is_configured_from_the_environment_with_secrets_from_files(
    clean_environment: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "key").write_text("AKIAKUNDESENTER\n")
    (tmp_path / "secret").write_text("s3cret\n")
    monkeypatch.setenv("FILE_STORAGE", "S3")
    monkeypatch.setenv("S3_BUCKET", BUCKET)
    monkeypatch.setenv("S3_ENDPOINT_URL", "https://s3.example.no")
    monkeypatch.setenv("S3_ACCESS_KEY_ID_FILE", str(tmp_path / "key"))
    monkeypatch.setenv("S3_SECRET_ACCESS_KEY_FILE", str(tmp_path / "secret"))
    storage = env.file_storage()
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"] == {
        "bucket_name": BUCKET,
        "endpoint_url": "https://s3.example.no",
        "region_name": None,
        "access_key": "AKIAKUNDESENTER",
        "secret_key": "s3cret",
        "default_acl": None,
        "querystring_auth": False,
        "file_overwrite": False,
    }


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"FILE_STORAGE": "minio"}, "FILE_STORAGE must be one of filesystem, s3, not 'minio'"),
        ({"FILE_STORAGE": "s3"}, "FILE_STORAGE=s3 needs S3_BUCKET"),
        (
            {"FILE_STORAGE": "s3", "S3_BUCKET": BUCKET, "S3_ACCESS_KEY_ID": "AKIA"},
            "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY",
        ),
        (
            {"FILE_STORAGE": "s3", "S3_BUCKET": BUCKET, "S3_ENDPOINT_URL": "s3.example.no"},
            "S3_ENDPOINT_URL must be an http:// or https:// address",
        ),
    ],
)
def test_missing_or_wrong_s3_settings_stop_the_start(
    clean_environment: None,
    monkeypatch: pytest.MonkeyPatch,
    variables: dict[str, str],
    message: str,
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=message):
        env.file_storage()


# --- attachments and exports go through the storage and a view that checks access ---


def test_an_attachment_is_stored_and_downloaded_through_the_storage(
    cast: Cast, files: Files
) -> None:
    case = _report(client_for(cast.per), pdf("lønnsslipp.pdf"))
    attachment = case.attachments.get()
    name = str(attachment.file.name)
    assert name.startswith("attachments/")
    assert files.stored() == [name]
    if files.bucket is not None:
        assert files.bucket.get_object(Bucket=BUCKET, Key=name)["Body"].read() == PDF_BYTES
        # Private: only the owner's grant, no public or authenticated-users one.
        acl = files.bucket.get_object_acl(Bucket=BUCKET, Key=name)
        assert [grant["Grantee"]["Type"] for grant in acl["Grants"]] == ["CanonicalUser"]
        with pytest.raises(NotImplementedError):
            default_storage.path(name)  # there is no local path

    url = f"/saker/{case.number}/vedlegg/{attachment.pk}/"
    response = client_for(cast.per).get(url)  # the plain member who reported it
    assert response.status_code == 200
    assert bytes_of(response) == PDF_BYTES
    assert response["Content-Disposition"].startswith("attachment;")
    assert client_for(cast.ola).get(url).status_code == 404  # a colleague without utvidet tilgang
    assert client_for(cast.nina).get(url).status_code == 404  # the outsider


def test_an_export_file_is_downloaded_through_the_storage(cast: Cast, files: Files) -> None:
    job = ExportJob.objects.create(
        user=cast.per, organisation=cast.fjordetaten, state=ExportJob.State.DONE
    )
    job.file.save(f"{job.pk}.xlsx", ContentFile(b"PK\x03\x04 ikke ekte xlsx"))
    job.file_name = "saker.xlsx"
    job.save()
    assert files.stored() == [job.file.name]
    url = f"/saker/eksport/{job.pk}/fil/"
    assert bytes_of(client_for(cast.per).get(url)) == b"PK\x03\x04 ikke ekte xlsx"
    assert client_for(cast.ola).get(url).status_code == 404
    assert client_for(cast.nina).get(url).status_code == 404


def test_the_fullmakt_forms_held_files_are_in_the_storage(cast: Cast, files: Files) -> None:
    client = client_for(cast.per)
    assert send(client, fill(download(client), [per_row()])).status_code == 302
    token = client.session["fullmakt_upload"]
    assert files.stored() == [f"{HELD}/{token}.{part}" for part in ("json", "signed", "xlsx")]
    assert client.get(REVIEW).status_code == 200
    assert client.post(REVIEW).status_code == 302
    case = Case.objects.get()
    assert files.stored() == sorted(case.attachments.values_list("file", flat=True))
    assert len(files.stored()) == 2


# --- orphans ---------------------------------------------------------------------------


def test_files_without_a_row_are_swept_after_the_grace(cast: Cast, files: Files) -> None:
    case = _report(client_for(cast.per), pdf())
    kept_attachment = str(case.attachments.get().file.name)
    job = ExportJob.objects.create(user=cast.per, organisation=cast.fjordetaten)
    job.file.save(f"{job.pk}.xlsx", ContentFile(b"PK"))
    # What a killed submission and a killed export leave: files no row names.
    lost_attachment = _written(f"attachments/2024/05/{uuid.uuid4().hex}")
    lost_export = _written(f"exports/{uuid.uuid4()}.xlsx")
    held = _written(f"{HELD}/token.json")  # the fullmakt form's: not this sweep's

    # All were written just now: perhaps by a submission still in its transaction.
    assert sweep_orphan_files() == []
    assert sorted(sweep_orphan_files(older_than=dt.timedelta(0))) == sorted(
        [lost_attachment, lost_export]
    )
    assert files.stored() == sorted([kept_attachment, str(job.file.name), held])
    assert sweep_orphan_files(older_than=dt.timedelta(0)) == []


def test_a_deleted_cases_files_are_swept(cast: Cast, files: Files) -> None:
    case = _report(client_for(cast.per), pdf("a.pdf"), pdf("b.pdf"))
    names = sorted(case.attachments.values_list("file", flat=True))
    Attachment.objects.filter(case=case).delete()
    assert sorted(sweep_orphan_files(older_than=dt.timedelta(0))) == names
    assert files.stored() == []


def test_the_command_sweeps_with_the_grace_it_is_given(cast: Cast, files: Files) -> None:
    lost = _written(f"attachments/2024/05/{uuid.uuid4().hex}")
    out = io.StringIO()
    call_command("sweep_orphan_files", stdout=out)
    assert out.getvalue() == "0 file(s) without a row deleted.\n"
    assert files.stored() == [lost]
    call_command("sweep_orphan_files", "--older-than-minutes=0", stdout=out)
    assert out.getvalue().endswith("1 file(s) without a row deleted.\n")
    assert files.stored() == []
