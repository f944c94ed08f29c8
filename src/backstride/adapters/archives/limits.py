"""The limits on what one import reads (zip bombs, huge exports); tests lower them. Modules
read them as ``limits.NAME`` at call time, so that a changed limit applies everywhere."""

from __future__ import annotations

from typing import Final

MIB: Final = 1024**2
GIB: Final = 1024**3

MAX_ARCHIVE_BYTES: Final = 2 * GIB
"""Activity data read from one archive, nested zips included (``export.xml`` not counted)."""
MAX_HEALTH_XML_BYTES: Final = 8 * GIB
"""Apple Health ``export.xml``, streamed: time, not memory, is what this bounds."""
MAX_MEMBER_BYTES: Final = 512 * MIB
"""One archive member, uncompressed (a nested zip is held in memory while it is read)."""
MAX_RATIO: Final = 200
"""Uncompressed / compressed size of one member; FIT, GPX, TCX and XML stay far below."""
RATIO_FLOOR_BYTES: Final = 1 * MIB
"""Members smaller than this are never refused for their ratio: they cannot hurt."""
MAX_NESTING: Final = 3
"""Zip levels read: the export, the zips inside it, and one more."""
MAX_MEMBERS: Final = 200_000
"""Entries in one zip's directory."""
MAX_DIRECTORY_BYTES: Final = 64 * MIB
"""A zip's central directory, checked before it is loaded (each entry costs memory)."""
MAX_CSV_BYTES: Final = 64 * MIB
"""Strava's ``activities.csv``."""
