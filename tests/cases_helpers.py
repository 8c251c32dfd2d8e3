"""Building blocks for case tests: subject areas, cases and sample files."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import Case, SubjectArea
from cases.services import do_create_case
from cases.uploads import check_upload
from portal.models import Organisation, User

PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def subject_area(category: str = "lonn") -> SubjectArea:
    area, _ = SubjectArea.objects.get_or_create(
        category=category,
        name_nb="Lønnskjøring" if category == "lonn" else "Fakturabehandling",
        defaults={"name_en": "Payroll run" if category == "lonn" else "Invoices"},
    )
    return area


def pdf(name: str = "vedlegg.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def make_case(
    organisation: Organisation,
    reporter: User | None,
    category: str = "lonn",
    *,
    title: str = "Feil i lønnskjøring",
    channel: Case.Channel = Case.Channel.PORTAL,
    actor: User | None = None,
    with_attachment: bool = False,
) -> Case:
    uploads = [check_upload(pdf())] if with_attachment else []
    acting = actor or reporter
    assert acting is not None
    return do_create_case(
        actor=acting,
        organisation=organisation,
        subject_area=subject_area(category),
        title=title,
        description="Beskrivelse av saken",
        uploads=uploads,
        channel=channel,
        reported_by=reporter,
        on_behalf=actor is not None,
    )


def bytes_of(response: object) -> bytes:
    buffer = io.BytesIO()
    for chunk in response.streaming_content:  # type: ignore[attr-defined]
        buffer.write(chunk)
    return buffer.getvalue()
