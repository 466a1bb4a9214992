"""Run unmodified TF2 scripts on tapejax: ``python -m tapejax run script.py [args]``.

``run`` installs, in its own process only, an import hook resolving ``tensorflow`` and its
submodules (``tensorflow.keras.layers``...) to the tapejax modules of the same name, then runs
the script with ``runpy`` as ``__main__``. Importing tapejax changes nothing: the hook exists
only inside ``run``, and in a process that uses ``tapejax.keras`` (the real Keras, whose
TensorFlow backend imports ``tensorflow``; see ``_keras.py``). A name tapejax does not provide
fails with an error naming it and pointing at ``docs/api_coverage.md``.
"""
import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys
import types

from . import _tf_paths

COVERAGE = "docs/api_coverage.md"
MISSING_ATTRIBUTE = ("tapejax does not provide `{name}` (the script runs on tapejax through "
                     "`python -m tapejax run`); see " + COVERAGE + " for the TF API it covers.")
MISSING_MODULE = ("tapejax does not provide the module `{name}` (the script runs on tapejax "
                  "through `python -m tapejax run`); see " + COVERAGE + " for the TF API it "
                  "covers.")


_ABSENT = object()

# TF namespaces whose tapejax module has another name (``tapejax.compat`` is this redirect)
RENAMED = {"compat": "_tf_compat"}


class TensorFlowAlias(types.ModuleType):
    """Stands for ``tensorflow[.sub]``: every attribute is the tapejax module's."""

    def __init__(self, tf_name, target):
        super().__init__(tf_name, target.__doc__)
        object.__setattr__(self, "_target", target)
        if not hasattr(target, "__path__"):  # TF's namespaces are packages: ``tf.compat.v1``
            object.__setattr__(self, "__path__", [])

    def __getattr__(self, name):
        target = object.__getattribute__(self, "_target")
        value = target.__dict__.get(name, _ABSENT)  # the common case: a function or class
        if value is not _ABSENT and not isinstance(value, types.ModuleType) and not (
                target.__name__ == "tapejax" and name in RENAMED):
            if isinstance(value, type):  # TF's classes are fixed: found directly next time
                object.__setattr__(self, name, value)
            return value
        try:
            if target.__name__ == "tapejax" and name in RENAMED:
                return _alias(f"{self.__name__}.{name}",
                              importlib.import_module(f"tapejax.{RENAMED[name]}"))
            value = getattr(target, name)
        except AttributeError:
            if name.startswith("__"):
                raise
            stand_in = _tf_paths.module_for(f"{self.__name__}.{name}")
            if stand_in is not None:
                return sys.modules.setdefault(stand_in.__name__, stand_in)
            raise AttributeError(MISSING_ATTRIBUTE.format(name=f"{self.__name__}.{name}")) \
                from None
        if isinstance(value, types.ModuleType) and value.__name__.startswith("tapejax"):
            alias = _alias(f"{self.__name__}.{name}", value)
            object.__setattr__(self, name, alias)  # a namespace is fixed, as a class is
            return alias
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
        if module.__name__ == "tapejax" and part in RENAMED:
            part = RENAMED[part]
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
        self.own_spec = None

    def create_module(self, spec):
        if isinstance(self.target, _tf_paths.PathModule):
            return self.target
        if not self.target.__name__.startswith("tapejax"):
            # a module of another package (``tensorflow.keras`` is Keras's tf.keras): that
            # module itself, its own ``__spec__`` put back in ``exec_module``
            self.own_spec = self.target.__spec__
            return self.target
        return _alias(spec.name, self.target)

    def exec_module(self, module):
        if self.own_spec is not None:
            module.__spec__ = self.own_spec


class TensorFlowFinder(importlib.abc.MetaPathFinder):
    """A ``sys.meta_path`` finder answering for ``tensorflow`` and ``tensorflow.*``."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "tensorflow" and not fullname.startswith("tensorflow."):
            return None
        module = None if _tf_paths.is_private(fullname) else _target_for(fullname)
        if module is None:  # a path Keras imports that tapejax serves only as a stand-in
            module = _tf_paths.module_for(fullname)
        if module is None:
            raise ModuleNotFoundError(MISSING_MODULE.format(name=fullname), name=fullname)
        return importlib.util.spec_from_loader(fullname, _Loader(module))


KERAS_ALREADY_IMPORTED = (
    "Keras was imported before tapejax's `tensorflow` redirect was installed (its backend is "
    "{backend!r}{bound}); Keras binds `tensorflow` when it is imported and cannot be imported "
    "twice in one process. Import keras only after the redirect: run the program with "
    "`python -m tapejax run script.py` (or `run -m module`) and set KERAS_BACKEND=tensorflow "
    "before `import keras`; in a plain `import tapejax` program, use `tapejax.keras` before "
    "any `import keras`.")


def _check_keras_not_imported():
    """Keras already imported cannot use the redirect: say so instead of mixing two TFs."""
    keras = sys.modules.get("keras")
    if keras is None:
        return
    config = sys.modules.get("keras.src.backend.config")
    backend = config.backend() if config is not None else "unknown"
    real_tf = sys.modules.get("tensorflow")
    bound = ", bound to real TensorFlow" if real_tf is not None and not isinstance(
        real_tf, TensorFlowAlias) else ""
    raise RuntimeError(KERAS_ALREADY_IMPORTED.format(backend=backend, bound=bound))


def installed():
    """Whether ``import tensorflow`` resolves to tapejax in this process."""
    return any(isinstance(f, TensorFlowFinder) for f in sys.meta_path)


def install():
    """Resolves ``import tensorflow`` to tapejax in this process (drops a loaded TF alias).

    Raises ``RuntimeError`` when Keras was imported already (see ``KERAS_ALREADY_IMPORTED``).
    """
    _check_keras_not_imported()
    for name in [n for n in sys.modules if n == "tensorflow" or n.startswith("tensorflow.")]:
        del sys.modules[name]
    if not installed():
        sys.meta_path.insert(0, TensorFlowFinder())


def run(script, args=()):
    """Runs ``script`` as ``__main__`` with ``argv = [script, *args]`` on tapejax."""
    install()
    sys.argv = [script] + list(args)
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")


def run_module(module, args=()):
    """Runs the module ``module`` as ``python -m module args`` does (``__main__``, the current
    directory first on ``sys.path``, ``argv[0]`` the module's file), on tapejax."""
    install()
    sys.argv = [module] + list(args)
    sys.path.insert(0, os.getcwd())
    runpy.run_module(module, run_name="__main__", alter_sys=True)
