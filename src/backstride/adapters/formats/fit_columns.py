"""From the header walk to columns: every field of every message, decoded in bulk.

Each distinct layout (definition) gets a decode plan once: its fields grouped by base type, with
byte offsets, scales and offsets as arrays. All messages of the layout are gathered into one
``(n, size)`` byte block, and each type group is decoded with a handful of numpy operations
(view, invalid mask, scale), however many fields it holds. Layouts of the same message type
are then merged in file order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from backstride.adapters.formats import fit_profile as prof
from backstride.adapters.formats.fit_scan import BASE_TYPES, BYTE, STRING, Definition, Field, Scan
from backstride.core.types import AnyArray, FloatArray, IntArray

_DATE_FIELDS: Final = {
    (prof.FILE_ID, 4), (prof.SESSION, 2), (prof.LAP, 2), (prof.ACTIVITY, 5),
}
_COMPRESSED_SPEED_DISTANCE: Final = 8
Columns = dict[str, AnyArray]


@dataclass(frozen=True, slots=True)
class _Group:
    """Scalar fields of one base type in one layout, decoded together."""

    names: tuple[str, ...]
    byte_index: IntArray  # (k, type_size) byte positions within the message
    dtype: np.dtype[np.generic]
    invalid: int | None
    scale: FloatArray
    offset: FloatArray
    dates: tuple[int, ...]  # positions in names holding FIT date-times


@dataclass(frozen=True, slots=True)
class _Plan:
    groups: tuple[_Group, ...]
    others: tuple[tuple[str, Field, int, float, float], ...]  # arrays, strings: name, field, base


def build_columns(scan: Scan) -> dict[str, Columns]:
    seq_def = np.asarray(scan.seq_def, dtype=np.int64)
    seq_off = np.asarray(scan.seq_off, dtype=np.int64)
    buf = np.frombuffer(scan.data, dtype=np.uint8)
    order = np.argsort(seq_def, kind="stable")
    bounds = np.searchsorted(seq_def[order], np.arange(len(scan.definitions) + 1))
    by_global: dict[int, list[tuple[Definition, IntArray]]] = {}
    for d in scan.definitions:
        seqs = order[bounds[d.id] : bounds[d.id + 1]]
        if seqs.size:
            by_global.setdefault(d.global_num, []).append((d, seqs))
    timestamps = _message_timestamps(scan, seq_def, seq_off, buf) if scan.compressed else None
    out: dict[str, Columns] = {}
    for global_num, parts in by_global.items():
        name, specs = prof.MESSAGES.get(global_num, (f"mesg_{global_num}", {}))
        decoded = [(seqs, _decode_layout(scan, d, specs, buf, seq_off[seqs])) for d, seqs in parts]
        table, seqs = _merge(decoded)
        if timestamps is not None:
            _fill_compressed_timestamps(table, timestamps[seqs])
        if global_num == prof.RECORD and "compressed_speed_distance" in table:
            _expand_compressed_speed_distance(table)
        _expand_enhanced(table)
        out[name] = table
    return out


def _merge(decoded: list[tuple[IntArray, Columns]]) -> tuple[Columns, IntArray]:
    """Merge the tables of several layouts of one message type into file order."""
    if len(decoded) == 1:
        return decoded[0][1], decoded[0][0]
    all_seqs = np.concatenate([seqs for seqs, _t in decoded])
    order = np.argsort(all_seqs, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    n_total = all_seqs.size
    numeric = {name for _s, table in decoded for name, v in table.items() if v.dtype != object}
    merged: Columns = {}
    start = 0
    for seqs, table in decoded:
        rows = rank[start : start + seqs.size]
        start += seqs.size
        for name, values in table.items():
            # A damaged definition can declare a numeric field as a string: keep both apart.
            key = f"{name}.text" if values.dtype == object and name in numeric else name
            _scatter(merged, key, values, rows, n_total)
    return merged, all_seqs[order]


def _scatter(columns: Columns, name: str, values: AnyArray, rows: IntArray, n_total: int) -> None:
    col = columns.get(name)
    width = values.shape[1] if values.ndim > 1 else 0
    if col is None:
        shape = (n_total, width) if width else (n_total,)
        col = np.full(shape, None if values.dtype == object else np.nan,
                      dtype=object if values.dtype == object else np.float64)
        columns[name] = col
    elif width and (col.ndim == 1 or col.shape[1] < width):
        wider = np.full((n_total, width), np.nan)
        wider[:, : (1 if col.ndim == 1 else col.shape[1])] = col.reshape(n_total, -1)
        col = columns[name] = wider
    if col.ndim > 1:
        col[rows, : max(width, 1)] = values if width else values[:, None]
    else:
        col[rows] = values[:, 0] if width else values


def _decode_layout(
    scan: Scan, d: Definition, specs: dict[int, prof.FieldSpec], buf: AnyArray,
    data_offsets: IntArray,
) -> Columns:
    plan = _plan(scan, d, specs)
    block = buf[data_offsets[:, None] + np.arange(d.size)] if d.size else None
    table: Columns = {}
    n = data_offsets.size
    if block is not None:
        for g in plan.groups:
            raw = np.ascontiguousarray(block[:, g.byte_index]).view(g.dtype)[..., 0]
            values = raw.astype(np.float64)
            if g.invalid is not None:
                values[raw == g.invalid] = np.nan
            values = values / g.scale - g.offset
            for i in g.dates:
                values[:, i] = _to_unix_s(values[:, i])
            columns = values.T.copy()
            for i, name in enumerate(g.names):
                table[name] = columns[i]
        for name, f, base, scale, offset in plan.others:
            raw_bytes = block[:, f.offset : f.offset + f.size]
            table[name] = (_strings(raw_bytes) if base == STRING
                           else _numbers(raw_bytes, base, d.little, scale, offset))
    table["_file"] = np.full(n, float(d.file_index))
    table["_offset"] = (data_offsets - 1).astype(np.float64)
    return table


def _plan(scan: Scan, d: Definition, specs: dict[int, prof.FieldSpec]) -> _Plan:
    cached = scan.plans.get(d.id)
    if isinstance(cached, _Plan):
        return cached
    scalar: dict[int, list[tuple[str, Field, float, float, bool]]] = {}
    others: list[tuple[str, Field, int, float, float]] = []
    seen: set[str] = set()
    for f in d.fields:
        name, base, scale, offset = _describe(scan, d, specs, f)
        is_date = f.dev_index < 0 and (
            f.num == prof.TIMESTAMP_FIELD or (d.global_num, f.num) in _DATE_FIELDS)
        if base != STRING and f.size == BASE_TYPES[base][1] and name not in seen:
            seen.add(name)
            scalar.setdefault(base, []).append((name, f, scale, offset, is_date))
        else:
            others.append((name, f, base, scale, offset))
    groups = []
    for base, fields in scalar.items():
        kind, size, invalid = BASE_TYPES[base]
        groups.append(_Group(
            names=tuple(x[0] for x in fields),
            byte_index=np.array([x[1].offset for x in fields])[:, None] + np.arange(size),
            dtype=np.dtype(("<" if d.little else ">") + kind),
            invalid=invalid,
            scale=np.array([x[2] for x in fields]),
            offset=np.array([x[3] for x in fields]),
            dates=tuple(i for i, x in enumerate(fields) if x[4]),
        ))
    plan = _Plan(groups=tuple(groups), others=tuple(others))
    scan.plans[d.id] = plan
    return plan


def _describe(
    scan: Scan, d: Definition, specs: dict[int, prof.FieldSpec], f: Field
) -> tuple[str, int, float, float]:
    """Column name, base type, scale and offset of one field."""
    if f.dev_index >= 0:
        desc = scan.dev_descriptions.get((d.file_index, f.dev_index, f.num))
        if desc is None:
            return f"developer.{f.dev_index}.{f.num}", BYTE, 1.0, 0.0
        base = desc.base if f.size % BASE_TYPES[desc.base][1] == 0 else BYTE
        return f"developer.{desc.name}", base, desc.scale, desc.offset
    spec = specs.get(f.num)
    if d.global_num == prof.RECORD and f.num == _COMPRESSED_SPEED_DISTANCE:
        return "compressed_speed_distance", BYTE, 1.0, 0.0
    if spec is None:
        return f"field_{f.num}", f.base, 1.0, 0.0
    return spec.name, f.base, spec.scale, spec.offset


def _numbers(raw: AnyArray, base: int, little: bool, scale: float, offset: float) -> FloatArray:
    kind, _size, invalid = BASE_TYPES[base]
    if kind == "S":
        kind, invalid = "u1", 0xFF
    typed = np.ascontiguousarray(raw).view(np.dtype(("<" if little else ">") + kind))
    values = typed.astype(np.float64)
    if base == BYTE and values.shape[1] > 1:
        values[np.all(typed == 0xFF, axis=1)] = np.nan  # a byte array is invalid only whole
    elif invalid is not None:
        values[typed == invalid] = np.nan
    if scale != 1.0 or offset != 0.0:
        values = values / scale - offset
    return values if values.shape[1] > 1 else values[:, 0]


def _strings(raw: AnyArray) -> AnyArray:
    out = np.empty(raw.shape[0], dtype=object)
    for i, row in enumerate(raw):
        out[i] = bytes(row).split(b"\0", 1)[0].decode("utf-8", "replace") or None
    return out


def _to_unix_s(fit_s: FloatArray) -> FloatArray:
    """FIT seconds since 1989-12-31 to UNIX seconds; device-relative values (DOMAIN.md §2
    quirk 8: below 0x10000000) stay relative seconds."""
    return np.where(fit_s >= prof.RELATIVE_TIME_LIMIT, fit_s + prof.FIT_EPOCH_UNIX_S, fit_s)


def _expand_compressed_speed_distance(table: Columns) -> None:
    """Profile component field (FR60/FR70 foot pods): 12 bits speed (1/100 m/s), then 12 bits
    distance (1/16 m) that accumulate with roll-over."""
    raw = table.pop("compressed_speed_distance")
    if raw.ndim != 2 or raw.shape[1] != 3:
        return
    ok = ~np.isnan(raw).any(axis=1)
    b = np.nan_to_num(raw).astype(np.int64)
    speed = (b[:, 0] | ((b[:, 1] & 0x0F) << 8)) / 100.0
    step = ((b[:, 1] >> 4) | (b[:, 2] << 4))[ok]
    distance = np.full(ok.size, np.nan)
    if step.size:
        delta = np.diff(step, prepend=step[0]) & 0x0FFF
        distance[ok] = (step[0] + np.cumsum(delta)) / 16.0
    if "speed" not in table:
        table["speed"] = np.where(ok, speed, np.nan)
    if "distance" not in table:
        table["distance"] = np.where(ok, distance, np.nan)


_ENHANCED: Final = (("speed", "enhanced_speed"), ("altitude", "enhanced_altitude"),
                    ("avg_speed", "enhanced_avg_speed"), ("max_speed", "enhanced_max_speed"))


def _expand_enhanced(table: Columns) -> None:
    """Profile components: 16-bit speed and altitude also fill their 32-bit enhanced fields,
    so readers find one column whichever the device wrote."""
    for short, enhanced in _ENHANCED:
        if short in table and enhanced not in table and table[short].ndim == 1:
            table[enhanced] = table[short].copy()


def _fill_compressed_timestamps(table: Columns, from_headers: FloatArray) -> None:
    current = table.get("timestamp")
    if current is not None:
        if current.ndim == 1 and current.dtype.kind == "f":  # else damaged: left as it is
            table["timestamp"] = np.where(np.isnan(current), from_headers, current)
    elif not np.all(np.isnan(from_headers)):
        table["timestamp"] = from_headers


def _message_timestamps(
    scan: Scan, seq_def: IntArray, seq_off: IntArray, buf: AnyArray
) -> FloatArray:
    """Timestamps of every message in file order, filling compressed-header ones.

    A compressed header carries the low 5 bits of the time; the rest comes from the last
    timestamp seen, rolling over when the 5-bit offset is below the last one's.
    """
    n = seq_def.size
    full = np.full(n, np.nan)
    for d in scan.definitions:
        if d.timestamp_offset < 0:
            continue
        seqs = np.flatnonzero(seq_def == d.id)
        raw = buf[(seq_off[seqs] + d.timestamp_offset)[:, None] + np.arange(4)]
        full[seqs] = _numbers(raw, 0x06, d.little, 1.0, 0.0)  # uint32
    out = np.full(n, np.nan)
    last: float | None = None
    full_list = full.tolist()
    for i in range(n):
        value = full_list[i]
        if value == value:  # not NaN
            last = value
            out[i] = value
        elif i in scan.compressed and last is not None:
            last += (scan.compressed[i] - int(last)) & 0x1F
            out[i] = last
    return _to_unix_s(out)
