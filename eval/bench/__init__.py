"""`rapportbot bench`: speed and load benchmarks (ingest, warm asks, serve start-up, concurrent users,
processes and the report they write), kept apart from the evaluation of answer quality in `eval/`."""
