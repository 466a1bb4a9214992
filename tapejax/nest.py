"""``tf.nest``: flatten and rebuild nested structures with TF's rules.

Structures are sequences (lists, tuples, namedtuples, deques, ``range`` …; not ``str``/``bytes``),
mappings and mapping views; everything else (Tensors, Variables, arrays, sets, ``None``) is a
leaf. Mapping values are visited in sorted key order, as TF does, also for ``OrderedDict``;
rebuilding keeps the mapping's own key order and type (a ``defaultdict`` keeps its factory, a
mapping view or ``range`` becomes a list). Error texts are TF's.
"""
import collections
import collections.abc

_LEAF_TYPES = {type(None), bool, int, float, complex, str, bytes}  # leaves by exact type


def _register_leaf_type(cls):
    """Lets ``is_nested`` answer False for instances of exactly ``cls`` without the ABC checks
    (for a type that is no sequence, mapping or mapping view, such as ``Tensor``)."""
    _LEAF_TYPES.add(cls)


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def is_nested(seq):
    """True for sequences (except strings), mappings and mapping views (``tf.nest.is_nested``)."""
    t = type(seq)
    if t is list or t is tuple or t is dict:  # the common cases, without the ABC checks
        return True
    if t in _LEAF_TYPES:
        return False
    if isinstance(seq, (str, bytes)):
        return False
    return isinstance(seq, (collections.abc.Sequence, collections.abc.Mapping,
                                  collections.abc.MappingView))


def _children(structure):
    t = type(structure)
    if t is list or t is tuple:
        return list(structure)
    if t is dict or isinstance(structure, collections.abc.Mapping):
        return [structure[k] for k in sorted(structure)]
    return list(structure)


def _components(x, expand_composites):
    """A composite tensor's components (``expand_composites``, TF's rule), else None."""
    if not expand_composites:
        return None
    from .composite import CompositeTensor
    if isinstance(x, CompositeTensor):
        return list(x._type_spec._to_components(x))
    return None


def flatten(structure, expand_composites=False):
    """Returns the leaves of ``structure`` in TF's order; with ``expand_composites`` a
    SparseTensor or RaggedTensor gives its component Tensors."""
    if not is_nested(structure) and _components(structure, expand_composites) is None:
        return [structure]
    out = []
    stack = [structure]
    while stack:
        item = stack.pop()
        if is_nested(item):
            stack.extend(reversed(_children(item)))
        elif (parts := _components(item, expand_composites)) is not None:
            stack.extend(reversed(parts))
        else:
            out.append(item)
    return out


def _rebuild(structure, children):
    if isinstance(structure, collections.abc.Mapping):
        by_key = dict(zip(sorted(structure), children))
        if isinstance(structure, collections.defaultdict):
            out = collections.defaultdict(structure.default_factory)
        elif isinstance(structure, collections.abc.MutableMapping):
            out = type(structure)()
        else:
            return type(structure)((k, by_key[k]) for k in structure)
        for k in structure:
            out[k] = by_key[k]
        return out
    if isinstance(structure, (collections.abc.MappingView, range)):
        return list(children)
    if _is_namedtuple(structure):
        return type(structure)(*children)
    return type(structure)(children)


def _pack(structure, leaves, expand_composites=False):
    parts = _components(structure, expand_composites)
    if parts is not None:
        spec = structure._type_spec
        return spec._from_components([_pack(p, leaves, True) for p in parts])
    if not is_nested(structure):
        return next(leaves)
    return _rebuild(structure, [_pack(child, leaves, expand_composites)
                                for child in _children(structure)])


def pack_sequence_as(structure, flat_sequence, expand_composites=False):
    """Rebuilds ``structure`` with the leaves of ``flat_sequence`` (TF's ``pack_sequence_as``)."""
    if not is_nested(flat_sequence):
        raise TypeError(f"Attempted to pack value:\n  {flat_sequence}\ninto a structure, but "
                        f"found incompatible type `{type(flat_sequence)}` instead.")
    flat_sequence = list(flat_sequence)
    if not is_nested(structure) and _components(structure, expand_composites) is None:
        if len(flat_sequence) != 1:
            raise ValueError(f"The target structure is of type `{type(structure)}`\n  "
                             f"{structure}\nHowever the input is a sequence "
                             f"({type(flat_sequence)}) of length {len(flat_sequence)}.\n  "
                             f"{flat_sequence}\nnest cannot guarantee that it is safe to map "
                             "one to the other.")
        return flat_sequence[0]
    expected = len(flatten(structure, expand_composites))
    if expected != len(flat_sequence):
        raise ValueError(
            f"Could not pack sequence. Structure had {expected} atoms, but flat_sequence had "
            f"{len(flat_sequence)} items.  Structure: {structure}, flat_sequence: "
            f"{flat_sequence}.")
    return _pack(structure, iter(flat_sequence), expand_composites)


def _packer(structure):
    """A function ``f(leaves_iterator)`` that rebuilds ``structure`` as ``pack_sequence_as``
    does (composites are leaves), made once for a structure packed on every call (a traced
    function's outputs): it skips the checks and the walk of ``structure``."""
    if not is_nested(structure):
        return next
    t = type(structure)
    children = [_packer(child) for child in _children(structure)]
    if t is list or t is tuple:
        return lambda leaves: t([child(leaves) for child in children])
    if t is dict:
        keys = sorted(structure)
        order = list(structure)
        if keys == order:
            return lambda leaves: {k: child(leaves) for k, child in zip(keys, children)}

        def in_key_order(leaves):
            by_key = {k: child(leaves) for k, child in zip(keys, children)}
            return {k: by_key[k] for k in order}
        return in_key_order
    return lambda leaves: _rebuild(structure, [child(leaves) for child in children])


class _Dot:
    def __repr__(self):
        return "."


def _described(x):
    return f"type={type(x).__name__} str={x}"


def _same_type(a, b):
    """TF's rule: lists match lists, mappings match mappings, namedtuples match by name and
    fields, anything else by exact type."""
    if type(a) is type(b) or (isinstance(a, list) and isinstance(b, list)):
        return True
    if isinstance(a, collections.abc.Mapping) and isinstance(b, collections.abc.Mapping):
        return True
    if _is_namedtuple(a) and _is_namedtuple(b):
        return type(a).__name__ == type(b).__name__ and type(a)._fields == type(b)._fields
    return False


def _mismatch(a, b, check_types):
    """Why ``a`` and ``b`` differ in structure: ``(exception class, detail)`` or None."""
    if is_nested(a) != is_nested(b):
        nested, flat = (a, b) if is_nested(a) else (b, a)
        return ValueError, (f'Substructure "{_described(nested)}" is a sequence, while '
                            f'substructure "{_described(flat)}" is not')
    if not is_nested(a):
        return None
    if check_types and not _same_type(a, b):
        return TypeError, (f"The two namedtuples don't have the same sequence type. First "
                           f"structure {_described(a)} has type {type(a).__name__}, while second "
                           f"structure {_described(b)} has type {type(b).__name__}")
    if isinstance(a, collections.abc.Mapping) and isinstance(b, collections.abc.Mapping) \
            and sorted(a) != sorted(b):
        return ValueError, (f"The two dictionaries don't have the same set of keys. First "
                            f"structure has keys {_described(sorted(a))}, while second structure "
                            f"has keys {_described(sorted(b))}")
    children_a, children_b = _children(a), _children(b)
    if len(children_a) != len(children_b):
        return ValueError, (f"The two structures don't have the same number of elements. "
                            f"First structure: {_described(a)}. Second structure: "
                            f"{_described(b)}")
    for x, y in zip(children_a, children_b):
        found = _mismatch(x, y, check_types)
        if found:
            return found
    return None


def assert_same_structure(nest1, nest2, check_types=True, expand_composites=False):
    """Raises ``ValueError`` (``TypeError`` for differing sequence types) unless ``nest1`` and
    ``nest2`` have the same nesting, with TF's messages."""
    found = _mismatch(nest1, nest2, check_types)
    if found:
        cls, detail = found

        def dots(s):
            return pack_sequence_as(s, [_Dot()] * len(flatten(s))) if is_nested(s) else _Dot()
        raise cls(f"The two structures don't have the same nested structure.\n\n"
                  f"First structure: {_described(nest1)}\n\nSecond structure: "
                  f"{_described(nest2)}\n\nMore specifically: {detail}\n"
                  f"Entire first structure:\n{dots(nest1)!r}\nEntire second structure:\n"
                  f"{dots(nest2)!r}")


def map_structure(func, *structure, **kwargs):
    """Applies ``func`` leaf-wise over structures of the same shape (``tf.nest.map_structure``).

    Keyword arguments: ``check_types`` (default True) and ``expand_composites`` (default
    False: composite tensors are leaves; True: ``func`` sees their component Tensors).
    """
    if not callable(func):
        raise TypeError(f"func must be callable, got: {func}")
    if not structure:
        raise ValueError("Must provide at least one structure")
    check_types = kwargs.pop("check_types", True)
    expand = kwargs.pop("expand_composites", False)
    if kwargs:
        raise ValueError("Only valid keyword arguments are `check_types` and "
                         f"`expand_composites`, not: `{'`, `'.join(kwargs)}`")
    for other in structure[1:]:
        assert_same_structure(structure[0], other, check_types)
    flats = [flatten(s, expand) for s in structure]
    if len({len(f) for f in flats}) > 1:
        raise ValueError("The two structures don't have the same nested structure: their "
                         "composite tensors have different components.")
    return pack_sequence_as(structure[0], [func(*leaves) for leaves in zip(*flats)], expand)
