"""``tf.nest``: flatten and rebuild nested structures with TF's rules.

Lists, tuples, namedtuples and mappings are structures; everything else (Tensors, Variables,
``None``) is a leaf. Mapping values are visited in sorted key order, as TF does, also for
``OrderedDict``; ``pack_sequence_as`` rebuilds the mapping in its original key order.
"""
import collections.abc


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def is_nested(structure):
    """True for lists, tuples, namedtuples and mappings (``tf.nest.is_nested``)."""
    return isinstance(structure, (list, tuple, collections.abc.Mapping))


def _children(structure):
    if isinstance(structure, collections.abc.Mapping):
        return [structure[k] for k in sorted(structure)]
    return list(structure)


def flatten(structure, expand_composites=False):
    """Returns the leaves of ``structure`` in TF's order."""
    if not is_nested(structure):
        return [structure]
    out = []
    stack = [structure]
    while stack:
        item = stack.pop()
        if is_nested(item):
            stack.extend(reversed(_children(item)))
        else:
            out.append(item)
    return out


def _rebuild(structure, children):
    if isinstance(structure, collections.abc.Mapping):
        by_key = dict(zip(sorted(structure), children))
        return type(structure)((k, by_key[k]) for k in structure)
    if _is_namedtuple(structure):
        return type(structure)(*children)
    return type(structure)(children)


def _pack(structure, leaves):
    if not is_nested(structure):
        return next(leaves)
    return _rebuild(structure, [_pack(child, leaves) for child in _children(structure)])


def pack_sequence_as(structure, flat_sequence, expand_composites=False):
    """Rebuilds ``structure`` with the leaves of ``flat_sequence`` (``tf.nest.pack_sequence_as``)."""
    flat_sequence = list(flat_sequence)
    expected = len(flatten(structure))
    if expected != len(flat_sequence):
        raise ValueError(
            f"Could not pack sequence. Structure had {expected} atoms, but flat_sequence had "
            f"{len(flat_sequence)} items. Structure: {structure}, flat_sequence: {flat_sequence}.")
    return _pack(structure, iter(flat_sequence))


def assert_same_structure(nest1, nest2, check_types=True, expand_composites=False):
    """Raises ``ValueError`` (or ``TypeError`` for differing types) unless the structures match."""
    if is_nested(nest1) != is_nested(nest2):
        raise ValueError(f"The two structures don't have the same nested structure.\n\n"
                         f"First structure: {nest1}\n\nSecond structure: {nest2}")
    if not is_nested(nest1):
        return
    if check_types and type(nest1) is not type(nest2):
        raise TypeError(f"The two structures don't have the same sequence type. Input structure "
                        f"has type {type(nest1)}, while shallow structure has type "
                        f"{type(nest2)}.")
    if isinstance(nest1, collections.abc.Mapping) and sorted(nest1) != sorted(nest2):
        raise ValueError(f"The two dictionaries don't have the same set of keys. First structure "
                         f"has keys {sorted(nest1)}, while second structure has keys "
                         f"{sorted(nest2)}.")
    children1, children2 = _children(nest1), _children(nest2)
    if len(children1) != len(children2):
        raise ValueError(f"The two structures don't have the same nested structure.\n\n"
                         f"First structure: {nest1}\n\nSecond structure: {nest2}")
    for a, b in zip(children1, children2):
        assert_same_structure(a, b, check_types)


def map_structure(func, *structure, check_types=True, expand_composites=False):
    """Applies ``func`` leaf-wise over structures of the same shape (``tf.nest.map_structure``)."""
    if not structure:
        raise ValueError("Must provide at least one structure")
    for other in structure[1:]:
        assert_same_structure(structure[0], other, check_types)
    flats = [flatten(s) for s in structure]
    return pack_sequence_as(structure[0], [func(*leaves) for leaves in zip(*flats)])
