"""Imports the scripts of `examples/` as modules, so tests call their `main(args)` in-process."""

import importlib.util
from pathlib import Path
from types import ModuleType

EXAMPLES = Path(__file__).parents[1] / "examples"


def load_example(relative_path: str) -> ModuleType:
    """The example script at `examples/<relative_path>` as a module (its `__main__` block does not run)."""
    path = EXAMPLES / relative_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
