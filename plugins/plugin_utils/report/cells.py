# SPDX-License-Identifier: Apache-2.0
"""Escaped cells and tables of the report page, shared by its sections (page.py, verdict_page.py)."""

from __future__ import annotations

from html import escape


class Num(str):
    """Cell HTML that is a number, right-aligned in tables (a cpulist such as "1" is not one)."""


def esc(value, empty: str = "—") -> str:
    """Escaped text of a host value; None shows as a dash, the empty cpulist as "none"."""
    if value is None:
        return f'<span class="unknown">{escape(empty)}</span>'
    if value == "":
        return '<span class="unknown">none</span>'
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return Num(f"{value:,}" if abs(value) >= 10000 else str(value))
    return escape(str(value))


def table(css_class: str, headers: list[str], rows: list[list[str]], empty: str) -> str:
    if not rows:
        return f'<p class="empty {css_class}">{escape(empty)}</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(cell(c) for c in row) + "</tr>" for row in rows)
    return f'<table class="{css_class}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def cell(html: str) -> str:
    """`html` is already escaped; numbers are right-aligned."""
    return f'<td class="num">{html}</td>' if isinstance(html, Num) else f"<td>{html}</td>"
