"""Reading a rendered HTML page in tests: its visible text, URL-bearing attributes, images and
tags, outside <script>/<style> bodies."""

from __future__ import annotations

import re
from html.parser import HTMLParser

URL_ATTRIBUTES = ("src", "href", "srcset", "data", "poster", "action", "xlink:href")


class Document(HTMLParser):
    """``word_breaks``: a space at each tag, so text in neighbouring elements reads as separate
    words (off: text runs on, as a browser shows inline elements)."""

    def __init__(self, *, word_breaks: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.word_breaks = word_breaks
        self.text: list[str] = []
        self.urls: list[tuple[str, str, str]] = []
        self.images: list[dict[str, str]] = []
        self.tags: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.word_breaks:
            self.text.append(" ")
        self.tags.append(tag)
        self.urls += [(tag, k, v or "") for k, v in attrs if k in URL_ATTRIBUTES]
        if tag == "img":
            self.images.append({k: v or "" for k, v in attrs})
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if self.word_breaks:
            self.text.append(" ")
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def parse(html: str, *, word_breaks: bool = True) -> Document:
    doc = Document(word_breaks=word_breaks)
    doc.feed(html)
    doc.close()
    return doc


def visible_text(html: str, *, word_breaks: bool = True) -> str:
    return re.sub(r"\s+", " ", "".join(parse(html, word_breaks=word_breaks).text))
