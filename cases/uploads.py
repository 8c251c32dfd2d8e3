"""Checks on attachments before a case accepts them.

The file type is decided from the content (magic bytes and container structure), never
from the name or the content type the browser sent: both are chosen by the sender. The
name's extension must then belong to the detected type, so an executable renamed to
``.pdf`` and a PNG named ``.pdf`` are both refused. Nothing is written to disk or to the
database here; the caller stores what comes back.
"""

from __future__ import annotations

import codecs
import hashlib
import lzma
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
MAX_ATTACHMENTS_PER_SUBMISSION = 10
MAX_NAME_LENGTH = 200

# Zip bomb guards for the Office and OpenDocument containers.
MAX_ZIP_MEMBERS = 10_000
MAX_ZIP_UNPACKED_BYTES = 200 * 1024 * 1024
_MAX_CONTENT_TYPES_BYTES = 1024 * 1024

# A detected kind maps each file-name extension that may carry it to its MIME type.
Kind = Mapping[str, str]

PDF: Kind = {"pdf": "application/pdf"}
PNG: Kind = {"png": "image/png"}
JPEG: Kind = {"jpg": "image/jpeg", "jpeg": "image/jpeg"}
GIF: Kind = {"gif": "image/gif"}
TIFF: Kind = {"tif": "image/tiff", "tiff": "image/tiff"}
DOCX: Kind = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
XLSX: Kind = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
PPTX: Kind = {"pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation"}
ODT: Kind = {"odt": "application/vnd.oasis.opendocument.text"}
ODS: Kind = {"ods": "application/vnd.oasis.opendocument.spreadsheet"}
ODP: Kind = {"odp": "application/vnd.oasis.opendocument.presentation"}
DOC: Kind = {"doc": "application/msword"}
XLS: Kind = {"xls": "application/vnd.ms-excel"}
TEXT: Kind = {"txt": "text/plain", "csv": "text/csv"}

_SIGNATURES: tuple[tuple[bytes, Kind], ...] = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
)
_ZIP_SIGNATURE = b"PK\x03\x04"
_OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Every entry zipfile can list starts with this signature in the central directory, so
# counting it bounds the member count before zipfile builds an object for each one.
_ZIP_DIRECTORY_ENTRY = b"PK\x01\x02"

# OOXML: the main part that [Content_Types].xml must name (lower case: OPC part names
# compare case-insensitively).
_OOXML_MAIN_PARTS: tuple[tuple[str, Kind], ...] = (
    ("word/document.xml", DOCX),
    ("xl/workbook.xml", XLSX),
    ("ppt/presentation.xml", PPTX),
)
_ODF_MIMETYPES: Mapping[bytes, Kind] = {
    b"application/vnd.oasis.opendocument.text": ODT,
    b"application/vnd.oasis.opendocument.spreadsheet": ODS,
    b"application/vnd.oasis.opendocument.presentation": ODP,
}


def _ole2_stream(name: str, *, whole: bool = True) -> bytes:
    """An OLE2 directory entry name as stored: UTF-16LE, NUL-terminated when whole.

    OLE2 stream names compare case-insensitively, so the pattern is lower case and is
    looked for in lower-cased content.
    """
    return (name + ("\0" if whole else "")).encode("utf-16-le").lower()


# Legacy Word and Excel are told apart by their main stream; a VBA project anywhere
# means macros. Scanning for directory-entry names is a heuristic without a full OLE2
# parser, but it cannot miss a stream that is there.
_OLE2_WORD = _ole2_stream("WordDocument")
_OLE2_EXCEL = (_ole2_stream("Workbook"), _ole2_stream("Book"))
_OLE2_MACROS = _ole2_stream("_VBA_PROJECT", whole=False)
_OLE2_ENCRYPTED = _ole2_stream("EncryptedPackage")  # a password-protected OOXML file

# Control characters other than tab, LF and CR (C0, DEL and C1).
_TEXT_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Bidirectional overrides can make "invoice\u202efdp.exe" display as "invoiceexe.pdf".
_NAME_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class CheckedUpload:
    upload: UploadedFile[bytes]  # rewound to the start
    name: str  # the cleaned original file name
    content_type: str  # detected from the content
    size: int
    sha256: str


def check_uploads(uploads: Sequence[UploadedFile[bytes]]) -> list[CheckedUpload]:
    """Check every file of one submission; the error lists every file that was refused."""
    if len(uploads) > MAX_ATTACHMENTS_PER_SUBMISSION:
        raise ValidationError(
            ngettext(
                "You can attach at most %(count)s file at a time.",
                "You can attach at most %(count)s files at a time.",
                MAX_ATTACHMENTS_PER_SUBMISSION,
            ),
            code="upload_too_many",
            params={"count": number_format(MAX_ATTACHMENTS_PER_SUBMISSION, force_grouping=True)},
        )
    checked: list[CheckedUpload] = []
    errors: list[ValidationError] = []
    for upload in uploads:
        try:
            checked.append(check_upload(upload))
        except ValidationError as error:
            errors.append(error)
    if errors:
        raise ValidationError(errors)
    return checked


def check_upload(upload: UploadedFile[bytes]) -> CheckedUpload:
    name = _clean_name(upload.name)
    try:
        size, sha256 = _measure(upload, name)
        content_type = _content_type(_detect(upload, name), name)
    finally:
        upload.seek(0)
    return CheckedUpload(
        upload=upload, name=name, content_type=content_type, size=size, sha256=sha256
    )


def _clean_name(raw: str | None) -> str:
    # Django's upload parser already drops directories from the name; a name that still
    # holds one did not come from a browser, so it is refused, not repaired.
    raw = raw or ""
    shown = _NAME_FORBIDDEN.sub("\ufffd", raw)
    if "/" in raw or "\\" in raw or raw.strip() in {".", ".."}:
        raise ValidationError(
            _(
                "The file name “%(name)s” is not allowed. "
                "Rename the file without slashes and try again."
            ),
            code="upload_name_path",
            params={"name": shown},
        )
    if _NAME_FORBIDDEN.search(raw):
        raise ValidationError(
            _(
                "The file name “%(name)s” contains characters that are not allowed. "
                "Rename the file and try again."
            ),
            code="upload_name_characters",
            params={"name": shown},
        )
    name = unicodedata.normalize("NFC", raw.strip())
    if not name:
        raise ValidationError(
            _("One of the files has no name. Give it a name and try again."),
            code="upload_name_empty",
        )
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(
            ngettext(
                "The file name “%(name)s” is too long. Use at most %(limit)s character.",
                "The file name “%(name)s” is too long. Use at most %(limit)s characters.",
                MAX_NAME_LENGTH,
            ),
            code="upload_name_too_long",
            params={"name": name, "limit": number_format(MAX_NAME_LENGTH, force_grouping=True)},
        )
    return name


def _measure(upload: UploadedFile[bytes], name: str) -> tuple[int, str]:
    """The size and SHA-256 of the content, read in chunks; refuses empty and large files."""
    limit = MAX_ATTACHMENT_BYTES
    too_large = ValidationError(
        _("“%(name)s” is larger than %(megabytes)d MB."),
        code="upload_too_large",
        params={"name": name, "megabytes": limit // (1024 * 1024)},
    )
    if upload.size is not None and upload.size > limit:
        raise too_large
    digest = hashlib.sha256()
    size = 0
    for chunk in upload.chunks():
        size += len(chunk)
        if size > limit:  # the declared size is not trusted
            raise too_large
        digest.update(chunk)
    if size == 0:
        raise ValidationError(
            _("“%(name)s” is empty. Choose a file with content."),
            code="upload_empty",
            params={"name": name},
        )
    return size, digest.hexdigest()


def _content_type(kinds: list[Kind], name: str) -> str:
    """The MIME type of the detected kind that the name's extension belongs to."""
    if not kinds:
        raise ValidationError(
            _(
                "“%(name)s” is not a file type we accept. Use PDF, images (PNG, JPEG, GIF, "
                "TIFF), Office documents (Word, Excel, PowerPoint, OpenDocument) or text files."
            ),
            code="upload_type_not_allowed",
            params={"name": name},
        )
    _stem, dot, extension = name.rpartition(".")
    if not dot or not extension:
        raise ValidationError(
            _(
                "“%(name)s” has no file name ending such as .pdf or .docx. "
                "Add the right ending to the name and try again."
            ),
            code="upload_no_extension",
            params={"name": name},
        )
    for kind in kinds:
        if extension.lower() in kind:
            return kind[extension.lower()]
    raise ValidationError(
        _("“%(name)s” has content that does not match its name (.%(extension)s)."),
        code="upload_content_mismatch",
        params={"name": name, "extension": extension},
    )


def _detect(upload: UploadedFile[bytes], name: str) -> list[Kind]:
    """The kinds the content can be; empty when it is none we accept."""
    upload.seek(0)
    head: bytes = upload.read(16)
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return [kind]
    if head.startswith(_ZIP_SIGNATURE):
        return _zip_kinds(upload, name)
    if head.startswith(_OLE2_SIGNATURE):
        return _ole2_kinds(upload, name)
    if _decodes_as_text(upload, "utf-8-sig") or _decodes_as_text(upload, "cp1252"):
        return [TEXT]
    return []


def _zip_kinds(upload: UploadedFile[bytes], name: str) -> list[Kind]:
    if _occurrences(upload, _ZIP_DIRECTORY_ENTRY) > MAX_ZIP_MEMBERS:
        raise _unpacks_too_much(name)
    try:
        with zipfile.ZipFile(upload) as archive:
            return _office_kinds(archive, name)
    except (
        zipfile.BadZipFile,
        OSError,
        EOFError,
        ValueError,
        NotImplementedError,
        RuntimeError,
        zlib.error,
        lzma.LZMAError,
    ) as error:
        raise _damaged(name) from error


def _office_kinds(archive: zipfile.ZipFile, name: str) -> list[Kind]:
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        raise _unpacks_too_much(name)
    if sum(member.file_size for member in members) > MAX_ZIP_UNPACKED_BYTES:
        raise _unpacks_too_much(name)
    by_name = {member.filename.lower(): member for member in members}
    if len(by_name) != len(members):
        # Two parts with one name: a reader might open the other one than we checked.
        raise _damaged(name)
    if any(member.flag_bits & 0x1 for member in members):
        raise _encrypted(name)
    if any("vbaproject" in member_name for member_name in by_name):
        raise _macros(name)

    kinds: list[Kind] = []
    content_types = by_name.get("[content_types].xml")
    if content_types is not None:
        # A substring check on the raw bytes is enough, and keeps XML parsers away from
        # untrusted input.
        with archive.open(content_types) as stream:
            declared = stream.read(_MAX_CONTENT_TYPES_BYTES).lower()
        if b"macroenabled" in declared or b"vbaproject" in declared:
            raise _macros(name)
        kinds += [
            kind
            for part, kind in _OOXML_MAIN_PARTS
            if part in by_name and b"/" + part.encode() in declared
        ]
    mimetype = by_name.get("mimetype")
    if mimetype is not None:
        with archive.open(mimetype) as stream:
            declared = stream.read(100).strip()
        if declared in _ODF_MIMETYPES:
            kinds.append(_ODF_MIMETYPES[declared])
    return kinds


def _ole2_kinds(upload: UploadedFile[bytes], name: str) -> list[Kind]:
    if _occurrences(upload, _OLE2_MACROS, fold_case=True):
        raise _macros(name)
    if _occurrences(upload, _OLE2_ENCRYPTED, fold_case=True):
        raise _encrypted(name)
    kinds: list[Kind] = []
    if _occurrences(upload, _OLE2_WORD, fold_case=True):
        kinds.append(DOC)
    if any(_occurrences(upload, stream, fold_case=True) for stream in _OLE2_EXCEL):
        kinds.append(XLS)
    return kinds


def _decodes_as_text(upload: UploadedFile[bytes], encoding: str) -> bool:
    """Whether the whole content decodes strictly, without NUL or other control characters."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for chunk in upload.chunks():
            if _TEXT_CONTROL.search(decoder.decode(chunk)):
                return False
        decoder.decode(b"", final=True)  # a multi-byte sequence cut off at the end
    except UnicodeDecodeError:
        return False
    return True


def _occurrences(upload: UploadedFile[bytes], marker: bytes, *, fold_case: bool = False) -> int:
    """How often the marker occurs in the content, scanning chunk by chunk."""
    count = 0
    carry = b""  # shorter than the marker, so no match is counted twice
    for chunk in upload.chunks():
        window = carry + (chunk.lower() if fold_case else chunk)
        count += window.count(marker)
        carry = window[-(len(marker) - 1) :] if len(marker) > 1 else b""
    return count


def _unpacks_too_much(name: str) -> ValidationError:
    return ValidationError(
        _("“%(name)s” unpacks to too much data to be checked. It cannot be accepted."),
        code="upload_unpacks_too_much",
        params={"name": name},
    )


def _damaged(name: str) -> ValidationError:
    return ValidationError(
        _("“%(name)s” seems to be damaged. Open the file, save it again and try once more."),
        code="upload_damaged",
        params={"name": name},
    )


def _encrypted(name: str) -> ValidationError:
    return ValidationError(
        _("“%(name)s” is protected with a password. Remove the password and try again."),
        code="upload_encrypted",
        params={"name": name},
    )


def _macros(name: str) -> ValidationError:
    return ValidationError(
        _("Macro-enabled Office files are not accepted: “%(name)s”."),
        code="upload_macros",
        params={"name": name},
    )
