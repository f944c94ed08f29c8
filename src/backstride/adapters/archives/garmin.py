"""Garmin Connect data exports: a zip with ``DI_CONNECT/...``, whose activities are zips of
FIT files in ``DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_*.zip`` (older exports:
``DI-Connect-Fitness-Uploaded-Files``). Only those folders are read; the wellness JSON and the
rest are skipped."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path


def garmin_members(infos: list[zipfile.ZipInfo]) -> list[zipfile.ZipInfo]:
    """In a Garmin export only the uploaded-files folders hold activities."""
    if not any(info.filename.casefold().startswith("di_connect/") for info in infos):
        return infos
    uploaded = [info for info in infos if "uploaded-files/" in info.filename.casefold()]
    return uploaded or infos



def garmin_folder_entries(folder: Path, entries: list[os.DirEntry[str]]
                          ) -> list[os.DirEntry[str]]:
    """In an unzipped Garmin export's ``DI_CONNECT`` folder, only the uploads."""
    if folder.name.casefold() != "di_connect":
        return entries
    uploads = [e for e in entries if "uploaded-files" in e.name.casefold() and e.is_dir()]
    return uploads or entries
