"""The HTML report opened in a real headless browser (Debian's chromium): title, summary values,
every image decoded, nothing fetched from the network; and the ``planner report`` command."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from matplotlib.image import imread

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")
#: real hbal -t tests/data/n1quirk.data: "Initial score: 3.31686197"
HBAL_INITIAL = "3.31686197"
#: the probe copy may run one inline script (the report itself has none and forbids them)
PROBE = """<script>window.addEventListener('load', function () {
  var out = [];
  for (var i = 0; i < document.images.length; i++) {
    var im = document.images[i];
    out.push(im.complete + ':' + im.naturalWidth + 'x' + im.naturalHeight);
  }
  var p = document.createElement('pre'); p.id = 'probe'; p.textContent = out.join(' ');
  document.body.appendChild(p);
});</script>"""


def browser(page: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp / "profile"
    profile.mkdir(exist_ok=True)
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}", *args, page.as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp)


class Dom(HTMLParser):
    """Title, the summary table's (label, value) pairs, every src/href, the CSP meta tag."""

    def __init__(self) -> None:
        super().__init__()
        self.title, self.summary, self.links, self.csp, self.images = "", {}, [], None, 0
        self._in, self._table, self._th = None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for k in ("src", "href"):
            if k in a:
                self.links.append(a[k])
        if tag == "img":
            self.images += 1
        if tag == "meta" and a.get("http-equiv", "").lower() == "content-security-policy":
            self.csp = a.get("content")
        if tag == "table":
            self._table = a.get("id")
        self._in = tag

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        self._in = None

    def handle_data(self, data):
        if self._in == "title":
            self.title += data
        elif self._table == "summary" and self._in == "th":
            self._th = data.strip()
        elif self._table == "summary" and self._in == "td" and self._th:
            self.summary[self._th] = data.strip()
            self._th = None


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from planner.api import load
    from planner.report.html import render
    from planner.report.page import build

    data, plans = build(load("tests/data/n1quirk.data"), "tests/data/n1quirk.data", time_limit=1, with_hbal=False)
    d = tmp_path_factory.mktemp("page")
    page = d / "report.html"
    page.write_text(render(data))
    return d, page, data, plans


@needs_chromium
def test_page_renders_in_chromium(built) -> None:
    d, page, data, plans = built
    shot = d / "shot.png"
    r = browser(page, d, "--window-size=420,1800", f"--screenshot={shot}")
    assert shot.exists(), r.stderr[-2000:]
    img = imread(shot)
    assert img.shape[:2] == (1800, 420)
    assert img[..., :3].std() > 0.05  # text and figures, not a blank page
    r = browser(page, d, "--dump-dom", "--virtual-time-budget=3000")
    dom = Dom()
    dom.feed(r.stdout)
    assert dom.title == "Rebalancing plan: n1quirk.data"
    cp = plans["cpsat"].plan
    assert dom.summary["score before"] == HBAL_INITIAL
    assert dom.summary["score after"] == f"{cp.final_score:.8f}".rstrip("0")
    assert dom.summary["moves"] == str(len(cp.steps))
    assert float(dom.summary["GiB copied"]) == pytest.approx(sum(s.gb_copied for s in cp.steps))
    assert dom.summary["days"] == str(len(plans["cpsat"].days))
    assert dom.summary["verified"] == "yes"
    assert dom.csp == "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    assert dom.images == 2 and all(link.startswith("data:image/png;base64,") for link in dom.links)
    assert not [x for x in dom.links if re.match(r"(?i)\s*(https?:|//)", x)]


@needs_chromium
def test_every_image_decodes_with_a_size(built) -> None:
    d, page, data, _ = built
    html = page.read_text()
    probe = d / "probe.html"
    probe.write_text(html.replace("style-src 'unsafe-inline'", "style-src 'unsafe-inline'; script-src 'unsafe-inline'")
                     .replace("</body>", PROBE + "</body>"))
    r = browser(probe, d, "--dump-dom", "--virtual-time-budget=5000")
    m = re.search(r'<pre id="probe">([^<]*)</pre>', r.stdout)
    assert m, r.stdout[-1000:]
    sizes = m.group(1).split()
    assert len(sizes) == len(data.figures) == 2
    for s in sizes:
        done, wh = s.split(":")
        w, h = (int(x) for x in wh.split("x"))
        assert done == "true" and w > 100 and h > 100


def test_report_command_prints_and_writes(tmp_path, capsys) -> None:
    from planner.cli.main import main

    out = tmp_path / "sub" / "r.html"
    with pytest.raises(SystemExit) as e:
        main(["report", "tests/data/n1quirk.data", "--no-hbal", "--time-limit", "1", "--html", str(out)])
    assert e.value.code == 0
    text = capsys.readouterr().out
    assert "greedy" in text and "cpsat" in text and "gnt-instance" in text and "Day plan" in text
    page = out.read_text()
    assert "<title>Rebalancing plan: n1quirk.data</title>" in page and page.count("<img") == 2


def test_report_html_under_a_file_fails_before_any_work(tmp_path, capsys) -> None:
    """A missing folder is made, but a path through a regular file is refused at once, in one line."""
    from planner.cli.main import main

    (tmp_path / "afile").write_text("keep")
    with pytest.raises(SystemExit) as e:
        main(["report", "tests/data/n1quirk.data", "--no-hbal", "--html", str(tmp_path / "afile" / "x" / "r.html")])
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count("\n") == 1 and "is not a directory" in err
    assert (tmp_path / "afile").read_text() == "keep"


def test_report_command_refuses_bad_input(tmp_path, capsys) -> None:
    from planner.cli.main import main

    with pytest.raises(SystemExit) as e:
        main(["report", "tests/data/n1quirk.data", "--window", "25:00-26:00"])
    assert e.value.code == 2 and "planner: error: --window" in capsys.readouterr().err
