"""skrnn's warnings, shown at the line of the user's code that led to them.

A warning that ``warnings.warn`` attributes to skrnn's own line tells the user
nothing about which of their calls to look at. A fixed ``stacklevel`` cannot
point there either: between the user's ``fit`` and the line that warns lie a
different number of frames on each path (scikit-learn's ``_fit_context``
wrapper, ``partial_fit``, a ``Pipeline``, ``GridSearchCV``'s loop,
``skrnn.incremental``). So :func:`warn` walks the stack instead, as pandas'
``find_stack_level`` does (Python 3.12's ``skip_file_prefixes`` would do the
same; skrnn supports 3.11): the warning points at the first frame outside
skrnn, scikit-learn and joblib (which run the fits of a search). In a joblib
worker there is no such frame; it then points at the caller of skrnn.
"""

import os
import sys
import warnings


def warn(message, category=UserWarning):
    """``warnings.warn(message, category)`` with the stacklevel of the user's call.

    ``message`` may be a ``Warning`` instance, whose class is then the category.
    """
    warnings.warn(message, category, stacklevel=_user_stacklevel())


def _user_stacklevel():
    """The ``stacklevel`` that :func:`warn` gives ``warnings.warn``."""
    own, libraries = _directories()
    frame, level = sys._getframe(2), 2  # the caller of warn; level 1 is warn itself
    first_outside_skrnn = None
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if first_outside_skrnn is None and not filename.startswith(own):
            first_outside_skrnn = level
        if not filename.startswith(libraries):
            return level
        frame, level = frame.f_back, level + 1
    return first_outside_skrnn or 2


def _directories():
    """skrnn's package directory, and the directories of the libraries that call it
    for the user (skrnn's, scikit-learn's, joblib's), each ending with a separator."""
    import joblib
    import sklearn

    own = os.path.dirname(os.path.abspath(__file__)) + os.sep
    libraries = tuple(os.path.dirname(os.path.abspath(module.__file__)) + os.sep
                      for module in (sklearn, joblib))
    return own, (own, *libraries)
