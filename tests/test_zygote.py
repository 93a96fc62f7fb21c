"""The fork server's process log (tests/zygote.py): where the suite's CPU goes."""

from __future__ import annotations

import json

import pytest

from tests.zygote import summary


@pytest.mark.quick
def test_the_summary_adds_up_the_log_by_module_and_by_command():
    log = [json.dumps(line) + "\n" for line in (
        {"test": "tests/test_a.py::test_one", "command": "run", "cpu": 2.25},
        {"test": "tests/test_a.py::test_two[sqlite]", "command": "sql", "cpu": 0.5},
        {"test": "tests/test_b.py::test_three", "command": "run", "cpu": 1.0},
    )] + ["\n"]
    assert summary(log).splitlines() == [
        "3 processes, 3.8 CPU s",
        "by test module: CPU s, processes",
        "      2.8     2  tests/test_a.py",
        "      1.0     1  tests/test_b.py",
        "by command: CPU s, processes",
        "      3.2     2  run",
        "      0.5     1  sql",
    ]
