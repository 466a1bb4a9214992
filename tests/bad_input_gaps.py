"""Where tapejax still differs from TF on the bad inputs of ``test_bad_input.py``.

Generated from a run of ``python tests/test_bad_input.py``; each entry is checked to still
differ, so a fix makes the test ask for the entry to be removed.
"""

# (op, param, kind) -> reason. "TF bug": TF raises the class from its own Python internals;
# tapejax raises the closest TF-style class instead. "by design": TF succeeds on a string,
# which tapejax cannot hold (no string tensors). "gap": not yet matched (to fix).
CLASS_DIFFERENCES = {
    ('add_n', 'inputs', 'dict'): 'by design: tapejax has no string tensors; TF succeeds (one string key), tapejax raises InvalidArgumentError',
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
    ('broadcast_to', 'input', 'str'): 'by design: tapejax has no string tensors; TF succeeds, tapejax raises InvalidArgumentError',
    ('concat', 'values', 'str'): 'by design: tapejax has no string tensors; TF succeeds, tapejax raises InvalidArgumentError',
    ('conv2d', 'input', 'dict'): 'TF bug: TF raises AttributeError from its Python internals; tapejax ValueError',
    ('conv2d', 'input', 'mixed_list'): 'TF bug: TF raises AttributeError from its Python internals; tapejax ValueError',
    ('conv2d', 'input', 'none'): 'TF bug: TF raises AttributeError from its Python internals; tapejax ValueError',
    ('conv2d', 'input', 'object'): 'TF bug: TF raises AttributeError from its Python internals; tapejax ValueError',
    ('conv2d', 'input', 'str'): 'TF bug: TF raises AttributeError from its Python internals; tapejax InvalidArgumentError',
    ('count_nonzero', 'input', 'str'): 'by design: tapejax has no string tensors; TF succeeds, tapejax raises InvalidArgumentError',
    ('embedding_lookup', 'params', 'mixed_list'): 'TF bug: TF raises IndexError from its Python internals; tapejax TypeError',
    ('expand_dims', 'input', 'str'): 'by design: tapejax has no string tensors; TF succeeds, tapejax raises InvalidArgumentError',
    ('identity', 'x', 'str'): 'by design: tapejax has no string tensors; TF succeeds, tapejax raises InvalidArgumentError',
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
    ('random_shuffle', 'value', 'str'): 'by design: tapejax has no string tensors; TF succeeds, tapejax raises InvalidArgumentError',
    ('repeat', 'input', 'str'): 'by design: tapejax has no string tensors; TF succeeds, tapejax raises InvalidArgumentError',
    ('reverse', 'tensor', 'str'): 'by design: tapejax has no string tensors; TF succeeds, tapejax raises InvalidArgumentError',
    ('softmax', 'logits', 'rank_40'): 'TF bug: its oneDNN Softmax kernel takes rank <= 5 (AbortedError; with TF_ENABLE_ONEDNN_OPTS=0 TF succeeds); tapejax succeeds',
    ('squeeze', 'input', 'str'): 'by design: tapejax has no string tensors; TF succeeds, tapejax raises InvalidArgumentError',
    ('stack', 'values', 'dict'): 'TF bug: TF raises KeyError from its Python internals; tapejax InvalidArgumentError',
    ('stack', 'values', 'str'): 'by design: tapejax has no string tensors; TF succeeds, tapejax raises InvalidArgumentError',
    ('stop_gradient', 'x', 'str'): 'by design: tapejax has no string tensors; TF succeeds, tapejax raises InvalidArgumentError',
    ('tensordot', 'b', 'str'): 'TF bug: TF raises IndexError from its Python internals; tapejax TypeError',
    ('transpose', 'a', 'str'): 'by design: tapejax has no string tensors; TF succeeds, tapejax raises InvalidArgumentError',
    ('zero_fraction', 'value', 'str'): 'by design: tapejax has no string tensors; TF succeeds, tapejax raises InvalidArgumentError',
}

# (op, param, kind) whose tapejax message names neither the argument nor the op (to fix).
MESSAGE_GAPS = set()
