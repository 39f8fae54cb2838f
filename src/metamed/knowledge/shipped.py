"""The knowledge base shipped inside the package: an xz archive, unpacked once into a cache.

A wheel is a zip archive, and its deflate leaves a KB of float16
out-of-fold predictions at about half its size: too large for the 45 MB
the KB may take in the wheel (PyPI's limit on one file is 100 MB). xz
packs the same file to about 42%. The KB therefore ships as
``kb.sqlite.xz`` and is unpacked on first use, without network, into
``$METAMED_CACHE`` (default: the user's cache folder, else the system's
temporary folder), under a name holding the archive's digest, so an
upgraded package never reads a stale copy.
"""

from __future__ import annotations

import hashlib
import lzma
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

from metamed.errors import MetamedError

#: The packed knowledge base inside the package (written by ``metamed kb copy --to ....xz``).
ARCHIVE = Path(__file__).resolve().parent / "kb.sqlite.xz"
_CHUNK = 1 << 20


@lru_cache(maxsize=4)
def unpacked(archive: Path = ARCHIVE) -> Path:
    """The SQLite file of ``archive``, unpacked into the first writable cache folder."""
    if not archive.is_file():
        raise MetamedError(f"the shipped knowledge base {archive} is missing; reinstall metamed.")
    name = f"kb-{_digest(archive)}.sqlite"
    for folder in cache_folders():
        if (folder / name).is_file():
            return folder / name
        try:
            return _unpack(archive, folder, name)
        except OSError:
            continue
    raise MetamedError("could not unpack the shipped knowledge base: no cache folder is "
                       "writable; set METAMED_CACHE to a writable folder.")


def cache_folders() -> list[Path]:
    """Where an unpacked KB may live: ``$METAMED_CACHE`` alone if set, else the user's cache
    folder, then the system's temporary folder."""
    chosen = os.environ.get("METAMED_CACHE")
    if chosen:
        return [Path(chosen)]
    user = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return [Path(user) / "metamed", Path(tempfile.gettempdir()) / "metamed"]


def pack(database: Path, archive: Path) -> None:
    """Write ``database`` (a compacted SQLite file) as the xz ``archive`` the package ships."""
    with open(database, "rb") as source, lzma.open(archive, "wb", preset=6) as target:
        shutil.copyfileobj(source, target, _CHUNK)


def _unpack(archive: Path, folder: Path, name: str) -> Path:
    """Unpack beside the final name, then rename: a reader never sees half a file."""
    folder.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
    try:
        with os.fdopen(handle, "wb") as target, lzma.open(archive) as source:
            shutil.copyfileobj(source, target, _CHUNK)
        os.replace(partial, folder / name)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return folder / name


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()[:16]
