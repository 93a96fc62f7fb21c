"""The dashboard in a real browser: headless Chromium, network off, from file://.

Chromium runs with a dead proxy (127.0.0.1:9), so any fetch the page attempted would fail;
the page itself forbids fetches (Content-Security-Policy default-src 'none'). The test
checks the rendered DOM has every chart with its data marks and saves a screenshot to
tests/artifacts/dashboard.png. Without Chromium it is skipped (CI installs it: .ci/run).
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest

from etl.present.htmlpage import external_references
from tests.test_dashboard import CHARTS, check_dashboard
from tests.utils import ROOT, etl

ARTIFACTS = ROOT / "tests" / "artifacts"
WIDTH, HEIGHT = 1400, 3000

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.skip("Chromium not found: install Chromium: apt-get install -y chromium")
    return path


def _run(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    command = [
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
        "--disable-default-apps", "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
        f"--user-data-dir={profile}", f"--window-size={WIDTH},{HEIGHT}", "--hide-scrollbars", *args,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


@pytest.fixture(scope="module")
def rendered(chromium, sample_warehouse, tmp_path_factory) -> tuple[str, Path]:
    tmp = tmp_path_factory.mktemp("browser")
    page = tmp / "dashboard.html"
    result = etl("dashboard", "-w", sample_warehouse, "-o", page)
    assert result.returncode == 0, result.stderr
    url = page.resolve().as_uri()
    dom = _run(chromium, tmp / "profile-dom", "--dump-dom", url).stdout
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "dashboard.png"
    shot.unlink(missing_ok=True)
    _run(chromium, tmp / "profile-shot", f"--screenshot={shot}", url)
    return dom, shot


def test_the_rendered_dom_has_every_chart_with_data(rendered):
    dom, _ = rendered
    assert "Aletho News — warehouse dashboard" in dom
    check_dashboard(dom)  # six figures, each svg with its data marks, chart titles, no external URL
    assert dom.count("<svg") == len(CHARTS)
    assert external_references(dom) == []


def png_rgb(path: Path) -> np.ndarray:
    """The pixels of an 8-bit RGB or RGBA PNG as an (height, width, 3) array (stdlib + numpy)."""
    data = path.read_bytes()
    pos, idat, width, height, color = 8, b"", 0, 0, 2
    while pos < len(data):
        (n,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", data[pos + 8:pos + 18])
            assert depth == 8
        elif kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + n]
        pos += 12 + n
    bpp = {2: 3, 6: 4}[color]
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(height, width * bpp + 1)
    out = np.zeros((height, width * bpp), dtype=np.uint8)
    prev = np.zeros(width * bpp, dtype=np.int32)
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        if kind == 0:
            cur = line
        elif kind == 1:  # Sub: running sum per channel
            cur = (np.cumsum(line.reshape(width, bpp), axis=0) % 256).reshape(-1)
        elif kind == 2:  # Up
            cur = (line + prev) % 256
        else:  # Average or Paeth: sequential along the row
            vals, up = line.tolist(), prev.tolist()
            for i in range(len(vals)):
                a = vals[i - bpp] if i >= bpp else 0
                b = up[i]
                if kind == 3:
                    vals[i] = (vals[i] + (a + b) // 2) & 255
                else:
                    c = up[i - bpp] if i >= bpp else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    vals[i] = (vals[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            cur = np.array(vals, dtype=np.int32)
        out[y] = cur
        prev = cur
    return out.reshape(height, width, bpp)[:, :, :3]


def test_the_charts_are_painted(rendered):
    """The screenshot has the bars' colours: the SVG charts were drawn, not just parsed."""
    img = png_rgb(rendered[1])
    for name, hex_color in [("top sources", "4c78a8"), ("top categories", "54a24b"),
                            ("most-commented posts", "e45756")]:
        rgb = tuple(int(hex_color[i:i + 2], 16) for i in (0, 2, 4))
        painted = int(np.all(img == rgb, axis=2).sum())
        assert painted > 5_000, f"{name}: only {painted} pixels of #{hex_color}"


def test_a_screenshot_is_saved(rendered):
    _, shot = rendered
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (WIDTH, HEIGHT)
    # A blank or unstyled page compresses to a few KB; the charts and tables make it far larger.
    assert len(data) > 100_000
