"""``tf.__internal__.distribute``: the merge-call switch (``tapejax.distribute``'s)."""
from ..distribute import merge_call_interim as interim  # noqa: F401
from ..distribute.merge_call_interim import (
    strategy_supports_no_merge_call as strategy_supports_no_merge_call,
)
