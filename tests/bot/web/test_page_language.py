"""The page in its language throughout (headless Chromium): `<html lang>`, Gradio's own screen-reader names
renamed from texts.py, the about panel, the reader caption; our own login page, one login for the page and
/embed, and a logout."""
from __future__ import annotations

import re

import bcrypt
import pytest

from tests.bot.web.conftest import open_page

pytestmark = pytest.mark.browser
ENGLISH = re.compile(r"\b(Like|Dislike|Liked|Disliked|Select example|Login|Log in|Username|username|password|"
                     r"Password|Incorrect|Credentials|Clear|Copy message|Submit|Chatbot)\b")
QUESTION = "Hvor mange topledere blev interviewet?"


def _names(page) -> list[str]:
    """Every accessible name and title the page's elements carry."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('[aria-label], [title], [placeholder]'))
        .flatMap(el => ['aria-label', 'title', 'placeholder'].map(a => el.getAttribute(a)).filter(Boolean))""")


def _ask(page, question: str) -> None:
    page.fill("#rb-question textarea", question)
    page.click("#rb-send")


def test_danish_page_is_danish_throughout(server, page):
    page.goto(server.url + "/")
    page.wait_for_selector("#rb-chat button[aria-label^='Vælg eksempel 1:']", timeout=60_000)
    assert page.get_attribute("html", "lang") == "da"
    page.locator("#rb-about").click()
    page.locator("#rb-about dl.rb-about").wait_for(timeout=30_000)
    assert "semistrukturerede interview" in page.inner_text("#rb-about")
    _ask(page, QUESTION)
    page.wait_for_selector("#rb-chat button[aria-label='Godt svar']", timeout=60_000)
    english = [name for name in _names(page) if ENGLISH.search(name)]
    assert not english, english
    cited = page.locator("#rb-chat .rb-answer details.rb-cite").first
    cited.locator("summary").click()
    cited.locator("a.rb-open").click()
    page.wait_for_selector("#rb-reader mark.rb-hl", timeout=30_000)
    caption = page.inner_text("#rb-reader .rb-caption")
    assert caption.startswith("Citat [1]") and re.search(r"\bs\. \d+", caption) and "p. " not in caption
    assert not page.errors, page.errors


def test_english_page_is_english(start_server, browser):
    english = start_server(ui_language="en")
    page = open_page(browser, locale="en-GB")
    try:
        page.goto(english.url + "/")
        page.wait_for_selector("#rb-chat button[aria-label^='Choose example 1:']", timeout=60_000)
        assert page.get_attribute("html", "lang") == "en"
        assert page.inner_text("#rb-send") == "Ask"
        page.locator("#rb-about").click()
        page.locator("#rb-about dl.rb-about").wait_for(timeout=30_000)
        assert "semi-structured interviews" in page.inner_text("#rb-about")
    finally:
        page.context.close()


@pytest.fixture(scope="module")
def locked(start_server, tmp_path_factory):
    path = tmp_path_factory.mktemp("auth") / "users"
    path.write_text("alice:" + bcrypt.hashpw(b"s3cret-pw", bcrypt.gensalt(rounds=4)).decode() + "\n", encoding="utf-8")
    return start_server(auth_file=path, root_path="/rapportbot")


def test_one_danish_login_for_page_and_embed_then_logout(locked, page):
    page.goto(locked.url + "/rapportbot/")
    page.wait_for_selector("form input[name=username]", timeout=30_000)
    assert page.get_attribute("html", "lang") == "da"
    words = page.inner_text("body") + " " + " ".join(_names(page)) + " " + page.title()
    assert not ENGLISH.search(words), words
    assert "Brugernavn" in words and "Adgangskode" in words

    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    page.wait_for_selector("[role=alert]", timeout=30_000)
    assert "Forkert brugernavn eller adgangskode" in page.inner_text("[role=alert]")

    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "s3cret-pw")
    page.click("button[type=submit]")
    page.wait_for_selector("#rb-question textarea", timeout=60_000)
    assert page.url == locked.url + "/rapportbot/"

    page.goto(locked.url + "/rapportbot/embed/")  # no second login
    page.wait_for_selector("#rb-question textarea", timeout=60_000)
    _ask(page, QUESTION)
    page.wait_for_selector("#rb-chat .rb-answer details.rb-cite", timeout=60_000)

    page.goto(locked.url + "/rapportbot/")
    page.wait_for_selector("#rb-logout", timeout=60_000)
    assert page.inner_text("#rb-logout") == "Log ud"
    page.click("#rb-logout")
    page.wait_for_selector("[role=status]", timeout=30_000)
    assert "Du er logget ud" in page.inner_text("[role=status]")
    page.goto(locked.url + "/rapportbot/embed/")
    page.wait_for_selector("form input[name=username]", timeout=30_000)
    assert not page.errors, page.errors
