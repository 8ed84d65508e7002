"""The page in headless Chromium (Debian's /usr/bin/chromium, installed by tests/install_chromium.sh):
ask, see the quote with "24" and its section, open it in the reader, rate it, find the SQLite row."""
from __future__ import annotations

import re

import pytest

from bot.feedback import FeedbackStore
from ingest.settings import PROJECT_ROOT

pytestmark = pytest.mark.browser
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
QUESTION = "Hvor mange topledere blev interviewet?"


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _ask(page, question: str) -> None:
    page.fill("#rb-question textarea", question)
    page.click("#rb-send")


def test_ask_cite_read_and_rate(server, page):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.goto(server.url + "/")
    page.wait_for_selector("#rb-question textarea", timeout=60_000)
    assert "Svarene er citater fra rapporten".lower() in page.inner_text("#rb-mode").lower()
    _ask(page, QUESTION)
    page.wait_for_selector("#rb-chat .rb-answer details.rb-cite", timeout=60_000)
    answer = page.locator("#rb-chat .rb-answer").last
    citations = answer.locator("details.rb-cite")
    quotes = [citations.nth(i).locator(".rb-quote").inner_text() for i in range(citations.count())]
    hit = next(i for i, quote in enumerate(quotes) if "24" in quote)
    cited = citations.nth(hit)
    assert cited.locator(".rb-src").inner_text().strip(), "the citation names its section"

    # Opening the citation shows the quote highlighted in its passage...
    cited.locator("summary").click()
    assert cited.locator(".rb-passage mark").is_visible()
    # ...and "show in the report" opens the reader there, the quote marked and scrolled into view.
    cited.locator("a.rb-open").click()
    mark = page.locator("#rb-reader mark.rb-hl").first
    mark.wait_for(state="visible", timeout=30_000)
    marked = _squash(" ".join(page.locator("#rb-reader mark.rb-hl").all_inner_texts()))
    assert "24" in marked and _squash(quotes[hit].strip("“”"))[:20] in marked
    box = page.locator("#rb-reader .rb-doc").bounding_box()
    mark_box = mark.bounding_box()
    assert box and mark_box and box["y"] <= mark_box["y"] <= box["y"] + box["height"], "the mark is in view"
    assert page.locator("#rb-followups button:visible").count() >= 1

    # Thumbs up, then a comment saying the quote is wrong.
    page.locator("#rb-chat button[aria-label='Godt svar']").last.click()
    page.wait_for_selector("#rb-feedback", state="visible", timeout=30_000)
    page.get_by_label("Citatet er forkert").check()
    page.fill("#rb-comment textarea", "Browsertest: citatet passer")
    page.click("#rb-send-comment")
    page.wait_for_function("document.querySelector('#rb-status').innerText.includes('kommentaren er gemt')",
                           timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "chat-page.png"), full_page=True)

    # "Copy answer": the answer, its quotes and the report reference as Markdown on the clipboard.
    page.click("#rb-copy")
    page.wait_for_function("document.querySelector('#rb-status').innerText.includes('kopieret')", timeout=30_000)
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith(f"**Spørgsmål:** {QUESTION}") and "\n[1] “" in copied
    assert "Analyse af offentlige toplederes innovationsdagsorden" in copied

    rows = [r for r in FeedbackStore(server.feedback_db).rows() if r["comment"] == "Browsertest: citatet passer"]
    assert len(rows) == 1
    row = rows[0]
    assert row["question"] == QUESTION and row["rating"] == "up" and row["issue"] == "quote_wrong"
    assert row["mode"] == "extractive" and any("24" in c["quote"] for c in row["citations"])
    assert not page.errors, page.errors


def test_html_in_a_question_is_shown_as_text_and_never_runs(server, page):
    page.goto(server.url + "/embed/")
    page.wait_for_selector("#rb-question textarea", timeout=60_000)
    hostile = 'Hvad med <img src=x onerror="window.__pwned=1"> og <script>window.__pwned=2</script>?'
    _ask(page, hostile)
    page.wait_for_selector("#rb-chat .rb-answer:not(.rb-streaming)", timeout=60_000)
    assert page.evaluate("window.__pwned") is None
    assert "<img src=x" in page.locator("#rb-chat .rb-question").last.inner_text()
    assert page.locator("#rb-chat img[src='x']").count() == 0
    assert page.locator("#rb-reader").count() == 0  # the embed view is the chat alone
    page.screenshot(path=str(ARTIFACTS / "embed-page.png"))


def test_latex_in_a_question_is_shown_as_text_not_drawn(server, page):
    """Issue 12: `$$\\rule{2000px}{2000px}$$` drew a block over the chat while LaTeX was rendered."""
    page.goto(server.url + "/embed/")
    page.wait_for_selector("#rb-question textarea", timeout=60_000)
    _ask(page, "$$\\rule{2000px}{2000px}$$ Hvad siger rapporten om innovation?")
    page.wait_for_selector("#rb-chat .rb-answer:not(.rb-streaming)", timeout=60_000)
    assert page.locator("#rb-chat .katex, #rb-chat .katex-display").count() == 0
    assert "\\rule{2000px}" in page.locator("#rb-chat .rb-question").last.inner_text()
    box = page.locator("#rb-chat").bounding_box()
    assert box is not None and box["width"] < 1900 and box["height"] < 1900
