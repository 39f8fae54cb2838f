"""User-facing errors.

Every problem caused by the user's data or arguments is raised as a
:class:`MetamedError` whose message is one plain sentence. The command line
prints that sentence and exits non-zero; a traceback is shown only with
``--debug``. Keeping one exception type makes that contract easy to keep.
"""


class MetamedError(ValueError):
    """A problem with the user's input, explained in one sentence."""
