"""Run unmodified TF2 scripts on tapejax: ``python -m tapejax run script.py [args]``.

``run`` installs, in its own process only, an import hook resolving ``tensorflow`` and its
submodules (``tensorflow.keras.layers``...) to the tapejax modules of the same name, then runs
the script with ``runpy`` as ``__main__``. Importing tapejax changes nothing: the hook exists
only inside ``run``. A name tapejax does not provide fails with an error naming it and
pointing at ``docs/api_coverage.md``.
"""
import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys
import types

COVERAGE = "docs/api_coverage.md"
MISSING_ATTRIBUTE = ("tapejax does not provide `{name}` (the script runs on tapejax through "
                     "`python -m tapejax run`); see " + COVERAGE + " for the TF API it covers.")
MISSING_MODULE = ("tapejax does not provide the module `{name}` (the script runs on tapejax "
                  "through `python -m tapejax run`); see " + COVERAGE + " for the TF API it "
                  "covers.")


class TensorFlowAlias(types.ModuleType):
    """Stands for ``tensorflow[.sub]``: every attribute is the tapejax module's."""

    def __init__(self, tf_name, target):
        super().__init__(tf_name, target.__doc__)
        object.__setattr__(self, "_target", target)

    def __getattr__(self, name):
        target = object.__getattribute__(self, "_target")
        try:
            value = getattr(target, name)
        except AttributeError:
            if name.startswith("__"):
                raise
            raise AttributeError(MISSING_ATTRIBUTE.format(name=f"{self.__name__}.{name}")) \
                from None
        if isinstance(value, types.ModuleType) and value.__name__.startswith("tapejax"):
            return _alias(f"{self.__name__}.{name}", value)
        return value

    def __dir__(self):
        return dir(object.__getattribute__(self, "_target"))


def _alias(tf_name, target):
    module = sys.modules.get(tf_name)
    if isinstance(module, TensorFlowAlias):
        return module
    module = TensorFlowAlias(tf_name, target)
    sys.modules[tf_name] = module
    return module


def _target_for(fullname):
    """The tapejax module for ``tensorflow[.a.b]``: a submodule or a module attribute."""
    parts = fullname.split(".")[1:]
    module = importlib.import_module("tapejax")
    for part in parts:
        value = getattr(module, part, None)
        if not isinstance(value, types.ModuleType):
            try:
                value = importlib.import_module(f"{module.__name__}.{part}")
            except ModuleNotFoundError:
                return None
        module = value
    return module


class _Loader(importlib.abc.Loader):
    def __init__(self, target):
        self.target = target

    def create_module(self, spec):
        return _alias(spec.name, self.target)

    def exec_module(self, module):
        pass


class TensorFlowFinder(importlib.abc.MetaPathFinder):
    """A ``sys.meta_path`` finder answering for ``tensorflow`` and ``tensorflow.*``."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "tensorflow" and not fullname.startswith("tensorflow."):
            return None
        module = _target_for(fullname)
        if module is None:
            raise ModuleNotFoundError(MISSING_MODULE.format(name=fullname), name=fullname)
        return importlib.util.spec_from_loader(fullname, _Loader(module))


def install():
    """Resolves ``import tensorflow`` to tapejax in this process (drops a loaded TF alias)."""
    for name in [n for n in sys.modules if n == "tensorflow" or n.startswith("tensorflow.")]:
        del sys.modules[name]
    if not any(isinstance(f, TensorFlowFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, TensorFlowFinder())


def run(script, args=()):
    """Runs ``script`` as ``__main__`` with ``argv = [script, *args]`` on tapejax."""
    install()
    sys.argv = [script] + list(args)
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")
