"""/v1 like a model server: `usage` counted (bundled e5 tokenizer), and stream_options.include_usage honoured,
seen through the official openai client against a real server."""
from __future__ import annotations

import openai

from bot.web.usage import count_tokens, usage

QUESTION = "Hvor mange topledere blev interviewet?"


def _client(server) -> openai.OpenAI:
    import httpx

    return openai.OpenAI(base_url=server.url + "/v1", api_key="unused", http_client=httpx.Client(trust_env=False))


def test_usage_is_counted_and_the_stream_reports_the_same(server):
    client = _client(server)
    messages = [{"role": "user", "content": QUESTION}]
    plain = client.chat.completions.create(model="rapportbot", messages=messages)
    counted = plain.usage
    assert counted.prompt_tokens == count_tokens(QUESTION) + 6 and counted.prompt_tokens > 6
    assert counted.completion_tokens == count_tokens(plain.choices[0].message.content) > 20
    assert counted.total_tokens == counted.prompt_tokens + counted.completion_tokens

    chunks = list(client.chat.completions.create(model="rapportbot", messages=messages, stream=True,
                                                 stream_options={"include_usage": True}))
    assert all(c.usage is None for c in chunks[:-1]) and chunks[-1].choices == []
    assert chunks[-1].usage.model_dump(include={"prompt_tokens", "completion_tokens", "total_tokens"}) == \
        counted.model_dump(include={"prompt_tokens", "completion_tokens", "total_tokens"})

    without = list(client.chat.completions.create(model="rapportbot", messages=messages, stream=True))
    assert all(c.usage is None for c in without) and without[-1].choices[0].finish_reason == "stop"


def test_usage_counts_every_message_and_real_tokens():
    assert count_tokens("") == 0 and count_tokens("innovationsdagsorden") >= 2
    assert count_tokens("ord " * 400) >= 400  # no 512-token truncation of long texts
    two = usage(["Hvad er COI?", "Center for Offentlig Innovation.", "Hvem står bag?"], "svar")
    assert two["prompt_tokens"] == sum(count_tokens(m) for m in ("Hvad er COI?", "Center for Offentlig Innovation.",
                                                                   "Hvem står bag?")) + 3 * 3 + 3
