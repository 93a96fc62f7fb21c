"""Aligned plain-text tables (rich), for terminals, pipes and files alike: no colour, no wrapping."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence


def text_table(columns: Sequence[str], rows: Iterable[Sequence[str]], *, right: Iterable[int] = (),
               indent: int = 0) -> str:
    """`rows` (cells already text) under a header and a rule; the columns numbered in `right`
    are right-aligned. Cells are printed as given: no markup, no wrapping, no cut."""
    from rich import box
    from rich.console import Console
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    right = set(right)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="")
    for i, name in enumerate(columns):
        table.add_column(Text(name), justify="right" if i in right else "left", no_wrap=True)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    console = Console(file=io.StringIO(), width=1_000_000, color_system=None, force_terminal=False,
                      soft_wrap=False)
    console.print(Padding(table, (0, 0, 0, indent)) if indent else table)
    return "\n".join(line.rstrip() for line in console.file.getvalue().rstrip("\n").splitlines())
