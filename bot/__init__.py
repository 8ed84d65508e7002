"""rapportbot's answering side: the store built by `ingest` in, answers with verified quotes out.

Rooms, and the one-way flow between them: ingest -> store -> bot (question -> answer | llm) -> eval.
`bot.question` reads what is asked, `bot.answer` answers extractively, `bot.llm` lets a model write
(still citing checked quotes), `bot.quotes` verifies every quote, `bot.service` ties them together for the
CLI (`bot.cli`, `bot.commands`), the HTTP API and the page (`bot.web`). `bot` never imports `eval`.
"""
