"""Read the report page back with the stdlib HTML parser: tables by class, SVG cells, links, scripts.

Used on the page as written and on the DOM headless Chromium dumps after loading it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Scan:
    tables: dict[str, list[list[list[str]]]] = field(default_factory=dict)  # class -> tables -> rows -> cells
    svg_cells: list[dict] = field(default_factory=list)
    svgs: list[dict] = field(default_factory=list)  # attributes of each <svg>
    sections: list[str] = field(default_factory=list)  # data-host of each host section
    tags: set = field(default_factory=set)
    urls: list[str] = field(default_factory=list)  # every href/src/url() value
    texts: list[str] = field(default_factory=list)

    def rows(self, css_class: str) -> list[list[str]]:
        return [row for table in self.tables.get(css_class, []) for row in table]


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scan = Scan()
        self._table = None
        self._row = None
        self._cell = None
        self._figure = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.scan.tags.add(tag)
        for key in ("href", "src", "xlink:href"):
            if key in a:
                self.scan.urls.append(a[key])
        if tag == "table":
            self._table = []
            self.scan.tables.setdefault(a.get("class", ""), []).append(self._table)
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "svg":
            self.scan.svgs.append(a)
        elif tag == "figure":
            self._figure = a.get("class") or ""
        elif tag == "rect" and "cell" in (a.get("class") or "").split():
            self.scan.svg_cells.append({**a, "figure": self._figure})
        elif tag == "section" and "data-host" in a:
            self.scan.sections.append(a["data-host"])

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row and not all(c == "" for c in self._row):
                self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag == "figure":
            self._figure = ""

    def handle_data(self, data):
        self.scan.texts.append(data)
        if self._cell is not None:
            self._cell.append(data)


def scan(html: str) -> Scan:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.scan


def body_rows(rows: list[list[str]], header: str) -> list[list[str]]:
    """Rows without the header rows (whose first cell is `header`)."""
    return [r for r in rows if r[0] != header]
