"""Page details in headless Chromium: an empty question only shows a hint, the feedback form closes on the
next question, a favicon, and a phone opens the page at its header."""
from __future__ import annotations

import pytest

from tests.bot.web.conftest import open_page

pytestmark = pytest.mark.browser
QUESTION = "Hvor mange topledere blev interviewet?"


def _answers(page) -> int:
    return page.locator("#rb-chat .rb-answer").count()


def test_empty_question_then_feedback_closes_on_the_next_question(server, page):
    page.goto(server.url + "/")
    page.wait_for_selector("#rb-chat button[aria-label^='Vælg eksempel 1:']", timeout=60_000)  # page is live
    page.click("#rb-send")
    page.wait_for_function("document.querySelector('#rb-status').innerText.includes('Skriv et spørgsmål')",
                           timeout=30_000)
    assert page.locator("#rb-chat .rb-question").count() == 0 and _answers(page) == 0
    assert page.locator("#rb-chat button[aria-label='Godt svar']").count() == 0

    page.fill("#rb-question textarea", QUESTION)
    page.click("#rb-send")
    page.wait_for_selector("#rb-chat button[aria-label='Godt svar']", timeout=60_000)
    page.locator("#rb-chat button[aria-label='Dårligt svar']").last.click()
    page.wait_for_selector("#rb-feedback", state="visible", timeout=30_000)
    page.fill("#rb-question textarea", "Hvad er de seks opmærksomhedspunkter?")
    page.click("#rb-send")
    page.wait_for_selector("#rb-feedback", state="hidden", timeout=30_000)
    page.wait_for_function("document.querySelectorAll('#rb-chat .rb-answer:not(.rb-streaming)').length == 2",
                           timeout=60_000)
    assert not page.errors, page.errors


def test_favicon(server, page):
    page.goto(server.url + "/")
    page.wait_for_selector("#rb-question textarea", timeout=60_000)
    href = page.evaluate("document.querySelector('link[rel=icon]').href")
    icon = page.request.get(href)
    assert icon.status == 200 and icon.headers["content-type"] == "image/png" and icon.body()[:4] == b"\x89PNG"
    with server.client() as client:
        assert "/favicon.ico" in client.get("/embed/").text


def test_a_phone_opens_the_page_at_its_header(server, browser):
    phone = open_page(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        phone.goto(server.url + "/")
        phone.wait_for_selector("#rb-question textarea", timeout=60_000)
        phone.wait_for_timeout(1500)  # past Gradio's own focus and scrolling after load
        assert phone.evaluate("window.scrollY") == 0
        top = phone.locator("#rb-header h1").bounding_box()
        assert top and 0 <= top["y"] < 844
    finally:
        phone.context.close()
