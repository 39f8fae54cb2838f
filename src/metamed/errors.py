"""User-facing errors.

Every problem caused by the user's data or arguments is raised as a
:class:`MetamedError` whose message is one plain sentence. The command line
prints that sentence and exits non-zero; a traceback is shown only with
``--debug``. Keeping one exception type makes that contract easy to keep.

Casing rule: a message starts in lower case (it follows ``error:`` on the
terminal) unless it starts with a name, and ends with a full stop. The
estimator's messages that scikit-learn's own checks expect word for word
(``Reshape your data ...``) keep scikit-learn's wording.
A model used before ``fit`` raises scikit-learn's ``NotFittedError``
(through ``check_is_fitted``), everywhere.
"""


class MetamedError(ValueError):
    """A problem with the user's input, explained in one sentence."""


def one_line(error: BaseException, limit: int = 500) -> str:
    """``"TypeName: first line of the message"``, at most ``limit`` characters.

    How a failure another library raised is shown inside a sentence or
    stored in a knowledge-base row.
    """
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}".rstrip(": ")[:limit]
