"""What is asked: the raw question and its history turned into one `Question` value, made once per ask.

Language, the kind of answer asked for (count, amount, date, name, list), terms and stems, subject words,
speaker and section filters, the follow-up's referent, the English-to-Danish cognate bridge and questions
about the report as a whole. Nothing here imports `bot.answer` or `bot.llm`: the flow is one way,
question -> answer | llm.
"""
