"""Parse untrusted XML (TCX, GPX) without ever expanding a DTD or an entity.

A watch file can come from anywhere (a shared link, an upload to the web app). A DTD lets
a few hundred bytes expand into gigabytes ("billion laughs") or pull in local files
(external entities, XXE); no TCX or GPX exporter writes one, so any DTD is refused outright
before a single entity is expanded.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # only for the Element and ParseError types
from pathlib import Path

import defusedxml.ElementTree as safe_et
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from backstride.errors import CorruptFileError

__all__ = ["local_name", "parse_xml", "strip_namespaces"]

_HOSTILE_XML = (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden)


def parse_xml(data: bytes, path: Path) -> ET.Element:
    """The document's root element; :class:`CorruptFileError` for hostile or broken XML."""
    # Some Garmin Connect TCX exports start with blank lines before the XML declaration,
    # which XML forbids; stripping them loses nothing.
    data = data.lstrip()
    try:
        root: ET.Element = safe_et.fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except _HOSTILE_XML as exc:
        raise CorruptFileError(path, (
            "it declares a DTD or entities, which backstride never expands (possible XML "
            "bomb or external-entity attack)"), offset=None) from exc
    except ET.ParseError as exc:
        line, column = exc.position
        raise CorruptFileError(
            path, f"it is not well-formed XML (line {line}, column {column})", offset=None,
        ) from exc
    except (ValueError, LookupError) as exc:  # e.g. an unknown encoding in the declaration
        raise CorruptFileError(path, f"its XML cannot be decoded ({exc})", offset=None) from exc
    return root


def local_name(tag: str) -> str:
    """``'{http://...TrackPointExtension/v2}cad'`` -> ``'cad'``; a bare tag is returned as is.

    Exporters disagree on namespaces (TrackPointExtension v1 or v2, ActivityExtension v2,
    prefixes ``ns3:`` or ``gpxtpx:``), but never on local names, so readers match those.
    """
    return tag.rsplit("}", 1)[-1]


def strip_namespaces(root: ET.Element) -> ET.Element:
    """Rename every element in the tree to its local name, in place; returns ``root``.

    Afterwards plain ``find``/``findall``/``findtext`` paths work whatever the exporter's
    namespaces were. Comments and processing instructions (non-string tags) are left alone.
    """
    for element in root.iter():
        if isinstance(element.tag, str):
            element.tag = local_name(element.tag)
    return root
