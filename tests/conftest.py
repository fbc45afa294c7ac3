import os
from pathlib import Path

# scikit-learn's array-API smoke check needs SciPy's array API mode, which
# must be set before SciPy is first imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

REPO = Path(__file__).resolve().parent.parent


def weather_csv():
    """The seed tutorial's clean_weather.csv: $SKRNN_WEATHER_CSV, else ../shared/data."""
    env = os.environ.get("SKRNN_WEATHER_CSV")
    return Path(env) if env else REPO.parent / "shared" / "data" / "clean_weather.csv"
