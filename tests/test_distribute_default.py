"""The ``tf.distribute`` calls Keras's TF backend makes on every ``fit``, against real TF.

Without a ``scope()`` everything goes through the default strategy; a model built in a
``MirroredStrategy`` scope makes the same calls through it (one replica in this process; the
several-replica programs are in tests/distribute_programs.py). Each program runs on both
libraries and the results are compared.
"""
import numpy as np
import pytest

import tapejax as tf
from tests import distribute_programs as programs
from tests.helpers import assert_same


def _error(f):
    try:
        f()
    except Exception as e:  # the class and message are the result
        return type(e).__name__, str(e)
    return None


def _both(real_tf, program):
    return program(tf), program(real_tf)


def test_the_default_strategy_outside_any_scope(real_tf):
    def program(lib):
        strategy = lib.distribute.get_strategy()
        context = lib.distribute.get_replica_context()
        return [type(strategy).__name__, type(strategy.extended).__name__,
                type(context).__name__, strategy is lib.distribute.get_strategy(),
                isinstance(strategy, lib.distribute.Strategy),
                isinstance(strategy.extended, lib.distribute.StrategyExtended),
                strategy.extended._container_strategy() is strategy,
                strategy.num_replicas_in_sync, lib.distribute.has_strategy(),
                lib.distribute.in_cross_replica_context(), context.strategy is strategy,
                context.replica_id_in_sync_group, context.num_replicas_in_sync,
                strategy.extended._in_multi_worker_mode(), strategy.cluster_resolver,
                strategy.extended.experimental_require_static_shapes,
                strategy.extended.variable_created_in_scope(lib.Variable(1.0)),
                _error(lambda: strategy.extended.worker_devices),
                _error(lambda: strategy.extended.parameter_devices),
                isinstance(strategy, lib.distribute.TPUStrategy),
                isinstance(strategy, lib.distribute.MultiWorkerMirroredStrategy),
                isinstance(lib.constant(1.0), lib.distribute.DistributedValues)]
    ours, theirs = _both(real_tf, program)
    assert ours == theirs
    assert tf.distribute.TPUStrategy.__name__.startswith("TPUStrategy")  # Keras's test


def test_scope_and_run_of_the_default_strategy(real_tf):
    def program(lib):
        strategy = lib.distribute.get_strategy()
        with strategy.scope() as entered:
            in_scope = [entered is strategy, lib.distribute.has_strategy(),
                        lib.distribute.in_cross_replica_context(),
                        lib.distribute.get_replica_context() is not None]

        def replica_fn(a, b=None):
            context = lib.distribute.get_replica_context()
            return (a, b, type(context).__name__, context.strategy is strategy,
                    lib.distribute.in_cross_replica_context(), lib.distribute.has_strategy())
        out = strategy.run(replica_fn, args=(1,), kwargs={"b": lib.constant(2.0)})
        return [in_scope, out[0], float(out[1]), out[2:],
                _error(lambda: strategy.run(3)),
                _error(lambda: strategy.run(lambda x: x, args=3)),
                _error(lambda: strategy.run(lambda x: x, args=None))]
    ours, theirs = _both(real_tf, program)
    assert ours == theirs


@pytest.mark.parametrize("value", ["tensor", "int", "list", "none", "dict"])
def test_local_results_and_reduce_of_plain_values(real_tf, value):
    def program(lib):
        strategy = lib.distribute.get_strategy()
        x = {"tensor": lib.constant([1.0, 2.0]), "int": 3, "list": [1, 2], "none": None,
             "dict": {"a": lib.constant(1)}}[value]
        local = strategy.experimental_local_results(x)
        found = [type(local).__name__, len(local), local[0] is x]
        if value != "none":
            for op in ("SUM", "MEAN", lib.distribute.ReduceOp.SUM):
                found.append(strategy.reduce(op, x, axis=None) is x)
        return found
    ours, theirs = _both(real_tf, program)
    assert ours == theirs


def test_reduce_to_and_batch_reduce_to(real_tf):
    def program(lib):
        extended = lib.distribute.get_strategy().extended
        v = lib.Variable(1.0)
        return [extended.reduce_to("SUM", lib.constant(2.0), destinations=v),
                extended.reduce_to(lib.distribute.ReduceOp.MEAN, lib.constant([2, 3]), v),
                extended.batch_reduce_to("SUM", [(lib.constant(2.0), v),
                                                 (lib.constant([1, 2]), "/cpu:0")])]
    ours, theirs = _both(real_tf, program)
    assert_same(ours, theirs)
    errors = [_error(lambda lib=lib: lib.distribute.get_strategy().extended.reduce_to(
        "MAX", 2, destinations=None)) for lib in (tf, real_tf)]
    assert errors[0] == errors[1] and errors[0][0] == "ValueError"


@pytest.mark.parametrize("group", [True, False])
@pytest.mark.parametrize("compiled", [False, True])
def test_extended_update_applies_fn_and_returns_its_result(real_tf, group, compiled):
    def program(lib):
        strategy = lib.distribute.get_strategy()
        v = lib.Variable([1.0, 2.0])
        seen = []

        def fn(var, a, b=None):
            seen.append((lib.distribute.in_cross_replica_context(),
                         type(lib.distribute.get_replica_context()).__name__))
            var.assign_add(a * b)
            return {"double": var * 2.0, "pair": [var + 1.0, 7]}

        def step():
            return strategy.extended.update(v, fn, args=(lib.constant(2.0),),
                                            kwargs={"b": lib.constant([1.0, 3.0])}, group=group)
        out = lib.function(step)() if compiled else step()
        return out, v.read_value(), seen[:1]
    (ours, ours_v, ours_seen), (theirs, theirs_v, theirs_seen) = _both(real_tf, program)
    assert ours_seen == theirs_seen
    assert_same(ours_v, theirs_v)
    assert_same(ours["double"], theirs["double"])
    assert_same(ours["pair"][0], theirs["pair"][0])
    sevens = [ours["pair"][1], theirs["pair"][1]]
    if group:
        assert [int(x) for x in sevens] == [7, 7]
    else:  # each result as a tuple of the local replicas' results
        assert [tuple(int(x) for x in seven) for seven in sevens] == [(7,), (7,)]


def test_extended_update_of_none_and_bad_input(real_tf):
    def program(lib):
        extended = lib.distribute.get_strategy().extended
        v = lib.Variable(1.0)
        return [extended.update(v, lambda var: None), extended.update(v, lambda var: None,
                                                                      group=False),
                extended.update(3.0, lambda a: a),
                _error(lambda: extended.update(v, 3)),
                _error(lambda: extended.update(v, lambda a, b: a, args=3)),
                _error(lambda: extended.update(v, lambda a: a, args=(1,))),
                _error(lambda: extended.update(v, lambda a: a, kwargs={"c": 1}))]
    ours, theirs = _both(real_tf, program)
    assert ours == theirs


def test_colocate_vars_with_and_call_for_each_replica(real_tf):
    def program(lib):
        strategy = lib.distribute.get_strategy()
        v = lib.Variable(1.0)
        with strategy.extended.colocate_vars_with(v) as entered:
            w = lib.Variable(2.0)
            inside = [entered, type(lib.distribute.get_replica_context()).__name__,
                      type(w).__name__ in ("Variable", "ResourceVariable")]
        out = strategy.extended.call_for_each_replica(
            lambda a, b: (a + b, type(lib.distribute.get_replica_context()).__name__,
                          lib.distribute.in_cross_replica_context()), args=(1,),
            kwargs={"b": 2})
        return inside, out
    ours, theirs = _both(real_tf, program)
    assert ours == theirs


def test_maybe_merge_call_in_the_default_replica_context(real_tf):
    def program(lib):
        maybe_merge_call, supports_no_merge_call = programs.interim(lib)
        strategy = lib.distribute.get_strategy()

        def fn(distribution, *args, **kwargs):
            return (distribution is strategy, args, kwargs,
                    type(lib.distribute.get_replica_context()).__name__,
                    lib.distribute.in_cross_replica_context())
        return [supports_no_merge_call(), maybe_merge_call(fn, strategy, 1, 2, k=3),
                lib.function(lambda: maybe_merge_call(fn, strategy, 1)[0])(),
                _error(lambda: maybe_merge_call(3, strategy))]
    ours, theirs = _both(real_tf, program)
    assert ours[0] == theirs[0] is True
    assert ours[1] == theirs[1]
    assert bool(ours[2]) == bool(theirs[2]) is True
    assert ours[3] == theirs[3]


def test_merge_call_of_the_default_replica_context(real_tf):
    def program(lib):
        context = lib.distribute.get_replica_context()

        def fn(strategy, *args, a=1):
            return (strategy is lib.distribute.get_strategy(), args, a,
                    lib.distribute.get_replica_context(),
                    lib.distribute.in_cross_replica_context(), lib.distribute.has_strategy())
        return [context.merge_call(fn, args=(1,)), context.merge_call(fn, kwargs={"a": 4}),
                _error(lambda: context.merge_call(3)),
                _error(lambda: context.merge_call(lambda s, a: a, args=3))]
    ours, theirs = _both(real_tf, program)
    assert ours == theirs


def test_no_merge_call_only_for_the_default_strategy(real_tf):
    """Every other strategy goes through merge_call in TF, also with one replica."""
    def program(lib):
        _, supports_no_merge_call = programs.interim(lib)
        found = []
        for strategy in (lib.distribute.MirroredStrategy(),
                         lib.distribute.OneDeviceStrategy("/cpu:0")):
            with strategy.scope():
                found.append(supports_no_merge_call())
            found.append(strategy.run(supports_no_merge_call))
        return found
    ours, theirs = _both(real_tf, program)
    assert ours == theirs == [False] * 4


def test_mirrored_strategy_calls_on_one_replica(real_tf):
    def program(lib):
        maybe_merge_call, _ = programs.interim(lib)
        strategy = lib.distribute.MirroredStrategy()
        with strategy.scope():
            v = lib.Variable([1.0, 2.0])
            with strategy.extended.colocate_vars_with(v):
                slot = lib.Variable([0.0, 0.0])
            in_scope = strategy.extended.update(v, lambda var, d: var.assign_add(d),
                                                args=(lib.constant([1.0, 1.0]),), group=False)

        def merged(distribution, grad):
            cross = lib.distribute.in_cross_replica_context()
            distribution.extended.update(slot, lambda s, g: s.assign(g * 2.0), args=(grad,))
            return cross

        def step():
            grad = lib.distribute.get_replica_context().all_reduce("SUM", v * 1.0)
            cross = maybe_merge_call(merged, strategy, grad)
            strategy.extended.update(v, lambda var, g: var.assign_sub(g * 0.25), args=(grad,))
            return cross
        cross = lib.function(lambda: strategy.run(step))()
        return [len(in_scope), bool(cross), v.read_value(), slot.read_value(),
                strategy.extended._in_multi_worker_mode(),
                strategy.extended.reduce_to("SUM", lib.constant(2.0), v),
                len(strategy.experimental_local_results(v))]
    ours, theirs = _both(real_tf, program)
    assert ours[:2] == theirs[:2] == [1, True]
    assert_same(ours[2:4], theirs[2:4])
    assert ours[4] == theirs[4] is False
    assert_same(ours[5], theirs[5])
    assert ours[6] == theirs[6] == 1


def test_distributed_datasets_of_the_default_and_mirrored_strategies(real_tf):
    def program(lib):
        elements = np.arange(6, dtype=np.float32)
        dataset = lib.data.Dataset.from_tensor_slices(elements).batch(2)
        default = lib.distribute.get_strategy()
        seen = []

        def dataset_fn(context):
            seen.append(str(context))
            return dataset
        found = [default.experimental_distribute_dataset(dataset) is dataset,
                 default.distribute_datasets_from_function(dataset_fn) is dataset, seen,
                 [b.numpy().tolist() for b in default.experimental_distribute_dataset(dataset)]]
        mirrored = lib.distribute.MirroredStrategy()
        distributed = mirrored.experimental_distribute_dataset(dataset)
        iterator = iter(distributed)
        found += [isinstance(distributed, lib.distribute.DistributedDataset),
                  isinstance(dataset, lib.distribute.DistributedDataset),
                  isinstance(iterator, lib.distribute.DistributedIterator),
                  iterator.get_next().numpy().tolist(), next(iterator).numpy().tolist()]
        return found
    ours, theirs = _both(real_tf, program)
    assert ours == theirs


def test_multi_worker_mode_without_a_cluster(real_tf, monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    found = [lib.distribute.MultiWorkerMirroredStrategy().extended._in_multi_worker_mode()
             for lib in (tf, real_tf)]
    assert found == [False, False]


def test_tpu_strategy_is_not_implemented():
    with pytest.raises(NotImplementedError, match="MirroredStrategy"):
        tf.distribute.TPUStrategy()


@pytest.mark.parametrize("kind", ["default", "mirrored"])
def test_keras_like_training_step_matches_tensorflow(real_tf, kind):
    def make(lib):
        return lib.distribute.get_strategy() if kind == "default" \
            else lib.distribute.MirroredStrategy()
    ours = programs.keras_like_training(tf, make(tf), steps=4)
    theirs = programs.keras_like_training(real_tf, make(real_tf), steps=4)
    for name in ("params", "slots"):
        for x, y in zip(ours[name], theirs[name]):
            np.testing.assert_allclose(np.array(x), np.array(y), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=1e-5, atol=1e-6)
    assert ours["iterations"] == theirs["iterations"] == 4
    assert ours["no_merge_call"] == theirs["no_merge_call"] == [kind == "default"] * 4
    for key in ("end", "iterator_type", "tracing_count"):  # the iterator feeds the function
        assert ours[key] == theirs[key], key
    assert ours["end"] == "OutOfRangeError"


def test_lists_of_traced_tensors_are_packed(real_tf):
    """``reduce_per_replica`` averages ``experimental_local_results`` (a tuple of tensors)
    inside ``tf.function``: TF packs such lists with ``stack``, gradients included."""
    def program(lib):
        @lib.function
        def f(x):
            with lib.GradientTape() as tape:
                tape.watch(x)
                y = lib.reduce_sum([x, x * 3.0])
            return (lib.reduce_mean((x, x * 2.0), axis=0), tape.gradient(y, x),
                    lib.convert_to_tensor([[lib.cast(x, lib.float64), 1.0],
                                           (lib.cast(x, lib.float64), 3)]))
        return f(lib.constant(2.0))
    ours, theirs = _both(real_tf, program)
    assert_same(ours, theirs)
    errors = []
    for lib in (tf, real_tf):  # tf.constant does not pack traced tensors
        with pytest.raises(TypeError) as caught:
            lib.function(lambda x, lib=lib: lib.constant([x, x]))(lib.constant(1.0))
        errors.append(str(caught.value).splitlines()[-1].strip())
    assert errors[0] == errors[1] == ("TypeError: Expected any non-tensor type, but got a "
                                      "tensor instead.")


def test_distributed_iterator_feeds_a_function(real_tf):
    """Each call of a function reading the iterator gets the next batch, as TF's."""
    def program(lib):
        strategy = lib.distribute.MirroredStrategy()
        iterator = iter(strategy.experimental_distribute_dataset(
            lib.data.Dataset.from_tensor_slices(np.arange(4, dtype=np.float32)).batch(1)))
        f = lib.function(lambda it: it.get_next() * 2.0)
        found = [iterator.get_next().numpy().tolist()]
        found += [f(iterator).numpy().tolist() for _ in range(3)]
        found += [_error(lambda: f(iterator))[0], f.experimental_get_tracing_count(),
                  str(iterator.element_spec)]
        optional = iter(strategy.experimental_distribute_dataset(
            lib.data.Dataset.from_tensor_slices(np.arange(1, dtype=np.float32)).batch(1)))
        first, second = optional.get_next_as_optional(), optional.get_next_as_optional()
        found += [bool(first.has_value()), first.get_value().numpy().tolist(),
                  bool(second.has_value())]
        return found
    ours, theirs = _both(real_tf, program)
    assert ours == theirs
