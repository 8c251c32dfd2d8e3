"""LibreOffice as a second, independent reader of the files we make.

openpyxl reads back what openpyxl wrote; a spreadsheet program is the check
that a user's Excel-like program opens it too. Skipped where LibreOffice is
missing, except in CI (``.ci/run`` installs ``libreoffice-calc-nogui``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def soffice() -> str:
    """The LibreOffice command, or skip (fail in CI) when it is not installed."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        reason = "LibreOffice (soffice) is not installed; apt-get install libreoffice-calc-nogui"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: files must be opened in CI")
        pytest.skip(reason)
    return found


def convert(source: Path, to: str) -> Path:
    """Convert ``source`` with LibreOffice (``to`` as ``--convert-to`` takes it); the new file."""
    workdir = source.parent
    result = subprocess.run(  # noqa: S603 - our own file, soffice from PATH
        [
            soffice(),
            f"-env:UserInstallation=file://{workdir / 'lo-profile'}",
            "--headless",
            "--convert-to",
            to,
            "--outdir",
            str(workdir),
            str(source),
        ],
        capture_output=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    converted = workdir / f"{source.stem}.{to.split(':')[0]}"
    assert converted.exists(), result.stdout + result.stderr
    return converted
