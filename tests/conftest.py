import os

# scikit-learn's array-API smoke check needs SciPy's array API mode, which
# must be set before SciPy is first imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
