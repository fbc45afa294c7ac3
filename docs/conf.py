"""Sphinx configuration of the skrnn documentation.

Build it from the repository root, after ``pip install -e ".[docs]"``::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The build needs no network: there is no intersphinx, MathJax is copied into
the HTML output from the ``sphinx-mathjax-offline`` package, and the gallery
examples read their data from disk (``$SKRNN_WEATHER_CSV`` if set, else the
Seattle weather bundled with ``vega_datasets``).
"""

import re
import sys
from pathlib import Path

import skrnn

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "sphinxext"))

from benchmark_tables import write_tables  # noqa: E402

# -- Project ------------------------------------------------------------------

project = "skrnn"
author = "the skrnn developers"
copyright = "the skrnn developers, BSD-3-Clause"
release = skrnn.__version__
version = ".".join(release.split(".")[:2])

# -- General ------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    # MathJax served from the build itself, so the pages read offline too
    "sphinx-mathjax-offline",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "examples/README.rst", "**.ipynb_checkpoints"]
toc_object_entries_show_parents = "hide"  # "fit()" in "On this page", not "RNNRegressor.fit()"
default_role = "literal"  # `x` in the user guide is code, as ``x``
pygments_style = "sphinx"

# -- API reference: autosummary + numpydoc ------------------------------------

autosummary_generate = True
autodoc_typehints = "none"
# the class template documents the methods (autodoc :members:), not numpydoc
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
# Every docstring that the API pages render is validated; -W makes a failure
# an error. Left out: checks scikit-learn leaves out too (see and also
# sections, extended summaries, examples on every method, "self : Estimator"
# named returns) and the inherited scikit-learn methods, which are not ours.
numpydoc_validation_checks = {
    "all",
    "ES01",  # no extended summary
    "EX01",  # no Examples section
    "GL01",  # docstring text starts on the first line, as in scikit-learn
    "GL02",
    "GL08",  # object without a docstring (private helpers)
    "RT02",  # named returns: "self : RNNRegressor", "X_windows : ndarray ..."
    "SA01",  # no See Also section
}
numpydoc_validation_exclude = {
    # methods that scikit-learn's base classes and mixins supply
    r"\.get_params$",
    r"\.set_params$",
    r"\.score$",
    r"\.fit_transform$",
    r"\.set_output$",
    r"\.set_\w+_request$",
    r"\.get_metadata_routing$",
    r"\.__init__$",
    # exception classes inherit Python's own methods and attributes
    r"\.with_traceback$",
    r"\.add_note$",
    r"\.args$",
    r"\.characters_written$",
    r"\.errno$",
    r"\.filename2?$",
    r"\.strerror$",
    r"\.winerror$",
}

# -- Gallery ------------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "gallery_order.ExampleOrder",
    "doc_module": ("skrnn",),
    "reference_url": {"skrnn": None},  # link example code to the local API pages
    "backreferences_dir": "gen_modules/backreferences",
    "abort_on_example_error": True,
    "remove_config_comments": True,
    "show_memory": False,
    "download_all_examples": False,
    "min_reported_time": 1,
    # no sg_execution_times page: it loads its table styling from a CDN
    "write_computation_times": False,
}

# -- Benchmarks page: tables from benchmarks/results/*.json --------------------

write_tables(DOCS.parent / "benchmarks" / "results", DOCS / "_generated" / "benchmark_tables.inc")

# -- API reference of skrnn.incremental, when that module is there -----------------
# A section of api.rst (an include) plus one page per function, written here
# rather than by autosummary, which only generates pages for source files.

_FUNCTION_PAGE = """{name}
{underline}

.. currentmodule:: skrnn.incremental

.. autofunction:: {name}

.. minigallery:: skrnn.incremental.{name}
   :add-heading: Examples using ``{name}``
   :heading-level: -
"""


def _write_if_changed(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _write_incremental_api(include, pages):
    """The API section of ``skrnn.incremental``: its ``__all__``, or nothing."""
    try:
        from skrnn import incremental
    except ImportError:
        names = []
    else:
        names = sorted(getattr(incremental, "__all__", []))
    for stale in pages.glob("skrnn.incremental.*.rst"):  # from an older __all__
        if stale.name.split(".")[2] not in names:
            stale.unlink()
    text = ""
    if names:
        entries = "\n".join(f"   {name}" for name in names)
        text = (
            "Out-of-core training\n"
            "--------------------\n\n"
            ".. currentmodule:: skrnn.incremental\n\n"
            ".. autosummary::\n   :toctree: generated/\n   :nosignatures:\n\n"
            f"{entries}\n\n"
            "How the chunks are windowed\n"
            "~~~~~~~~~~~~~~~~~~~~~~~~~~~\n\n"
            ".. automodule:: skrnn.incremental\n   :no-members:\n\n"
        )
        for name in names:
            page = _FUNCTION_PAGE.format(name=name, underline="=" * len(name))
            _write_if_changed(pages / f"skrnn.incremental.{name}.rst", page)
    _write_if_changed(include, text)


_write_incremental_api(DOCS / "_generated" / "api_incremental.inc", DOCS / "generated")

# -- HTML ---------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skrnn {release}"
html_static_path = ["_static"]
html_css_files = ["skrnn.css"]
html_show_sourcelink = False
html_theme_options = {
    "navbar_align": "left",
    "header_links_before_dropdown": 7,
    "show_toc_level": 2,
    "navigation_with_keys": False,
    # "On this page" everywhere but on the examples, whose code needs the width
    # (a page that no pattern matches gets no secondary sidebar)
    "secondary_sidebar_items": {
        **{page: ["page-toc"] for page in ["index", "quickstart", "api", "reliability",
                                           "benchmarks", "dask", "interop"]},
        "user_guide/*": ["page-toc"],
        "generated/*": ["page-toc"],
    },
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "show_prev_next": True,
}
html_sidebars = {
    "index": [],
    "quickstart": [],
    "reliability": [],
    "benchmarks": [],
    "dask": [],
    "interop": [],
}


# -- Docstring hooks -------------------------------------------------------------

_SKLEARN_XREF = re.compile(r":(?:ref|term|doc|class|func|meth):`(?:~)?([^`<]*?)\s*(?:<[^>]*>)?`")
_SHAPE = re.compile(r"\([^()`]*\)")
_BARE_FITTED_NAME = re.compile(r"(?<![`\w])([A-Za-z]\w*[A-Za-z0-9]_)(?=[,)])")


def _process_docstring(app, what, name, obj, options, lines):
    """Adapt docstrings that would not render as written.

    - Methods inherited from scikit-learn's base classes refer to labels and
      glossary terms of scikit-learn's own documentation, which this offline
      build cannot link to (no intersphinx): keep their text, drop the link.
    - A fitted attribute's name inside a shape, such as
      ``(n_samples, n_steps_)``, reads as a reStructuredText reference
      because of its trailing underscore: show it as code instead.
    """
    module = getattr(obj, "__module__", None) or ""
    for i, line in enumerate(lines):
        if module.startswith("sklearn"):
            line = _SKLEARN_XREF.sub(r"\1", line)
        if "(" in line:  # inside (...), outside ``literals``: the even pieces of a split
            parts = line.split("``")
            parts[::2] = [_SHAPE.sub(_quote_fitted_names, part) for part in parts[::2]]
            line = "``".join(parts)
        lines[i] = line


def _quote_fitted_names(match):
    return _BARE_FITTED_NAME.sub(r"``\1``", match.group(0))


def setup(app):
    # before numpydoc (priority 500), which renders the sections from these lines
    app.connect("autodoc-process-docstring", _process_docstring, priority=400)
