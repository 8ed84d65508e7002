"""The Gradio page: chat with numbered citations, reader beside it, follow-ups, copy, feedback.

`build_page(logic, embed=False)`; the /embed view is the same chat without header, about panel and reader
(citations still open inline to their highlighted passage).
"""
from __future__ import annotations

from typing import Any

import gradio as gr

from bot.feedback import FeedbackUnavailable
from bot.types import Answer
from bot.web.chat import ChatLogic, about_html
from bot.web.render import escape
from bot.web.style import COPY_JS, READER_JS

MAX_FOLLOWUPS = 3


def _header_html(logic: ChatLogic) -> str:
    t, m = logic.t, logic.metadata
    title = m.get("short_title") or m.get("title") or "rapportbot"
    mode = t["llm"] if logic.llm_enabled() else t["no_llm"]
    # With the password file there is a session to end ("logout" is relative: it keeps the sub-path).
    logout = (f'<a class="rb-logout" id="rb-logout" href="logout">{escape(str(t["logout"]))}</a>'
              if logic.settings.server.auth_file else "")
    return (f'<div id="rb-header">{logout}<h1>{escape(str(title))}</h1>'
            f'<p class="rb-sub">{escape(str(t["subtitle"]))}</p>'
            f'<span class="rb-mode" id="rb-mode">{escape(str(mode))}</span></div>')


def _user(request: gr.Request | None) -> str | None:
    return getattr(request, "username", None) or None if request is not None else None


def build_page(logic: ChatLogic, embed: bool = False) -> gr.Blocks:
    t = logic.t
    title = str(logic.metadata.get("short_title") or "rapportbot")
    with gr.Blocks(title=title, analytics_enabled=False) as page:
        turns = gr.State([])          # [{question, answer: contract dict} | {question, error}]
        current = gr.State(None)      # the turn that copy/comment apply to
        rated = gr.State({})          # turn -> feedback row id
        if not embed:
            gr.HTML(_header_html(logic), padding=False)
        banner = gr.HTML("", visible=False, padding=False)  # "run `rapportbot ingest`", checked on each load
        with gr.Row(equal_height=False):
            with gr.Column(scale=6, min_width=380):
                chatbot = gr.Chatbot(
                    elem_id="rb-chat", height="62vh" if not embed else "70vh", show_label=False,
                    sanitize_html=True, render_markdown=True, allow_tags=False, buttons=[],
                    latex_delimiters=[],  # off: `$$\\rule{2000px}{2000px}$$` in a question would draw over the chat
                    feedback_options=("Like", "Dislike"), layout="bubble", autoscroll=True, label=str(t["chat_label"]),
                    examples=[{"text": q} for q in t["examples"]], placeholder=str(t["welcome"]))
                with gr.Row(equal_height=True):
                    question = gr.Textbox(show_label=False, placeholder=str(t["placeholder"]), lines=1, max_lines=6,
                                          scale=9, elem_id="rb-question", autofocus=not embed, submit_btn=False)
                    send = gr.Button(str(t["send"]), variant="primary", scale=1, min_width=90, elem_id="rb-send")
                with gr.Row(elem_id="rb-followups", visible=False) as follow_row:
                    follow_buttons = [gr.Button("", size="sm", variant="secondary", visible=False,
                                                elem_classes="rb-follow") for _ in range(MAX_FOLLOWUPS)]
                with gr.Row():
                    copy = gr.Button(str(t["copy"]), size="sm", elem_id="rb-copy", interactive=False)
                    clear = gr.Button(str(t["clear"]), size="sm", elem_id="rb-clear")
                status = gr.Markdown("", elem_id="rb-status", latex_delimiters=[])
                with gr.Group(visible=False, elem_id="rb-feedback") as feedback_box:
                    issue = gr.Radio(choices=list(t["issues"]), label=str(t["issue_label"]), elem_id="rb-issue")
                    comment = gr.Textbox(label=str(t["comment"]), lines=2, max_lines=6, elem_id="rb-comment")
                    send_comment = gr.Button(str(t["send_comment"]), size="sm", elem_id="rb-send-comment")
                with gr.Accordion(str(t["markdown"]), open=False, visible=not embed):
                    memo = gr.Textbox(show_label=False, lines=6, max_lines=20, interactive=False,
                                      buttons=["copy"], elem_id="rb-memo")
                if not embed:
                    with gr.Accordion(str(t["about"]), open=False, elem_id="rb-about"):
                        gr.HTML(about_html(logic.metadata, logic.settings.server.ui_language), padding=True)
            reader = None
            if not embed:
                with gr.Column(scale=5, min_width=340, elem_id="rb-reader-col"):
                    gr.Markdown(f"### {t['reader']}")
                    # Rendered now when the store is loaded; else on each page load until it is.
                    initial = logic.reader_html() if logic.holder.peek() is not None else logic.reader_html
                    reader = gr.HTML(initial, elem_id="rb-reader", js_on_load=READER_JS, padding=False)

        follow_outputs = [follow_row, *follow_buttons]
        # The feedback form is last: a new question closes it (it belonged to the answer before).
        ask_outputs = [chatbot, turns, current, question, memo, copy, status, *follow_outputs, feedback_box]
        keep = [gr.update()] * (1 + MAX_FOLLOWUPS)

        def on_question(text: str, history: list[dict], request: gr.Request):
            text = text or ""
            hidden = [gr.update(visible=False)] * (1 + MAX_FOLLOWUPS)
            if not text.strip():
                # Nothing asked: no bubble, no turn to rate; just the hint.
                yield (gr.update(), history, gr.update(), gr.update(), gr.update(), gr.update(), str(t["empty"]),
                       *keep, gr.update())
                return
            yield (logic.messages(history, not embed, pending=text), history, gr.update(), "", gr.update(),
                   gr.update(), "", *hidden, gr.update(visible=False))
            for kind, value in logic.ask(text, history, _user(request)):
                if kind == "partial":
                    yield (logic.messages(history, not embed, pending=text, partial=value), *[gr.update()] * 6,
                           *keep, gr.update())
                    continue
                if kind == "error":
                    history = history + [{"question": text, "error": value}]
                    yield (logic.messages(history, not embed), history, gr.update(), "", gr.update(), gr.update(),
                           "", *hidden, gr.update())
                    return
                answer: Answer = value
                history = history + [{"question": text, "answer": answer.model_dump(mode="json")}]
                turn = len(history) - 1
                suggestions = logic.followups(answer, history)
                follow = [gr.update(visible=bool(suggestions))] + [
                    gr.update(value=suggestions[i], visible=True) if i < len(suggestions) else gr.update(visible=False)
                    for i in range(MAX_FOLLOWUPS)]
                yield (logic.messages(history, not embed), history, turn, "", logic.memo(history, turn),
                       gr.update(interactive=True), "", *follow, gr.update())
                return

        # The page's events are its own (api_visibility="private": not listed, not callable by clients); the
        # one client endpoint is "/ask" below, question and history in, the answer contract out.
        ask_kwargs = dict(outputs=ask_outputs, concurrency_limit=16, show_progress="hidden", api_visibility="private")
        question.submit(on_question, [question, turns], **ask_kwargs)
        send.click(on_question, [question, turns], **ask_kwargs)
        for button in follow_buttons:
            button.click(on_question, [button, turns], **ask_kwargs)
        if not embed:
            gr.api(logic.ask_contract, api_name="ask", concurrency_limit=16)

        def ask_example(history: list[dict], event: gr.SelectData, request: gr.Request):
            value = event.value.get("text") if isinstance(event.value, dict) else str(event.value or "")
            yield from on_question(value or "", history, request)

        chatbot.example_select(ask_example, [turns], **ask_kwargs)

        def on_like(history: list[dict], rows: dict, event: gr.LikeData, request: gr.Request):
            index = event.index[0] if isinstance(event.index, (list, tuple)) else event.index
            turn = int(index) // 2
            rating = "up" if event.liked is True else "down" if event.liked is False else None
            try:
                row = logic.rate(history, turn, rating, _user(request), row_id=rows.get(str(turn)))
            except FeedbackUnavailable as err:
                return rows, gr.update(), f"{t['feedback_failed']} ({err})", gr.update(), gr.update()
            if row is None:
                return rows, gr.update(), str(t["nothing_to_rate"]), gr.update(), gr.update()
            rows = {**rows, str(turn): row}
            return rows, gr.update(visible=True), str(t["thanks"]), turn, logic.memo(history, turn)

        chatbot.like(on_like, [turns, rated], [rated, feedback_box, status, current, memo], api_visibility="private")

        def on_comment(history: list[dict], rows: dict, turn: int | None, issue_value: str | None, text: str,
                       request: gr.Request):
            if turn is None:
                return rows, str(t["nothing_to_rate"]), gr.update(), gr.update()
            try:
                row = logic.rate(history, int(turn), None, _user(request), row_id=rows.get(str(turn)),
                                 issue=issue_value or None, comment=text or None)
            except FeedbackUnavailable as err:
                return rows, f"{t['feedback_failed']} ({err})", gr.update(), gr.update()
            if row is None:
                return rows, str(t["nothing_to_rate"]), gr.update(), gr.update()
            return {**rows, str(turn): row}, str(t["thanks_comment"]), gr.update(value=None), ""

        send_comment.click(on_comment, [turns, rated, current, issue, comment], [rated, status, issue, comment],
                           api_visibility="private")
        copy.click(None, [memo], None, js=COPY_JS, api_visibility="private").then(
            lambda: str(t["copied"]), None, status, api_visibility="private")

        def on_clear() -> tuple[Any, ...]:
            return ([], [], None, {}, "", gr.update(interactive=False), "", gr.update(visible=False),
                    *[gr.update(visible=False)] * (1 + MAX_FOLLOWUPS))

        clear_outputs = [chatbot, turns, current, rated, memo, copy, status, feedback_box, *follow_outputs]
        clear.click(on_clear, None, clear_outputs, api_visibility="private")
        chatbot.clear(on_clear, None, clear_outputs, api_visibility="private")  # the Chatbot's own trash button
        if reader is not None:
            def on_cite(history: list[dict], event: gr.EventData) -> str:
                return logic.reader_html(history, str((event._data or {}).get("ref", "")))

            reader.cite(on_cite, [turns], [reader], show_progress="hidden", api_visibility="private")
        page.load(lambda: (lambda text: gr.update(value=text, visible=bool(text)))(logic.store_banner()), None,
                  banner, show_progress="hidden", api_visibility="private")
    return page
