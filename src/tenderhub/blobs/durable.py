"""fsync helpers: a file's bytes, and a directory's entries (a rename is durable only once
the directory holding the new name is fsynced)."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_path(path: Path) -> None:
    """fsync a file or a directory by its path."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_dirs(path: Path) -> None:
    """``mkdir -p path`` where each directory created is made durable in its parent."""
    for parent in created_dirs(path):
        fsync_dir(parent)


def created_dirs(path: Path) -> list[Path]:
    """``mkdir -p path`` without fsync; returns the parents whose entries changed, deepest
    first: fsync them (after fsyncing anything put into ``path``) to make it all durable.
    Fsyncing the deepest directory first lets a journaling file system commit everything in
    one go, the parents' fsyncs then finding nothing left to write."""
    missing = []
    while not path.is_dir() and path != path.parent:
        missing.append(path)
        path = path.parent
    for directory in reversed(missing):
        directory.mkdir(exist_ok=True)
    return [directory.parent for directory in missing]


def replace_durably(src: Path, dst: Path) -> None:
    """Atomically rename ``src`` (already fsynced) to ``dst`` and make the new name durable."""
    os.replace(src, dst)
    fsync_dir(dst.parent)
    if src.parent != dst.parent:
        fsync_dir(src.parent)
