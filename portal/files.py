"""Walking and sweeping folders of a Django storage, the same on disk and in a bucket.

Only the storage API is used (``listdir``, ``get_modified_time``, ``delete``), so a
sweep works on ``FileSystemStorage`` and on django-storages' ``S3Storage`` alike.
The two differ where a name is missing: the disk raises ``FileNotFoundError``, a
bucket lists an empty folder and raises its client's own error for a missing
object. These helpers give one answer for both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from django.core.files.storage import Storage


def walk(storage: Storage, folder: str) -> Iterator[str]:
    """Every file name under ``folder``, depth first; nothing when there is no such folder."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{folder}/{name}"
    for name in sorted(folders):
        yield from walk(storage, f"{folder}/{name}")


def modified_at(storage: Storage, name: str) -> dt.datetime | None:
    """When ``name`` was last written, by the storage's clock; None when it is gone."""
    try:
        return storage.get_modified_time(name)
    except FileNotFoundError:
        return None
    except Exception:
        # A bucket's client says "404" in an error of its own: gone is gone, and any
        # other failure is the storage's, not ours to hide.
        if storage.exists(name):
            raise
        return None


def delete_older(storage: Storage, names: Iterable[str], cutoff: dt.datetime) -> list[str]:
    """Delete those of ``names`` last written before ``cutoff``; the names deleted.

    A name another process deleted meanwhile is passed over: sweeps may overlap.
    """
    deleted = []
    for name in names:
        moment = modified_at(storage, name)
        if moment is not None and moment < cutoff:
            storage.delete(name)
            deleted.append(name)
    return deleted
