"""The extractive answer engine: retrieval, span scoring and selection, refusal, counts, lists, and
composing the answer text with its checked citations. It takes a parsed `bot.question.Question` and never
reads the raw question text again. The learned models and the training command's code live here too.
"""
