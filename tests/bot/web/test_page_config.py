"""The page as Gradio describes it to the browser: Danish by default, English by setting, the no-LLM
line, example questions, the about panel from data/metadata.json."""
from __future__ import annotations

import json


def _config_text(running, path: str = "/config") -> str:
    with running.client() as client:
        response = client.get(path)
    assert response.status_code == 200
    return json.dumps(response.json(), ensure_ascii=False)


def test_danish_page_by_default(server):
    text = _config_text(server)
    assert "Svarene er citater fra rapporten".lower() in text.lower()
    assert "Hvor mange topledere blev interviewet?" in text
    assert "Udviklingsbureauet BETA" in text and "Om rapporten" in text and "2020" in text


def test_english_page_by_setting(start_server):
    text = _config_text(start_server(ui_language="en"))
    assert "No language model is connected" in text and "About the report" in text
    assert "How many top leaders were interviewed?" in text
