"""The OpenAI-compatible path: the client, reading the model's reply, turning its claimed quotes into
checked citations, and loading the prompt files under prompts/. It takes the same parsed question as the
extractive engine; every quote it shows is verified by `bot.quotes`.
"""
