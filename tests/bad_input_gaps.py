"""Where tapejax still differs from TF on the bad inputs of ``test_bad_input.py``.

Generated from a run of ``python tests/test_bad_input.py``; each entry is checked to still
differ, so a fix makes the test ask for the entry to be removed.
"""

# (op, param, kind) -> reason. "TF bug": TF raises the class from its own Python internals;
# tapejax raises the closest TF-style class instead. "gap": not yet matched, in the ops whose
# good arguments the sweep got this session (to fix).
CLASS_DIFFERENCES = {
    ('avg_pool', 'input', 'dict'): 'TF bug: TF raises AttributeError from its Python internals; tapejax ValueError',
    ('avg_pool', 'input', 'mixed_list'): 'TF bug: TF raises AttributeError from its Python internals; tapejax ValueError',
    ('avg_pool', 'input', 'none'): 'TF bug: TF raises AttributeError from its Python internals; tapejax ValueError',
    ('avg_pool', 'input', 'object'): 'TF bug: TF raises AttributeError from its Python internals; tapejax ValueError',
    ('avg_pool', 'input', 'str'): 'TF bug: TF raises AttributeError from its Python internals; tapejax InvalidArgumentError',
    ('batch_normalization', 'x', 'dict'): 'TF bug: TF raises AttributeError from its Python internals; tapejax ValueError',
    ('batch_normalization', 'x', 'mixed_list'): 'TF bug: TF raises AttributeError from its Python internals; tapejax ValueError',
    ('batch_normalization', 'x', 'none'): 'TF bug: TF raises AttributeError from its Python internals; tapejax ValueError',
    ('batch_normalization', 'x', 'object'): 'TF bug: TF raises AttributeError from its Python internals; tapejax ValueError',
    ('batch_normalization', 'x', 'str'): 'TF bug: TF raises AttributeError from its Python internals; tapejax InvalidArgumentError',
    ('conv2d', 'input', 'dict'): 'TF bug: TF raises AttributeError from its Python internals; tapejax ValueError',
    ('conv2d', 'input', 'mixed_list'): 'TF bug: TF raises AttributeError from its Python internals; tapejax ValueError',
    ('conv2d', 'input', 'none'): 'TF bug: TF raises AttributeError from its Python internals; tapejax ValueError',
    ('conv2d', 'input', 'object'): 'TF bug: TF raises AttributeError from its Python internals; tapejax ValueError',
    ('conv2d', 'input', 'str'): 'TF bug: TF raises AttributeError from its Python internals; tapejax InvalidArgumentError',
    ('embedding_lookup', 'params', 'mixed_list'): 'TF bug: TF raises IndexError from its Python internals; tapejax TypeError',
    ('max_pool', 'input', 'dict'): 'TF bug: TF raises AttributeError from its Python internals; tapejax ValueError',
    ('max_pool', 'input', 'mixed_list'): 'TF bug: TF raises AttributeError from its Python internals; tapejax ValueError',
    ('max_pool', 'input', 'none'): 'TF bug: TF raises AttributeError from its Python internals; tapejax ValueError',
    ('max_pool', 'input', 'object'): 'TF bug: TF raises AttributeError from its Python internals; tapejax ValueError',
    ('max_pool', 'input', 'str'): 'TF bug: TF raises AttributeError from its Python internals; tapejax InvalidArgumentError',
    ('moments', 'x', 'dict'): 'TF bug: TF raises AttributeError from its Python internals; tapejax ValueError',
    ('moments', 'x', 'mixed_list'): 'TF bug: TF raises AttributeError from its Python internals; tapejax ValueError',
    ('moments', 'x', 'none'): 'TF bug: TF raises AttributeError from its Python internals; tapejax ValueError',
    ('moments', 'x', 'object'): 'TF bug: TF raises AttributeError from its Python internals; tapejax ValueError',
    ('moments', 'x', 'str'): 'TF bug: TF raises AttributeError from its Python internals; tapejax InvalidArgumentError',
    ('softmax', 'logits', 'rank_40'): 'TF bug: its oneDNN Softmax kernel takes rank <= 5 (AbortedError; with TF_ENABLE_ONEDNN_OPTS=0 TF succeeds); tapejax succeeds',
    ('stack', 'values', 'dict'): 'TF bug: TF raises KeyError from its Python internals; tapejax InvalidArgumentError',
    ('tensordot', 'b', 'str'): 'TF bug: TF raises IndexError from its Python internals; tapejax TypeError',
}

# (op, param, kind) whose tapejax message names neither the argument nor the op (to fix).
MESSAGE_GAPS: set[tuple[str, str, str]] = set()
