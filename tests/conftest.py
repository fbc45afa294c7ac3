import functools
import os
from pathlib import Path

import pytest

# scikit-learn's array-API smoke check needs SciPy's array API mode, which
# must be set before SciPy is first imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

REPO = Path(__file__).resolve().parent.parent


def weather_csv():
    """The seed tutorial's clean_weather.csv: $SKRNN_WEATHER_CSV, else ../shared/data."""
    env = os.environ.get("SKRNN_WEATHER_CSV")
    return Path(env) if env else REPO.parent / "shared" / "data" / "clean_weather.csv"


@pytest.fixture
def wrap_network(monkeypatch):
    """Wrap the network functions the training loop calls (``skrnn._network``).

    ``wrap_network(forward=f, backward=g)`` replaces ``_network.forward`` by
    ``f(real_forward, *args, **kwargs)`` (and likewise ``backward``), undone
    at the end of the test or by ``monkeypatch.undo()``.
    """
    from skrnn import _network

    def wrap(forward=None, backward=None):
        for name, wrapper in (("forward", forward), ("backward", backward)):
            if wrapper is not None:
                monkeypatch.setattr(_network, name, functools.partial(wrapper, getattr(_network, name)))

    return wrap
