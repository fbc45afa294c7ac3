"""Order of the examples in the gallery: the order a reader should take them in."""

from pathlib import Path

ORDER = [
    "plot_weather_forecast.py",
    "plot_multi_step.py",
    "plot_intervals.py",
    "plot_training_curves.py",
    "plot_callbacks.py",
    "plot_grid_search.py",
    "plot_exploding_gradients.py",
    "plot_cells.py",
    "plot_classification.py",
    "plot_torch_export.py",
]


class ExampleOrder:
    """Sort key for sphinx-gallery's ``within_subsection_order``; unlisted files go last."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        name = Path(filename).name
        return (ORDER.index(name) if name in ORDER else len(ORDER), name)
