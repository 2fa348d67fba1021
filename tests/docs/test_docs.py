"""The documentation's examples run as a new user would type them, and its links lead somewhere.

Each page (README.md and every page under docs/) runs in its own fresh working directory and namespace, its
Python blocks in order: a block may use what an earlier block of the page defined, as in a notebook. A page
that uses ``runs/demo`` finds the quick start's demo logs there, as a newcomer who ran ``./dev demo`` has
them. A block followed by a ```` ```text ```` block must print exactly that. ```` ```python s3 ```` blocks
run against moto's S3 server on 127.0.0.1 (tests/support/stores.py), with the buckets they name made first. A block
marked ``<!-- skip: reason -->`` is left out; the reason names the test that runs it.
"""
import contextlib
import io
import re
import unicodedata

import pytest

from tbwriter.cli.demo_training import run_demo
from tests.support.docpages import PAGES, blocks, read, without_code

PYTHON_PAGES = [page for page in PAGES if blocks(read(page), "python")]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)[^)]*\)")


def test_the_documentation_has_python_examples():
    assert "README.md" in PYTHON_PAGES and len(PYTHON_PAGES) >= 10, PYTHON_PAGES


@pytest.mark.parametrize("page", PYTHON_PAGES)
def test_page_python_blocks_run(page, tmp_path, monkeypatch, request):
    monkeypatch.chdir(tmp_path)
    page_blocks = blocks(read(page), "python")
    if any("runs/demo" in block.code for block in page_blocks):
        run_demo("runs/demo", epochs=3)
    namespace: dict = {"__name__": "__docs__"}
    for block in page_blocks:
        if block.skip:
            continue
        if block.info == "s3":
            s3 = request.getfixturevalue("s3_server")
            have = {b["Name"] for b in s3.client().list_buckets()["Buckets"]}
            for bucket in set(re.findall(r"s3://([\w.-]+)/", block.code)) - have:
                s3.make_bucket(bucket)
        where = f"{page}, the python block on line {block.line}"
        printed = io.StringIO()
        try:
            with contextlib.redirect_stdout(printed):
                exec(compile(block.code, where, "exec"), namespace)
        except Exception as e:  # say which block failed, with the block's own traceback below
            pytest.fail(f"{where} failed: {type(e).__name__}: {e}\n{block.code}")
        if block.output is not None:
            assert printed.getvalue() == block.output, f"{where} printed something else than the page shows"


def slug(heading: str) -> str:
    """The anchor of a heading, as MkDocs (Python-Markdown's toc) and GitHub make it for our headings."""
    text = unicodedata.normalize("NFKD", heading).encode("ascii", "ignore").decode()
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def anchors(page: str) -> set[str]:
    return {slug(h) for h in re.findall(r"^#+ (.+)$", without_code(read(page)), re.M)}


@pytest.mark.parametrize("page", PAGES)
def test_relative_links_resolve(page, root):
    for target in LINK.findall(without_code(read(page))):
        if re.match(r"[a-z]+:", target):  # https:, mailto: ...
            continue
        path, _, anchor = target.partition("#")
        resolved = (root / page).parent / path if path else root / page
        assert resolved.exists(), f"{page} links to {target}, which does not exist"
        if anchor and resolved.suffix == ".md":
            assert anchor in anchors(str(resolved.relative_to(root))), f"{page} links to {target}: no such heading"
