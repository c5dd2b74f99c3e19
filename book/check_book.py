"""Check the built book as a reader meets it: equations rendered, figures present, links whole.

Usage: ``python book/check_book.py [_build/html]`` (``make check-book``).

Static checks, always:

* **raw TeX**: text outside the math elements that still looks like TeX (``$...\\sqrt``,
  ``\\frac``, ``\\mathbb`` ...): the symptom of an inline ``$...$`` that MyST did not
  parse as math, e.g. one broken across lines where the next line starts with ``+``
  or ``-`` and became a list item;
* **figures**: every ``<img>`` points to a non-empty file in the build, or holds
  an embedded image;
* **internal links**: every relative link points to a page that exists and, with a
  ``#fragment``, to an id on that page.

With Chromium (Debian's ``chromium``) installed, every page is also loaded headless
from a server on 127.0.0.1 and MathJax must have typeset every math element
(one ``mjx-container`` per element). Without it the script says so and runs the
static checks alone.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import subprocess
import sys
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the build without logging every request (problems are reported per page)."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        """Drop the request log."""


SKIP_PAGES = {"genindex.html", "search.html", "py-modindex.html"}
RAW_TEX = re.compile(
    r"\$[^$\n]{0,200}\\[a-zA-Z]{2,}|\\(frac|sqrt|mathbb|mathcal|sum|int|alpha|beta|epsilon|"
    r"theta|sigma|lVert|rVert|left|right|begin)\b"
)
SKIP_TEXT_IN = {"script", "style", "pre", "code", "textarea", "title"}


class Page(HTMLParser):
    """Collects a page's ids, links, images, math elements and visible non-math text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.images: list[str] = []
        self.math = 0
        self.rendered = 0
        self.text: list[str] = []
        self._stack: list[tuple[str, bool]] = []  # (tag, hides text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if tag == "img" and attributes.get("src"):
            self.images.append(attributes["src"])
        classes = (attributes.get("class") or "").split()
        is_math = "math" in classes
        self.math += is_math
        self.rendered += tag == "mjx-container"
        hides = tag in SKIP_TEXT_IN or is_math or tag.startswith("mjx-") or "highlight" in classes
        if tag not in ("img", "br", "hr", "meta", "link", "input"):
            self._stack.append((tag, hides))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index][0] == tag:
                del self._stack[index:]
                break

    def handle_data(self, data: str) -> None:
        if not any(hides for _, hides in self._stack):
            self.text.append(data)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def static_problems(root: Path, path: Path, page: Page, pages: dict[Path, Page]) -> list[str]:
    """Raw TeX, missing figures and broken internal links of one page."""
    problems = []
    text = " ".join(" ".join(page.text).split())
    for match in list(RAW_TEX.finditer(text))[:3]:
        start = max(0, match.start() - 40)
        problems.append(f"raw TeX in the text: ...{text[start : match.end() + 40]}...")
    for src in page.images:
        if src.startswith("data:"):
            if len(src) < 100:
                problems.append(f"embedded image too small to be one: {src[:40]}")
            continue
        parts = urlsplit(src)
        if parts.scheme or parts.netloc:
            problems.append(f"image loaded from the network: {src}")
            continue
        target = (path.parent / unquote(parts.path)).resolve()
        if not target.is_file() or target.stat().st_size == 0:
            problems.append(f"missing image: {src}")
    for href in page.links:
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or href.startswith(("mailto:", "javascript:")):
            continue
        target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            problems.append(f"broken link: {href}")
            continue
        if parts.fragment and target.suffix == ".html":
            other = pages.get(target) or parse(target.read_text(errors="replace"))
            pages[target] = other
            if unquote(parts.fragment) not in other.ids:
                problems.append(f"link to a missing anchor: {href}")
    return problems


def find_browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def rendered_dom(browser: str, url: str) -> str:
    """The page's DOM after its scripts ran (MathJax included), from headless Chromium."""
    result = subprocess.run(
        [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--virtual-time-budget=20000", "--dump-dom", url],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return result.stdout


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else "_build/html").resolve()
    if not (root / "index.html").is_file():
        print(f"no built book in {root}: run `make book` first")
        return 2
    paths = sorted(
        p
        for p in root.rglob("*.html")
        if p.name not in SKIP_PAGES and not {"_static", "_modules", "_sources"} & set(p.parts)
    )
    pages = {path: parse(path.read_text(errors="replace")) for path in paths}
    failures: dict[str, list[str]] = {}
    for path in paths:
        problems = static_problems(root, path, pages[path], pages)
        if problems:
            failures[str(path.relative_to(root))] = problems
    browser = find_browser()
    if browser is None:
        print(
            "No Chromium found (install Debian's `chromium`): MathJax rendering was NOT checked; "
            "the static checks (raw TeX, figures, links) ran."
        )
    else:
        handler = functools.partial(_QuietHandler, directory=str(root))
        handler.log_message = lambda *args: None  # type: ignore[method-assign]
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            for path in paths:
                if not pages[path].math:
                    continue
                url = f"http://127.0.0.1:{server.server_address[1]}/{path.relative_to(root)}"
                dom = parse(rendered_dom(browser, url))
                if dom.rendered < pages[path].math:
                    failures.setdefault(str(path.relative_to(root)), []).append(
                        f"MathJax typeset {dom.rendered} of {pages[path].math} math elements"
                    )
        finally:
            server.shutdown()
    math_pages = sum(1 for p in paths if pages[p].math)
    print(f"checked {len(paths)} pages ({math_pages} with math) in {root}")
    for name, problems in failures.items():
        print(f"\n{name}:")
        for problem in problems:
            print(f"  - {problem}")
    print("\nbook check " + ("FAILED" if failures else "passed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
