"""Where tapejax still differs from TF on the bad inputs of ``test_bad_input.py``.

Generated from a run of ``python tests/test_bad_input.py``; each entry is checked to still
differ, so a fix makes the test ask for the entry to be removed.
"""

# (op, param, kind) -> reason. "TF bug": TF raises the class from its own Python internals;
# tapejax raises the closest TF-style class instead. "gap": not yet matched (to fix).
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
    ('betainc', 'a', 'rank_40'): 'gap: TF raises InvalidArgumentError, tapejax ok (an op added with the core names of issue 14; to fix)',
    ('betainc', 'a', 'str'): 'gap: TF raises TypeError, tapejax InvalidArgumentError (an op added with the core names of issue 14; to fix)',
    ('betainc', 'b', 'rank_40'): 'gap: TF raises InvalidArgumentError, tapejax ok (an op added with the core names of issue 14; to fix)',
    ('betainc', 'b', 'str'): 'gap: TF raises TypeError, tapejax InvalidArgumentError (an op added with the core names of issue 14; to fix)',
    ('betainc', 'x', 'rank_40'): 'gap: TF raises InvalidArgumentError, tapejax ok (an op added with the core names of issue 14; to fix)',
    ('betainc', 'x', 'str'): 'gap: TF raises TypeError, tapejax InvalidArgumentError (an op added with the core names of issue 14; to fix)',
    ('complex', 'imag', 'rank_40'): 'gap: TF raises ok, tapejax InvalidArgumentError (an op added with the core names of issue 14; to fix)',
    ('complex', 'real', 'rank_40'): 'gap: TF raises ok, tapejax InvalidArgumentError (an op added with the core names of issue 14; to fix)',
    ('conj', 'input', 'str'): 'gap: TF raises TypeError, tapejax ok (an op added with the core names of issue 14; to fix)',
    ('cumulative_logsumexp', 'axis', 'axis_repeated'): 'gap: TF raises InvalidArgumentError, tapejax ValueError (an op added with the core names of issue 14; to fix)',
    ('expm', 'input', 'dtype_int32'): 'gap: TF raises ValueError, tapejax InvalidArgumentError (an op added with the core names of issue 14; to fix)',
    ('imag', 'input', 'str'): 'gap: TF raises ok, tapejax InvalidArgumentError (an op added with the core names of issue 14; to fix)',
    ('lu', 'input', 'nan_inf'): 'gap: TF raises InvalidArgumentError, tapejax ok (an op added with the core names of issue 14; to fix)',
    ('pinv', 'a', 'dtype_bool'): 'gap: TF raises TypeError, tapejax InvalidArgumentError (an op added with the core names of issue 14; to fix)',
    ('pinv', 'a', 'dtype_int32'): 'gap: TF raises TypeError, tapejax InvalidArgumentError (an op added with the core names of issue 14; to fix)',
    ('pinv', 'a', 'empty_0'): 'gap: TF raises ValueError, tapejax InvalidArgumentError (an op added with the core names of issue 14; to fix)',
    ('pinv', 'a', 'empty_2x0'): 'gap: TF raises ok, tapejax InvalidArgumentError (an op added with the core names of issue 14; to fix)',
    ('pinv', 'a', 'rank_40'): 'gap: TF raises UnimplementedError, tapejax ok (an op added with the core names of issue 14; to fix)',
    ('pinv', 'a', 'shape_3'): 'gap: TF raises ValueError, tapejax InvalidArgumentError (an op added with the core names of issue 14; to fix)',
    ('pinv', 'a', 'str'): 'gap: TF raises TypeError, tapejax InvalidArgumentError (an op added with the core names of issue 14; to fix)',
    ('real', 'input', 'dtype_bool'): 'gap: TF raises TypeError, tapejax ok (an op added with the core names of issue 14; to fix)',
    ('real', 'input', 'str'): 'gap: TF raises TypeError, tapejax ok (an op added with the core names of issue 14; to fix)',
    ('realdiv', 'x', 'dtype_int32'): 'gap: TF raises NotFoundError, tapejax InvalidArgumentError (an op added with the core names of issue 14; to fix)',
    ('reciprocal_no_nan', 'x', 'dtype_bool'): 'gap: TF raises TypeError, tapejax InvalidArgumentError (an op added with the core names of issue 14; to fix)',
    ('reciprocal_no_nan', 'x', 'str'): 'gap: TF raises TypeError, tapejax InvalidArgumentError (an op added with the core names of issue 14; to fix)',
    ('segment_prod', 'data', 'dtype_bool'): 'gap: TF raises InvalidArgumentError, tapejax ok (an op added with the core names of issue 14; to fix)',
    ('tensor_diag', 'diagonal', 'dtype_bool'): 'gap: TF raises InvalidArgumentError, tapejax ok (an op added with the core names of issue 14; to fix)',
    ('tensor_diag_part', 'input', 'dtype_bool'): 'gap: TF raises InvalidArgumentError, tapejax ok (an op added with the core names of issue 14; to fix)',
    ('unsorted_segment_mean', 'data', 'str'): 'gap: TF raises TypeError, tapejax InvalidArgumentError (an op added with the core names of issue 14; to fix)',
    ('unsorted_segment_mean', 'num_segments', 'dtype_float'): 'gap: TF raises InvalidArgumentError, tapejax TypeError (an op added with the core names of issue 14; to fix)',
    ('unsorted_segment_prod', 'data', 'dtype_bool'): 'gap: TF raises InvalidArgumentError, tapejax ok (an op added with the core names of issue 14; to fix)',
    ('unsorted_segment_sqrt_n', 'data', 'str'): 'gap: TF raises TypeError, tapejax InvalidArgumentError (an op added with the core names of issue 14; to fix)',
    ('unsorted_segment_sqrt_n', 'num_segments', 'dtype_float'): 'gap: TF raises InvalidArgumentError, tapejax TypeError (an op added with the core names of issue 14; to fix)',
}

# (op, param, kind) whose tapejax message names neither the argument nor the op (to fix).
# ops added with issue 14's core names; to fix
MESSAGE_GAPS = {
    ('angle', 'input', 'dtype_bool'), ('angle', 'input', 'dtype_int32'), ('angle', 'input',
    'str'), ('conj', 'input', 'dtype_bool'),
}
