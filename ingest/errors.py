"""Errors with a message meant for the user: the CLI prints it on one line and exits 2."""


class RapportbotError(Exception):
    """Base for errors whose message is shown to the user as is."""

    exit_code = 1


class InputError(RapportbotError):
    """The input file or question cannot be used (missing, empty, corrupt, wrong encoding...)."""

    exit_code = 2


class StoreError(RapportbotError):
    """The store is missing, corrupt or unreachable; the message names `rapportbot ingest`."""

    exit_code = 2
