"""Attachments are judged by their content, and refused with a message that names them.

The samples are built here, small but real: a PDF header, a 1×1 PNG, Office and
OpenDocument zips, a workbook written by openpyxl. None of this needs the database.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib
from collections.abc import Iterator

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import Workbook

from cases import uploads
from cases.uploads import (
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS_PER_SUBMISSION,
    check_upload,
    check_uploads,
)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """The messages are asserted as written in the code (English msgids)."""
    with translation.override("en"):
        yield


PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00"
    b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
# A little-endian TIFF header pointing at an empty image file directory.
TIFF = b"II*\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00"
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56

WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
WORD_MACRO_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
POWERPOINT_MAIN = (
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
)


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1×1, 8-bit RGB
    pixels = zlib.compress(b"\x00\xff\x00\x00")  # filter byte, one red pixel
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def zipped(members: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def ooxml(main_part: str, main_type: str, *extra_parts: str) -> bytes:
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{main_part}" ContentType="{main_type}"/>'
        "</Types>"
    )
    members: dict[str, bytes | str] = {
        "[Content_Types].xml": content_types,
        "_rels/.rels": "<Relationships/>",
        main_part: "<document/>",
    }
    members.update({part: b"\x00\x01" for part in extra_parts})
    return zipped(members)


def docx() -> bytes:
    return ooxml("word/document.xml", WORD_MAIN)


def xlsx() -> bytes:
    workbook = Workbook()
    workbook.active["A1"] = "Lønnsoppgave"  # type: ignore[index]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def opendocument(mimetype: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        # The ODF rule: "mimetype" first and stored uncompressed.
        archive.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", "<office:document-content/>", zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", "<manifest:manifest/>")
    return buffer.getvalue()


def ole2(*streams: str) -> bytes:
    """The OLE2 signature and directory entries (128 bytes, UTF-16LE name) for the streams.

    Not a complete compound file: the check only reads the signature and the entry names.
    """
    entries = b"".join(
        (stream + "\0").encode("utf-16-le").ljust(64, b"\0").ljust(128, b"\0")
        for stream in ("Root Entry", *streams)
    )
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + entries


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    # The browser's content type is a lie on purpose: it must not matter.
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def refusal(name: str, content: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        check_upload(upload(name, content))
    return caught.value


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("vedtak.pdf", PDF, "application/pdf"),
        ("skjermbilde.png", png(), "image/png"),
        ("foto.jpg", JPEG, "image/jpeg"),
        ("foto.JPEG", JPEG, "image/jpeg"),
        ("animasjon.gif", GIF, "image/gif"),
        ("skann.tif", TIFF, "image/tiff"),
        ("skann.tiff", b"MM\x00*\x00\x00\x00\x08\x00\x00", "image/tiff"),
        ("brev.docx", docx(), uploads.DOCX["docx"]),
        ("lønn.xlsx", xlsx(), uploads.XLSX["xlsx"]),
        ("møte.pptx", ooxml("ppt/presentation.xml", POWERPOINT_MAIN), uploads.PPTX["pptx"]),
        ("brev.odt", opendocument("application/vnd.oasis.opendocument.text"), uploads.ODT["odt"]),
        (
            "budsjett.ods",
            opendocument("application/vnd.oasis.opendocument.spreadsheet"),
            uploads.ODS["ods"],
        ),
        (
            "møte.odp",
            opendocument("application/vnd.oasis.opendocument.presentation"),
            uploads.ODP["odp"],
        ),
        ("gammelt.doc", ole2("WordDocument", "1Table"), "application/msword"),
        ("gammelt.xls", ole2("Workbook"), "application/vnd.ms-excel"),
        ("notat.txt", "Hei, Kari!\r\nSjå vedlegget.\tTakk.\n".encode(), "text/plain"),
        ("notat.txt", "\ufeffMed BOM: æøå\n".encode(), "text/plain"),
        ("eksport.csv", "navn;beløp\nÅse;1 000 €\n".encode("cp1252"), "text/csv"),
    ],
)
def test_accepted_kinds_are_detected_from_content(
    name: str, content: bytes, content_type: str
) -> None:
    file = upload(name, content)
    file.read(3)  # the caller may have read some already

    checked = check_upload(file)

    assert checked.name == name
    assert checked.content_type == content_type
    assert checked.size == len(content)
    assert checked.sha256 == hashlib.sha256(content).hexdigest()
    assert checked.upload is file
    assert file.tell() == 0


def test_decomposed_name_is_normalised() -> None:
    checked = check_upload(upload("  Ra\u030aholt.pdf ", PDF))  # macOS sends "å" as a + ˚
    assert checked.name == "R\u00e5holt.pdf"


def test_empty_file_is_refused() -> None:
    error = refusal("tomt.pdf", b"")
    assert error.code == "upload_empty"
    assert "“tomt.pdf”" in error.messages[0]


def test_file_over_the_limit_is_refused() -> None:
    error = refusal("stor.pdf", PDF + b"\0" * MAX_ATTACHMENT_BYTES)
    assert error.code == "upload_too_large"
    assert "“stor.pdf” is larger than 25 MB." in error.messages[0]


def test_declared_size_is_not_trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uploads, "MAX_ATTACHMENT_BYTES", 100)
    file = upload("stor.pdf", PDF + b"\0" * 100)
    file.size = 10
    with pytest.raises(ValidationError) as caught:
        check_upload(file)
    assert caught.value.code == "upload_too_large"


@pytest.mark.parametrize("content", [EXECUTABLE, ELF])
def test_executable_renamed_to_pdf_is_not_an_allowed_type(content: bytes) -> None:
    error = refusal("faktura.pdf", content)
    assert error.code == "upload_type_not_allowed"
    assert "“faktura.pdf” is not a file type we accept." in error.messages[0]


def test_png_named_pdf_does_not_match_its_name() -> None:
    error = refusal("kvittering.pdf", png())
    assert error.code == "upload_content_mismatch"
    assert error.messages == ["“kvittering.pdf” has content that does not match its name (.pdf)."]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("brev.pdf", docx()),
        ("lønn.docx", xlsx()),
        ("brev.ods", opendocument("application/vnd.oasis.opendocument.text")),
        ("gammelt.xls", ole2("WordDocument")),
        ("notat.pdf", b"Bare tekst\n"),
        ("vedtak.txt", PDF),
    ],
)
def test_other_content_under_a_known_name_is_refused(name: str, content: bytes) -> None:
    error = refusal(name, content)
    assert error.code == "upload_content_mismatch"
    assert f"“{name}”" in error.messages[0]


def test_name_without_an_ending_is_refused() -> None:
    error = refusal("vedtak", PDF)
    assert error.code == "upload_no_extension"
    assert "“vedtak”" in error.messages[0]


@pytest.mark.parametrize(
    "content",
    [
        ooxml("word/document.xml", WORD_MACRO_MAIN, "word/vbaProject.bin"),
        ooxml("word/document.xml", WORD_MACRO_MAIN),  # the content type alone
        ooxml("word/document.xml", WORD_MAIN, "word/vbaProject.bin"),  # the part alone
        ooxml("word/document.xml", WORD_MAIN, "word/VBAPROJECT.BIN"),
    ],
)
def test_macro_enabled_word_named_docx_is_refused(content: bytes) -> None:
    error = refusal("skjema.docx", content)
    assert error.code == "upload_macros"
    assert error.messages == ["Macro-enabled Office files are not accepted: “skjema.docx”."]


def test_legacy_word_with_macros_is_refused() -> None:
    error = refusal("gammelt.doc", ole2("WordDocument", "Macros", "VBA", "_VBA_PROJECT"))
    assert error.code == "upload_macros"


def test_password_protected_office_file_is_refused() -> None:
    # Word and Excel wrap an encrypted .docx/.xlsx in an OLE2 file.
    error = refusal("hemmelig.docx", ole2("EncryptionInfo", "EncryptedPackage"))
    assert error.code == "upload_encrypted"
    assert "“hemmelig.docx”" in error.messages[0]


@pytest.mark.parametrize(
    "content",
    [
        zipped({"bilde.png": png()}),  # a plain zip archive
        ole2("SummaryInformation"),  # OLE2, but neither Word nor Excel
    ],
)
def test_other_containers_are_not_an_allowed_type(content: bytes) -> None:
    assert refusal("brev.docx", content).code == "upload_type_not_allowed"


def test_damaged_zip_is_refused() -> None:
    error = refusal("brev.docx", docx()[:200])
    assert error.code == "upload_damaged"
    assert "“brev.docx”" in error.messages[0]


def test_zip_bomb_is_refused() -> None:
    # 210 MB of zeros packs into a few hundred kilobytes.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml", '<Types><Override PartName="/word/document.xml"/></Types>'
        )
        with archive.open("word/document.xml", "w") as member:
            zeros = b"\0" * (1024 * 1024)
            for _megabyte in range(210):
                member.write(zeros)
    content = buffer.getvalue()
    assert len(content) < MAX_ATTACHMENT_BYTES

    error = refusal("bombe.docx", content)

    assert error.code == "upload_unpacks_too_much"
    assert "“bombe.docx”" in error.messages[0]


def test_zip_with_too_many_members_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uploads, "MAX_ZIP_MEMBERS", 5)
    content = ooxml("word/document.xml", WORD_MAIN, *(f"word/media/{n}.png" for n in range(5)))
    assert refusal("mange.docx", content).code == "upload_unpacks_too_much"


@pytest.mark.parametrize(
    "content",
    [
        b"Linje 1\nLinje\x00 2\n",  # a NUL byte
        b"Linje 1\x1b[31m\n",  # an escape sequence (valid UTF-8)
        b"Pris: 100 \x80 \x7f\n",  # Windows-1252, but with DEL
        b"Udefinert \x81 tegn\n",  # undefined in Windows-1252
    ],
)
def test_text_with_control_characters_is_not_an_allowed_type(content: bytes) -> None:
    error = refusal("notat.txt", content)
    assert error.code == "upload_type_not_allowed"
    assert "“notat.txt”" in error.messages[0]


def test_utf16_text_is_refused_for_its_nul_bytes() -> None:
    assert refusal("notat.txt", "Hei".encode("utf-16")).code == "upload_type_not_allowed"


@pytest.mark.parametrize("name", ["..\\..\\Windows\\faktura.pdf", "mappe\\faktura.pdf"])
def test_name_with_backslash_is_refused(name: str) -> None:
    error = refusal(name, PDF)
    assert error.code == "upload_name_path"
    assert error.messages == [
        f"The file name “{name}” is not allowed. Rename the file without slashes and try again."
    ]


@pytest.mark.parametrize("name", ["../../etc/faktura.pdf", "mappe/faktura.pdf", ".."])
def test_name_with_slash_or_parent_part_is_refused(name: str) -> None:
    # Django already cuts a slashed name down to its last part, and refuses ".."; a name
    # that still holds one was made outside the upload parser. Set it past that guard.
    file = upload("faktura.pdf", PDF)
    file._name = name  # type: ignore[attr-defined]
    with pytest.raises(ValidationError) as caught:
        check_upload(file)
    assert caught.value.code == "upload_name_path"
    assert f"“{name}”" in caught.value.messages[0]


@pytest.mark.parametrize("name", ["faktura\x00.pdf", "faktura\r\n.pdf", "faktura\u202efdp.txt"])
def test_name_with_control_characters_is_refused(name: str) -> None:
    error = refusal(name, PDF)
    assert error.code == "upload_name_characters"
    assert "The file name “faktura\ufffd" in error.messages[0]


def test_blank_name_is_refused() -> None:
    error = refusal("   ", PDF)
    assert error.code == "upload_name_empty"


def test_name_over_200_characters_is_refused() -> None:
    name = "x" * 197 + ".pdf"
    assert check_upload(upload("x" * 196 + ".pdf", PDF)).name == "x" * 196 + ".pdf"
    error = refusal(name, PDF)
    assert error.code == "upload_name_too_long"
    assert f"“{name}”" in error.messages[0]


def test_submission_with_too_many_files_is_refused() -> None:
    files = [upload(f"vedlegg-{n}.pdf", PDF) for n in range(MAX_ATTACHMENTS_PER_SUBMISSION + 1)]
    with pytest.raises(ValidationError) as caught:
        check_uploads(files)
    assert caught.value.code == "upload_too_many"
    assert caught.value.messages == ["You can attach at most 10 files at a time."]


def test_submission_at_the_limit_is_accepted() -> None:
    files = [upload(f"vedlegg-{n}.pdf", PDF) for n in range(MAX_ATTACHMENTS_PER_SUBMISSION)]
    checked = check_uploads(files)
    assert [c.name for c in checked] == [f"vedlegg-{n}.pdf" for n in range(10)]


def test_submission_lists_every_refused_file() -> None:
    files = [
        upload("vedtak.pdf", PDF),
        upload("tomt.pdf", b""),
        upload("program.pdf", EXECUTABLE),
        upload("bilde.pdf", png()),
    ]
    with pytest.raises(ValidationError) as caught:
        check_uploads(files)

    refused = caught.value.error_list
    assert [error.code for error in refused] == [
        "upload_empty",
        "upload_type_not_allowed",
        "upload_content_mismatch",
    ]
    messages = caught.value.messages
    assert "“tomt.pdf”" in messages[0]
    assert "“program.pdf”" in messages[1]
    assert "“bilde.pdf”" in messages[2]


def test_every_refusal_leaves_the_file_rewound() -> None:
    file = upload("program.pdf", EXECUTABLE)
    with pytest.raises(ValidationError):
        check_upload(file)
    assert file.tell() == 0
