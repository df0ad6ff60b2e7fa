"""The one exception type users can cause, and its one-line message."""

from __future__ import annotations


class LossbalanceError(Exception):
    """An error the user can fix: bad input file, field, column or argument.

    The message is one line that names the file, field or column at fault. The CLI
    prints it without a traceback and exits with code 2.
    """

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))
