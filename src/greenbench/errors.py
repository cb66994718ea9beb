"""The one exception type the CLI turns into a one-line message and exit status 2."""


class GreenbenchError(Exception):
    """Bad input or an unusable environment, explained in one line that names the input.

    Raise it (or a subclass) for anything the user can fix: a wrong flag value, a missing
    file, an unknown task or model, counters that cannot be read. The CLI prints
    ``greenbench: error: <message>`` and exits with status 2; ``--debug`` adds the traceback.
    """
