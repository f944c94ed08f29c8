"""FIT header walk: find every message in one pass, surviving damage.

The loop only steps from header to header (well under a microsecond a message) and records
where each data message's bytes lie and which definition lays them out; decoding happens later,
for all messages of a layout at once (``fit_columns``). The walk notices what a strict decoder
raises on (undefined local message, impossible definition, early end of file, bad CRC, chained
files) and records an :class:`Issue` instead; after a corrupt stretch it resynchronises on the
next offset from which several messages in a row parse with timestamps that go on from the last
good one, and keeps everything decodable on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import fastcrc

from backstride.adapters.formats import fit_profile as prof
from backstride.core.types import Issue

# base type id (low 5 bits) -> (numpy kind, size, invalid raw value or None for float/NaN)
BASE_TYPES: Final[dict[int, tuple[str, int, int | None]]] = {
    0x00: ("u1", 1, 0xFF),  # enum
    0x01: ("i1", 1, 0x7F),
    0x02: ("u1", 1, 0xFF),
    0x03: ("i2", 2, 0x7FFF),
    0x04: ("u2", 2, 0xFFFF),
    0x05: ("i4", 4, 0x7FFFFFFF),
    0x06: ("u4", 4, 0xFFFFFFFF),
    0x07: ("S", 1, None),  # string
    0x08: ("f4", 4, None),
    0x09: ("f8", 8, None),
    0x0A: ("u1", 1, 0x00),  # uint8z
    0x0B: ("u2", 2, 0x0000),  # uint16z
    0x0C: ("u4", 4, 0x00000000),  # uint32z
    0x0D: ("u1", 1, 0xFF),  # byte
    0x0E: ("i8", 8, 0x7FFFFFFFFFFFFFFF),
    0x0F: ("u8", 8, 0xFFFFFFFFFFFFFFFF),
    0x10: ("u8", 8, 0),  # uint64z
}
STRING: Final = 0x07
BYTE: Final = 0x0D
_RESYNC_CONFIRM: Final = 8  # messages that must parse after a resync candidate
_RESYNC_MAX_GAP_S: Final = 6 * 3600  # a resumed timestamp this far past the last is not trusted
_INLINE_MESSAGES: Final = frozenset({prof.FIELD_DESCRIPTION})


@dataclass(frozen=True, slots=True)
class Field:
    num: int
    offset: int
    size: int
    base: int  # base type id, low 5 bits
    dev_index: int = -1  # developer data index; -1 for a native field


@dataclass(slots=True)
class Definition:
    id: int
    global_num: int
    size: int
    little: bool
    fields: tuple[Field, ...]
    file_index: int
    timestamp_offset: int  # byte offset of the native timestamp field, -1 without one


@dataclass(frozen=True, slots=True)
class DeveloperField:
    name: str
    units: str
    base: int
    scale: float
    offset: float
    native_field_num: int | None


@dataclass(slots=True)
class Scan:
    data: bytes
    definitions: list[Definition] = field(default_factory=list)
    layouts: dict[tuple[object, ...], Definition] = field(default_factory=dict)
    plans: dict[int, object] = field(default_factory=dict)  # decode plans, by definition id
    seq_def: list[int] = field(default_factory=list)
    seq_off: list[int] = field(default_factory=list)
    compressed: dict[int, int] = field(default_factory=dict)  # seq index -> 5-bit time offset
    dev_descriptions: dict[tuple[int, int, int], DeveloperField] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    bytes_skipped: int = 0
    n_files: int = 0


def scan_fit(data: bytes) -> Scan:
    """Walk every FIT section of ``data`` (chained files included), recording where each
    message lies. The caller has checked that ``data`` starts with a FIT header."""
    scan = Scan(data)
    pos = 0
    while pos < len(data):
        if not looks_like_fit(data[pos : pos + 14]):
            rest = len(data) - pos
            scan.issues.append(Issue(code="fit_trailing_bytes", message=(
                f"{rest} bytes after the last FIT file section were ignored.")))
            scan.bytes_skipped += rest
            break
        pos = _scan_file(scan, pos)
    return scan


def looks_like_fit(head: bytes) -> bool:
    return len(head) >= 12 and head[0] in (12, 14) and head[8:12] == b".FIT"


def _scan_file(scan: Scan, start: int) -> int:
    """Walk one FIT file section (header, messages, CRC); return where the next one starts."""
    data = scan.data
    header_size = data[start]
    data_size = int.from_bytes(data[start + 4 : start + 8], "little")
    data_start = start + header_size
    data_end = data_start + data_size
    if data_size == 0 or data_end > len(data):
        if data_size:
            scan.issues.append(Issue(code="fit_truncated", message=(
                f"The file ends {data_end - len(data)} bytes before its header says it should: "
                "it was cut short; records up to the cut were kept, lap and session "
                "summaries written after it are missing.")))
        data_end = len(data)
    starts_activity = scan.n_files == 0 or _defines_file_id(data, data_start, data_end)
    if starts_activity:
        scan.n_files += 1
    # A section without its own file_id continues the activity before it (DOMAIN.md §2
    # quirk 5: the FR920XT appends heart-rate sections that belong to the same run).
    _walk_messages(scan, data_start, data_end, scan.n_files - 1)
    if data_end + 2 <= len(data):
        stored = int.from_bytes(data[data_end : data_end + 2], "little")
        if stored != 0 and fastcrc.crc16.arc(data[start:data_end]) != stored:
            scan.issues.append(Issue(code="fit_bad_crc", message=(
                f"The file checksum at byte {data_end} does not match its contents: some "
                "bytes may be damaged; values were range-checked and kept.")))
        return data_end + 2
    return len(data)


def _defines_file_id(data: bytes, pos: int, end: int) -> bool:
    """Does this section open with the definition of a file_id message (a new activity)?"""
    if pos + 5 > end or data[pos] & 0xC0 != 0x40:
        return False
    raw = data[pos + 3 : pos + 5]
    number = int.from_bytes(raw, "little") if data[pos + 2] == 0 else int.from_bytes(raw, "big")
    return number == prof.FILE_ID


def _walk_messages(scan: Scan, pos: int, end: int, file_index: int) -> None:
    """The hot loop: step from header to header, recording where each data message lies.

    Local types live in plain lists (id, size, decode-now flag) so the common case, a data
    message of a known type, costs a few list lookups and two appends.
    """
    data = scan.data
    local: list[Definition | None] = [None] * 32
    ids, sizes, inline = [-1] * 32, [0] * 32, [False] * 32
    seq_def, seq_off = scan.seq_def, scan.seq_off
    add_def, add_off = seq_def.append, seq_off.append
    while pos < end:
        header = data[pos]
        # Bit 4 is reserved in the protocol, but some writers (the Strava Android app) use it
        # as a fifth bit of the local type, with definitions to match: index by 5 bits.
        if header < 0x20:
            def_id = ids[header]
            nxt = pos + 1 + sizes[header]
            if def_id < 0 or nxt > end:
                pos = _recover(scan, pos, end, local, def_id < 0, file_index)
                continue
            add_def(def_id)
            add_off(pos + 1)
            if inline[header]:
                _read_field_description(scan, scan.definitions[def_id], pos + 1, file_index)
            pos = nxt
        elif header & 0x80:  # compressed-timestamp header: local type in bits 5-6
            slot = (header >> 5) & 0x03
            nxt = pos + 1 + sizes[slot]
            if ids[slot] < 0 or nxt > end:
                pos = _recover(scan, pos, end, local, ids[slot] < 0, file_index)
                continue
            scan.compressed[len(seq_def)] = header & 0x1F
            add_def(ids[slot])
            add_off(pos + 1)
            pos = nxt
        elif header & 0x40:
            parsed = _parse_definition(scan, pos, end, file_index)
            if parsed is None:
                pos = _recover(scan, pos, end, local, True, file_index)
                continue
            d, pos = parsed
            slot = header & 0x1F
            local[slot], ids[slot], sizes[slot] = d, d.id, d.size
            inline[slot] = d.global_num in _INLINE_MESSAGES
        else:  # a data header with reserved bit 5 set: not a message boundary
            pos = _recover(scan, pos, end, local, True, file_index)


def _parse_definition(
    scan: Scan, pos: int, end: int, file_index: int, *, register: bool = True
) -> tuple[Definition, int] | None:
    """Parse a definition message at ``pos``; None when it cannot be a valid one."""
    data = scan.data
    if pos + 6 > end or data[pos + 1] != 0 or data[pos + 2] > 1:
        return None
    little = data[pos + 2] == 0
    global_num = int.from_bytes(data[pos + 3 : pos + 5], "little" if little else "big")
    n_fields = data[pos + 5]
    p = pos + 6
    if p + 3 * n_fields > end:
        return None
    fields = _native_fields(data, p, n_fields)
    if fields is None:
        return None
    p += 3 * n_fields
    if data[pos] & 0x20:  # developer fields follow
        if p + 1 > end or p + 1 + 3 * data[p] > end:
            return None
        dev = _developer_fields(data, p + 1, data[p], sum(f.size for f in fields))
        if dev is None:
            return None
        fields += dev
        p += 1 + 3 * data[p]
    offset = sum(f.size for f in fields)
    key = (global_num, little, tuple(fields), file_index)
    known = scan.layouts.get(key)
    if known is not None:  # writers redefine the same layout often: decode them as one group
        return known, p
    definition = Definition(
        id=len(scan.definitions), global_num=global_num, size=offset, little=little,
        fields=tuple(fields), file_index=file_index,
        timestamp_offset=next((f.offset for f in fields if f.num == prof.TIMESTAMP_FIELD
                               and f.dev_index < 0 and f.size == 4), -1),
    )
    if register:
        scan.definitions.append(definition)
        scan.layouts[key] = definition
    return definition, p


def _native_fields(data: bytes, p: int, n_fields: int) -> list[Field] | None:
    fields: list[Field] = []
    offset = 0
    for i in range(n_fields):
        num, size, base_byte = data[p + 3 * i], data[p + 3 * i + 1], data[p + 3 * i + 2]
        base = base_byte & 0x1F
        if base not in BASE_TYPES or size == 0:
            return None
        if size % BASE_TYPES[base][1]:
            base = BYTE  # size not a multiple of the type: keep the bytes, don't guess
        fields.append(Field(num, offset, size, base))
        offset += size
    return fields


def _developer_fields(data: bytes, p: int, n_dev: int, offset: int) -> list[Field] | None:
    fields: list[Field] = []
    for i in range(n_dev):
        num, size, dev_index = data[p + 3 * i], data[p + 1 + 3 * i], data[p + 2 + 3 * i]
        if size == 0:
            return None
        fields.append(Field(num, offset, size, BYTE, dev_index))
        offset += size
    return fields


def _read_field_description(scan: Scan, d: Definition, offset: int, file_index: int) -> None:
    """Developer-field descriptions are needed to name later columns: decode them at once."""
    values: dict[int, object] = {}
    for f in d.fields:
        raw = scan.data[offset + f.offset : offset + f.offset + f.size]
        if f.dev_index >= 0:
            continue
        if f.base == STRING:
            values[f.num] = raw.split(b"\0", 1)[0].decode("utf-8", "replace")
        elif f.size in (1, 2, 4):
            kind, _size, invalid = BASE_TYPES[f.base]
            value = int.from_bytes(raw, "little" if d.little else "big", signed=kind[0] == "i")
            values[f.num] = None if value == invalid else value
    dev_index, num = values.get(0), values.get(1)
    if not isinstance(dev_index, int) or not isinstance(num, int):
        return
    base = values.get(2)
    scale, offs = values.get(6), values.get(7)
    native = values.get(15)
    name = str(values.get(3) or f"field_{num}").strip() or f"field_{num}"
    scan.dev_descriptions[(file_index, dev_index, num)] = DeveloperField(
        name=name, units=str(values.get(8) or ""),
        base=(base & 0x1F) if isinstance(base, int) and (base & 0x1F) in BASE_TYPES else BYTE,
        scale=float(scale) if isinstance(scale, int) and scale else 1.0,
        offset=float(offs) if isinstance(offs, int) else 0.0,
        native_field_num=native if isinstance(native, int) else None,
    )


def _recover(
    scan: Scan, pos: int, end: int, local: list[Definition | None], undefined: bool,
    file_index: int,
) -> int:
    """Skip a corrupt stretch: find the next offset from which messages parse again."""
    what = "an undefined local message type" if undefined else "a message running past the end"
    if not undefined and _only_tail_left(scan.data, pos, end, local):
        lost = end - pos
        scan.issues.append(Issue(code="fit_truncated", message=(
            f"The last {lost} bytes hold an incomplete message (the file was cut short); "
            "everything before it was kept.")))
        scan.bytes_skipped += lost
        return end
    search_from = pos + 1
    if scan.seq_def and scan.seq_off[-1] + scan.definitions[scan.seq_def[-1]].size == pos:
        # The message just before the trouble ran into it: a writer that dropped a byte
        # makes that message swallow the next header. Drop it and search from inside it.
        search_from = scan.seq_off.pop()
        scan.seq_def.pop()
        scan.compressed.pop(len(scan.seq_def), None)
    last_ts = _last_timestamp(scan)
    for candidate in range(search_from, end):
        if _parses_from(scan, candidate, end, local, file_index, last_ts):
            scan.issues.append(Issue(code="fit_resynchronised", message=(
                f"At byte {pos} the file holds {what}; the message before it was dropped "
                f"as suspect and decoding resumed at byte {candidate}.")))
            scan.bytes_skipped += max(candidate - search_from + 1, 0)
            return candidate
    scan.issues.append(Issue(code="fit_unreadable_tail", message=(
        f"From byte {pos} on the file could not be decoded ({what}); "
        f"{end - pos} bytes were dropped and everything before them kept.")))
    scan.bytes_skipped += end - pos
    return end


def _only_tail_left(data: bytes, pos: int, end: int, local: list[Definition | None]) -> bool:
    header = data[pos]
    if header & 0x40 and not header & 0x80:
        return False
    d = local[(header >> 5) & 0x03] if header & 0x80 else local[header & 0x1F]
    return d is not None and pos + 1 + d.size > end


def _last_timestamp(scan: Scan) -> int | None:
    """The timestamp of the last good message that carries one (raw FIT seconds)."""
    for i in range(len(scan.seq_def) - 1, max(len(scan.seq_def) - 200, 0) - 1, -1):
        ts = _timestamp_at(scan.data, scan.definitions[scan.seq_def[i]], scan.seq_off[i])
        if ts is not None:
            return ts
    return None


def _timestamp_at(data: bytes, d: Definition, data_offset: int) -> int | None:
    if d.timestamp_offset < 0:
        return None
    at = data_offset + d.timestamp_offset
    return int.from_bytes(data[at : at + 4], "little" if d.little else "big")


def _parses_from(
    scan: Scan, pos: int, end: int, local: list[Definition | None], file_index: int,
    last_ts: int | None,
) -> bool:
    """Trial walk: do the next few messages from ``pos`` all parse (or reach the end exactly),
    with timestamps that go on from the last good one? Sizes alone are a weak check: records
    of one length follow each other, so a wrong offset often parses for a while."""
    trial = list(local)
    data = scan.data
    for _ in range(_RESYNC_CONFIRM):
        if pos == end:
            return True
        header = data[pos]
        if header & 0x80:
            if not scan.compressed:  # a writer that never used them does not start now
                return False
            d = trial[(header >> 5) & 0x03]
        elif header & 0x40:
            parsed = _parse_definition(scan, pos, end, file_index, register=False)
            if parsed is None:
                return False
            trial[header & 0x1F], pos = parsed
            continue
        else:
            if header & 0x20:
                return False
            d = trial[header & 0x1F]
        if d is None or pos + 1 + d.size > end:
            return False
        ts = None if header & 0x80 else _timestamp_at(data, d, pos + 1)
        if ts is not None and last_ts is not None:
            if not last_ts <= ts <= last_ts + _RESYNC_MAX_GAP_S:
                return False
            last_ts = ts
        pos += 1 + d.size
    return True


