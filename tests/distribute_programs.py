"""Programs for tests/test_distribute.py, written once against the TF API.

They run in subprocesses (several devices must be configured before JAX or TF starts):
``python tests/distribute_programs.py LIB N M`` runs every program with ``LIB`` (``tapejax`` or
``tensorflow``) on ``N`` CPU devices, those compared with TF on ``M`` replicas, and prints one
JSON line of results;
``python tests/distribute_programs.py worker STEPS [CLUSTER]`` is one process of the
multi-worker test (the cluster comes from ``TF_CONFIG`` or the ``CLUSTER`` JSON). The training
program is also imported by the tests and run in-process on one device.
"""
import json
import os
import sys

import numpy as np

GLOBAL_BATCH = 16
STEPS = 50
LR = 0.05
D_IN, HIDDEN, D_OUT = 6, 16, 3
MARK = "RESULTS:"


def init_params(seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((D_IN, HIDDEN)) * 0.4).astype(np.float32),
            np.zeros(HIDDEN, np.float32),
            (rng.standard_normal((HIDDEN, D_OUT)) * 0.4).astype(np.float32),
            np.full(D_OUT, 0.1, np.float32)]


def data(seed=1, batches=4):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batches * GLOBAL_BATCH, D_IN)).astype(np.float32)
    y = np.tanh(x @ rng.standard_normal((D_IN, D_OUT))).astype(np.float32)
    return x, y


def batches(tf, steps=STEPS):
    """The global batches as a tf.data.Dataset (a list of (x, y) arrays without tf.data)."""
    x, y = data()
    n = len(x) // GLOBAL_BATCH
    order = [k % n for k in range(steps)]
    xs = np.concatenate([x[k * GLOBAL_BATCH:(k + 1) * GLOBAL_BATCH] for k in order])
    ys = np.concatenate([y[k * GLOBAL_BATCH:(k + 1) * GLOBAL_BATCH] for k in order])
    if hasattr(tf, "data"):
        return tf.data.Dataset.from_tensor_slices((xs, ys)).batch(GLOBAL_BATCH)
    rows = [slice(k * GLOBAL_BATCH, (k + 1) * GLOBAL_BATCH) for k in range(steps)]
    return [(xs[r], ys[r]) for r in rows]


def train(tf, strategy, steps=STEPS, momentum=False, compiler_ir=False, compiled=True,
          lazy_slots=False):
    """A custom training loop as TF's guide writes it: per-replica loss scaled by the global
    batch, gradients all-reduced, plain SGD (or hand-written momentum) on mirrored Variables."""
    with strategy.scope():
        params = [tf.Variable(p) for p in init_params()]
        slots = [tf.Variable(np.zeros_like(p)) for p in init_params()] \
            if momentum and not lazy_slots else []

    def step_fn(x, y):
        with tf.GradientTape() as tape:
            h = tf.nn.relu(tf.matmul(x, params[0]) + params[1])
            pred = tf.matmul(h, params[2]) + params[3]
            loss = tf.reduce_sum(tf.square(pred - y)) / float(GLOBAL_BATCH * D_OUT)
        grads = tape.gradient(loss, params)
        grads = tf.distribute.get_replica_context().all_reduce("SUM", grads)
        if lazy_slots and not slots:  # created on the first trace, as optimizers build slots
            slots.extend(tf.Variable(tf.zeros_like(p)) for p in params)
        if momentum:
            for p, m, g in zip(params, slots, grads):
                m.assign(0.9 * m + g)
                p.assign_sub(LR * m)
        else:
            for p, g in zip(params, grads):
                p.assign_sub(LR * g)
        return loss

    def train_step(x, y):
        per_replica = strategy.run(step_fn, args=(x, y))
        return strategy.reduce("SUM", per_replica, axis=None)

    if compiled:
        train_step = tf.function(train_step)

    losses = []
    for x, y in strategy.experimental_distribute_dataset(batches(tf, steps)):
        losses.append(float(train_step(x, y)))
    result = {"losses": losses, "params": [p.numpy().tolist() for p in params]}
    if compiled:
        result["tracing_count"] = train_step.experimental_get_tracing_count()
    if compiler_ir:  # the HLO of the compiled step
        hlo = train_step.experimental_get_compiler_ir(x, y)(stage="optimized_hlo")
        result["all_reduce_lines"] = [line.strip() for line in hlo.splitlines()
                                      if "all-reduce" in line and "=" in line]
    return result


def interim(tf):
    """``(maybe_merge_call, strategy_supports_no_merge_call)`` of ``tf.__internal__.distribute``
    (tapejax's module of them where ``tf.__internal__`` is not there)."""
    internal = getattr(getattr(tf, "__internal__", None), "distribute", None)
    if internal is not None:
        return internal.interim.maybe_merge_call, internal.strategy_supports_no_merge_call
    from tapejax.distribute import merge_call_interim
    return merge_call_interim.maybe_merge_call, merge_call_interim.strategy_supports_no_merge_call


def keras_like_training(tf, strategy, steps=6):
    """Keras 3's TF-backend step, written with the calls it makes: ``strategy.run``, the
    loss scaled by the replicas, gradients all-reduced in the replica context,
    ``maybe_merge_call`` into ``extended.update(var, fn, args, group=False)`` (momentum slots
    made under ``colocate_vars_with``), an ``ONLY_FIRST_REPLICA`` step counter, and the
    results averaged over ``experimental_local_results`` as ``reduce_per_replica`` does."""
    maybe_merge_call, supports_no_merge_call = interim(tf)
    with strategy.scope():
        params = [tf.Variable(p) for p in init_params()]
        slots = []
        for p in params:
            with strategy.extended.colocate_vars_with(p):
                slots.append(tf.Variable(tf.zeros_like(p)))
        learning_rate = tf.Variable(LR)
        iterations = tf.Variable(0, dtype=tf.int64,
                                 aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)

    def distributed_update(distribution, grads_and_vars, lr):
        for (grad, var), slot in zip(grads_and_vars, slots):
            def apply(v, g, rate, slot=slot):
                slot.assign(0.9 * slot + g)
                return v.assign_sub(rate * slot)
            distribution.extended.update(var, apply, args=(grad, lr), group=False)

    def step_fn(x, y):
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        with tf.GradientTape() as tape:
            h = tf.nn.relu(tf.matmul(x, params[0]) + params[1])
            pred = tf.matmul(h, params[2]) + params[3]
            loss = tf.reduce_mean(tf.square(pred - y))
            scaled = loss * (1.0 / replicas)
        grads = tape.gradient(scaled, params)
        context = tf.distribute.get_replica_context()
        if context:
            grads = context.all_reduce(tf.distribute.ReduceOp.SUM, grads)
        maybe_merge_call(distributed_update, strategy, list(zip(grads, params)),
                         tf.identity(learning_rate))
        iterations.assign_add(1)
        return {"loss": loss, "no_merge_call": tf.constant(supports_no_merge_call())}

    @tf.function
    def train_step(iterator):  # Keras's multi_step_on_iterator, steps_per_execution=1
        x, y = iterator.get_next()
        outputs = strategy.run(step_fn, args=(x, y))
        if isinstance(outputs["loss"], tf.distribute.DistributedValues):  # "mean" and "first"
            return {"loss": tf.reduce_mean(strategy.experimental_local_results(
                        outputs["loss"]), axis=0),
                    "no_merge_call": strategy.experimental_local_results(
                        outputs["no_merge_call"])[0]}
        return outputs

    losses, merge = [], []
    iterator = iter(strategy.experimental_distribute_dataset(batches(tf, steps)))
    for _ in range(steps):
        out = train_step(iterator)
        losses.append(float(out["loss"]))
        merge.append(bool(out["no_merge_call"]))
    result = {"losses": losses, "params": [p.numpy().tolist() for p in params],
              "slots": [s.numpy().tolist() for s in slots],
              "iterations": int(iterations.numpy()), "no_merge_call": merge,
              "iterator_type": [isinstance(iterator, tf.distribute.DistributedIterator),
                                isinstance(iterator, tf.data.Iterator)],
              "tracing_count": train_step.experimental_get_tracing_count()}
    end = _error(lambda: train_step(iterator))  # (TF's failed call still counts a step)
    result["end"] = end[0] if end else None
    return result


def merge_call_semantics(tf, strategy):
    """``merge_call``/``extended`` calls inside ``strategy.run`` on several replicas."""
    out = {}
    local = strategy.experimental_local_results
    _, supports_no_merge_call = interim(tf)
    with strategy.scope():
        v = tf.Variable(1.0)
        out["no_merge_call_in_scope"] = supports_no_merge_call()
        updated = strategy.extended.update(v, lambda w: w.assign(2.0), group=False)
        out["update_in_scope"] = [len(updated), float(v.numpy())]
        ones = strategy.experimental_distribute_values_from_function(lambda ctx: tf.constant(1.0))
        strategy.extended.update(v, lambda w, d: w.assign_add(d), args=(ones,))
        out["update_per_replica_args"] = float(v.numpy())

    def merge_fn(st, a, rate, var, k=None):
        parts = st.experimental_local_results(a)
        times10 = st.extended.call_for_each_replica(lambda x: x * 10.0, args=(a,))
        updated = st.extended.update(var, lambda w, r: w.assign_add(r), args=(rate,),
                                     group=False)
        return (st.reduce("SUM", a, axis=None), a, times10, tf.constant(k),
                tf.constant(len(parts)), tf.stack(parts),
                tf.constant(tf.distribute.in_cross_replica_context()),
                tf.constant(isinstance(a, tf.distribute.DistributedValues)),
                tf.constant(len(updated)))

    def step():
        context = tf.distribute.get_replica_context()
        g = tf.cast(context.replica_id_in_sync_group, tf.float32) + 1.0
        merged = context.merge_call(merge_fn, args=(g, tf.constant(0.5), v), kwargs={"k": 3})
        strategy.extended.update(v, lambda w, d: w.assign_add(d),
                                 args=(context.all_reduce("SUM", g),))
        return merged + (tf.constant(supports_no_merge_call()),)

    results = tf.function(lambda: strategy.run(step))()
    names = ["sum", "own", "times10", "kwarg", "parts", "stacked", "cross_replica",
             "distributed", "update_len", "no_merge_call"]
    for name, value in zip(names, results):
        out[f"merge_{name}"] = _value(local(value))
    out["merge_result_distributed"] = isinstance(results[1], tf.distribute.DistributedValues)
    out["merge_variable"] = _value(v)
    return out


def _value(x):
    """A tensor (or tuple of tensors) as JSON: (value, dtype name)."""
    if isinstance(x, (tuple, list)):
        return [_value(v) for v in x]
    return [np.asarray(x.numpy() if hasattr(x, "numpy") else x).tolist(),
            getattr(getattr(x, "dtype", None), "name", type(x).__name__)]


def _error(f):
    try:
        f()
    except Exception as e:  # the class and message are the result
        return [type(e).__name__, str(e)]
    return None


def semantics(tf, strategy):
    """Reductions, collectives, aggregation and input splitting, as values to compare."""
    out = {}
    local = strategy.experimental_local_results

    def rid():
        return tf.distribute.get_replica_context().replica_id_in_sync_group

    def per_replica_values():
        i = tf.cast(rid(), tf.float32)
        return (tf.reshape(tf.range(6, dtype=tf.float32), [2, 3]) * (i + 1.0),
                tf.cast(rid(), tf.int32) + 1)

    floats, ints = tf.function(lambda: strategy.run(per_replica_values))()
    out["local_results"] = _value(local(floats))
    out["repr_per_replica"] = repr(floats)
    out["str_per_replica"] = str(ints)
    out["eager_run"] = _value(local(strategy.run(per_replica_values)[0]))
    # gathers first: TF's eager collectives mix up their instance keys after reductions
    gather = tf.function(lambda v, axis: strategy.gather(v, axis=axis))
    out["gather_0"] = _value(gather(floats, 0))
    out["gather_1"] = _value(gather(floats, 1))
    for op in ("SUM", "MEAN"):
        for axis in (None, 0, (0, 1), -1):
            out[f"reduce_{op}_{axis}"] = _value(strategy.reduce(op, floats, axis=axis))
        out[f"reduce_int_{op}"] = _value(strategy.reduce(op, ints, axis=None))
    out["reduce_lowercase"] = _value(strategy.reduce("sum", ints, axis=None))
    out["reduce_structure"] = _value(strategy.reduce(  # Keras's _maybe_symbolic_build
        "MEAN", (floats, ints), axis=None))
    plain = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    out["reduce_plain_MEAN"] = _value(strategy.reduce("MEAN", plain, axis=None))
    out["reduce_plain_SUM_0"] = _value(strategy.reduce("SUM", plain, axis=0))
    out["reduce_plain_MEAN_0"] = _value(strategy.reduce("MEAN", plain, axis=0))
    out["reduce_plain_SUM_error"] = _error(lambda: strategy.reduce("SUM", plain, axis=None))
    out["reduce_MAX_error"] = _error(lambda: strategy.reduce("MAX", floats, axis=None))
    out["reduce_axis_error"] = _error(lambda: strategy.reduce("SUM", floats, axis=5))
    out["gather_plain"] = _value(strategy.gather(plain, axis=0))

    def collectives():
        ctx = tf.distribute.get_replica_context()
        i = tf.cast(rid(), tf.int32)
        x = tf.cast(i, tf.float32) + 1.0
        return (ctx.all_reduce("sum", i + 1), ctx.all_reduce(tf.distribute.ReduceOp.MEAN, i + 1),
                ctx.all_reduce("MEAN", x), ctx.all_reduce("SUM", [x, {"k": x * 2.0}])[1]["k"],
                ctx.all_gather(tf.reshape(x, [1, 1]) * tf.ones([1, 2]), axis=0),
                ctx.all_gather(tf.reshape(x, [1, 1]) * tf.ones([1, 2]), axis=1),
                ctx.num_replicas_in_sync)

    results = tf.function(lambda: strategy.run(collectives))()
    for name, value in zip(["sum_int", "mean_int", "mean_float", "sum_nested", "gather0",
                            "gather1"], results):
        out[f"all_reduce_{name}"] = _value(local(value))
    out["num_replicas_in_replica"] = int(results[-1])

    def gradients(x):
        ctx = tf.distribute.get_replica_context()
        with tf.GradientTape() as tape:
            tape.watch(x)
            total = ctx.all_reduce("SUM", x * x)
            gathered = ctx.all_gather(tf.reshape(x * x, [1]), axis=0)
            positions = tf.cast(tf.range(strategy.num_replicas_in_sync), tf.float32)
            loss = total * x + tf.reduce_sum(gathered * positions) * x
        return tape.gradient(loss, x)

    with strategy.scope():
        table = tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])

    def sparse_gradients():  # IndexedSlices: all_reduce gathers every replica's slices
        ctx = tf.distribute.get_replica_context()
        with tf.GradientTape() as tape:
            rows = tf.gather(table, tf.stack([rid() % 3, 2]))
            loss = tf.reduce_sum(rows * (tf.cast(rid(), tf.float32) + 1.0))
        grad = tape.gradient(loss, table)
        out = []
        for op in ("SUM", "MEAN"):
            reduced = ctx.all_reduce(op, grad)
            out += [reduced.values, reduced.indices, reduced.dense_shape]
        return out

    for name, value in zip(["values_sum", "indices_sum", "shape_sum", "values_mean",
                            "indices_mean", "shape_mean"],
                           tf.function(lambda: strategy.run(sparse_gradients))()):
        out[f"sparse_all_reduce_{name}"] = _value(local(value))

    xs = strategy.experimental_distribute_values_from_function(
        lambda ctx: tf.constant(float(ctx.replica_id_in_sync_group) + 1.0))
    out["values_from_function"] = _value(local(xs))
    out["collective_gradients"] = _value(local(
        tf.function(lambda x: strategy.run(gradients, args=(x,)))(xs)))

    with strategy.scope():
        w = tf.Variable([1.0, 2.0])
    out["repr_mirrored"] = repr(w)

    def assign_under_tape():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(w * w)
            w.assign(w * 2.0 + tape.gradient(loss, w) * 0.0)
        return w.read_value()

    out["assign_under_tape"] = _value(local(tf.function(
        lambda: strategy.run(assign_under_tape))()))
    out["assign_under_tape_variable"] = _value(w)
    w.assign([5.0, 6.0])
    out["assign_cross_replica"] = _value(local(strategy.run(lambda: w.read_value())))

    for aggregation in ("NONE", "SUM", "MEAN", "ONLY_FIRST_REPLICA"):
        with strategy.scope():
            v = tf.Variable(1.0, aggregation=getattr(tf.VariableAggregation, aggregation))

        def add():
            v.assign_add(tf.cast(rid(), tf.float32) + 1.0)

        def assign():
            v.assign(tf.cast(rid(), tf.float32) * 2.0 + 3.0)

        tf.function(lambda: strategy.run(add))()
        out[f"aggregation_{aggregation}_add"] = float(v.numpy())
        tf.function(lambda: strategy.run(assign))()
        out[f"aggregation_{aggregation}_assign"] = float(v.numpy())

    elements = np.arange(4 * strategy.num_replicas_in_sync, dtype=np.float32)
    half = len(elements) // 2
    if hasattr(tf, "data"):
        dataset = tf.data.Dataset.from_tensor_slices(elements).batch(half)
    else:
        dataset = [elements[:half], elements[half:]]
    out["dataset_split"] = [_value(local(b)) for b in
                            strategy.experimental_distribute_dataset(dataset)]

    def dataset_fn(context):
        out["input_context"] = [context.num_input_pipelines, context.input_pipeline_id,
                                context.num_replicas_in_sync,
                                context.get_per_replica_batch_size(len(elements))]
        if hasattr(tf, "data"):
            return tf.data.Dataset.from_tensor_slices(elements).batch(2)
        return [elements[k:k + 2] for k in range(0, len(elements), 2)]

    out["datasets_from_function"] = [_value(local(b)) for b in
                                     strategy.distribute_datasets_from_function(dataset_fn)]
    out.update(merge_call_semantics(tf, strategy))
    out["run_args_error"] = _error(lambda: strategy.run(lambda x: x, args=tf.constant(1.0)))
    out["nested_run_error"] = _error(
        lambda: strategy.run(lambda: strategy.run(lambda: tf.constant(1.0))))
    return out


def internals(tf, strategy):
    """tapejax only: where values live, what is compiled, and tapejax's own errors."""
    from jax.sharding import PartitionSpec
    n = strategy.num_replicas_in_sync
    out = {}
    with strategy.scope():
        v = tf.Variable(np.ones(3, np.float32))
    sharding = v._stored._value.sharding
    out["variable_replicated"] = [sharding.is_fully_replicated, len(sharding.device_set)]
    v.assign(np.zeros(3, np.float32))
    sharding = v._stored._value.sharding
    out["assigned_replicated"] = [sharding.is_fully_replicated, len(sharding.device_set)]
    (x, _), = strategy.experimental_distribute_dataset([next(iter(batches(tf, 1)))])
    out["batch_spec"] = [str(x._stacked._value.sharding.spec),
                         x._stacked._value.sharding.spec == PartitionSpec("replica")]

    def double(t):
        return t * 2.0
    for _ in range(3):
        strategy.run(double, args=(x,))
    out["eager_run_traces"] = strategy._compiled(double).experimental_get_tracing_count()
    out["kwargs_and_replicated_args"] = _value(strategy.experimental_local_results(
        strategy.run(lambda a, b=None: a[0] * b, args=(x,), kwargs={"b": tf.constant(3.0)})))
    out["expected_kwargs_and_replicated_args"] = _value(tuple(
        t[0] * 3.0 for t in strategy.experimental_local_results(x)))
    features = {"ids": np.arange(2 * n, dtype=np.int64), "w": np.ones((2 * n, 2), np.float64)}
    batch = next(iter(strategy.experimental_distribute_dataset([features])))
    out["dict_batch"] = {k: [type(b).__name__, b.dtype.name, list(b.shape)]
                         for k, b in batch.items()}
    out["uneven_error"] = _error(lambda: next(iter(strategy.experimental_distribute_dataset(
        [np.zeros(n + 1, np.float32)]))))
    out["unequal_error"] = _error(lambda: strategy.experimental_distribute_values_from_function(
        lambda ctx: tf.zeros([ctx.replica_id_in_sync_group + 1])))
    other = tf.distribute.MirroredStrategy([f"/cpu:{i}" for i in range(n)])
    out["other_strategy_error"] = _error(lambda: other.run(double, args=(x,)))
    return out


def _configure(lib, n):
    if lib == "tensorflow":
        import tensorflow as tf
        cpus = tf.config.list_physical_devices("CPU")
        tf.config.set_logical_device_configuration(
            cpus[0], [tf.config.LogicalDeviceConfiguration()] * n)
        return tf
    import tapejax
    return tapejax


def main(lib, n, compared):
    """Every program with ``lib`` on ``n`` devices; those compared with TF on ``compared``."""
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                               f" --xla_force_host_platform_device_count={n}")
    tf = _configure(lib, n)
    results = {}
    devices = [f"/cpu:{i}" for i in range(n)]
    # one strategy object for all programs compared with TF: TF's eager collectives of two
    # MirroredStrategy objects over the same devices collide on their instance keys
    strategy = tf.distribute.MirroredStrategy(devices[:compared])
    if lib == "tapejax":
        results["train_default"] = train(tf, tf.distribute.get_strategy())
        for k in (1, 2, 4, 8):
            if k <= n and k != compared:
                results[f"train_{k}"] = train(tf, tf.distribute.MirroredStrategy(devices[:k]),
                                              compiler_ir=k == n)
    results[f"train_{compared}"] = train(tf, strategy)
    results[f"momentum_{compared}"] = train(tf, strategy, momentum=True)
    results[f"eager_{compared}"] = train(tf, strategy, steps=3, compiled=False)
    results["semantics"] = semantics(tf, strategy)
    results[f"keras_like_{compared}"] = keras_like_training(tf, strategy)
    if lib == "tapejax":
        results[f"lazy_slots_{compared}"] = train(tf, strategy, momentum=True, lazy_slots=True)
        results["internals"] = internals(tf, tf.distribute.MirroredStrategy(devices))
    print(MARK + json.dumps(results))


def worker(steps, cluster=None):
    """One process of the multi-worker test: trains under MultiWorkerMirroredStrategy, with the
    cluster from TF_CONFIG, or given as ``{"cluster": ..., "task": ...}`` to a resolver."""
    import tapejax as tf
    resolver = None
    if cluster is not None:
        config = json.loads(cluster)
        resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(
            tf.distribute.cluster_resolver.ClusterSpec(config["cluster"]),
            task_type=config["task"]["type"], task_id=config["task"]["index"])
    strategy = tf.distribute.MultiWorkerMirroredStrategy(cluster_resolver=resolver)
    result = train(tf, strategy, steps=steps)
    result["replicas"] = strategy.num_replicas_in_sync
    result["worker_devices"] = list(strategy.extended.worker_devices)
    print(MARK + json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    if sys.argv[1] == "worker":
        worker(int(sys.argv[2]), *sys.argv[3:])
    else:
        main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
