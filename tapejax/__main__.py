"""``python -m tapejax run script.py [args...]`` / ``python -m tapejax run -m module [args...]``:
runs a TF2 script or module with ``import tensorflow`` resolved to tapejax (see
``tapejax.compat``). ``run -m pytest ...`` runs a test suite on tapejax."""
import sys

USAGE = "usage: python -m tapejax run SCRIPT.py [ARGS...] | run -m MODULE [ARGS...]"


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) < 2 or argv[0] != "run" or argv[1] == "-m" and len(argv) < 3:
        print(USAGE, file=sys.stderr)
        return 2
    from . import compat
    if argv[1] == "-m":
        compat.run_module(argv[2], argv[3:])
    else:
        compat.run(argv[1], argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
