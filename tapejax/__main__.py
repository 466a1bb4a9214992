"""``python -m tapejax run script.py [args...]``: runs a TF2 script with ``import tensorflow``
resolved to tapejax (see ``tapejax.compat``)."""
import sys

USAGE = "usage: python -m tapejax run SCRIPT.py [ARGS...]"


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) < 2 or argv[0] != "run":
        print(USAGE, file=sys.stderr)
        return 2
    from . import compat
    compat.run(argv[1], argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
