"""The TF guides' saving programs (``guide/checkpoint``, ``guide/saved_model``, the saving
sections of ``guide/intro_to_modules`` and ``guide/basics``), written anew in their spirit and run
on real TF 2.21 and on tapejax: every printed value, variable list, object-matching status and
error must be the same. The Keras parts of the guides are left to the Keras tests; models here
are ``tf.Module``s.

A program is ``program(tf, directory, log)``: it saves under ``directory`` and records what the
guide prints with ``log(...)``. The two logs (paths made relative) must be equal.
"""
import contextlib
import io
import os

import numpy as np
import pytest

import tapejax

KERNEL = np.array([[0.5, -1.0, 2.0, 0.25, -0.75]], np.float32)
W1 = np.array([[0.5, -1.0, 0.25], [1.5, 0.75, -0.5], [-0.25, 1.0, 0.5]], np.float32)
W2 = np.array([[1.0, -0.5], [0.25, 0.75], [-1.0, 0.5]], np.float32)


class Log:
    """What a guide program prints, in a form both libraries can be compared on."""

    def __init__(self, directory):
        self.directory, self.lines = str(directory), []

    def __call__(self, *items):
        self.lines.append(tuple(self.plain(x) for x in items))

    def plain(self, x):
        if isinstance(x, str):
            return x.replace(self.directory, "<dir>")
        if isinstance(x, BaseException):
            return ("raised", type(x).__name__, self.plain(str(x).split("\n")[0]))
        if isinstance(x, dict):
            return {self.plain(k): self.plain(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return type(x).__name__, [self.plain(v) for v in x]
        if type(x).__name__ == "TensorSpec":
            return ("spec", repr(x))
        if hasattr(x, "numpy") and hasattr(x, "dtype"):
            value = np.asarray(x.numpy())
            return ("tensor", x.dtype.name, value.shape, np.round(value, 4).tolist())
        if isinstance(x, np.ndarray):
            return ("array", x.dtype.name, x.shape, np.round(x, 4).tolist())
        if isinstance(x, (np.generic,)):
            return x.item()
        return x

    def raised(self, fn):
        """Logs the exception ``fn()`` raises (class, first line), or that it raised none."""
        try:
            fn()
        except Exception as error:
            self(error)
        else:
            self("no error")


def run_both(real_tf, program, tmp_path):
    logs = []
    for lib in (real_tf, tapejax):
        directory = tmp_path / lib.__name__
        directory.mkdir()
        log = Log(directory)
        cwd = os.getcwd()
        os.chdir(directory)
        try:
            program(lib, str(directory), log)
        finally:
            os.chdir(cwd)
        logs.append(log.lines)
    theirs, ours = logs
    for k, (a, b) in enumerate(zip(ours, theirs)):
        assert a == b, f"line {k}: tapejax {a!r} != TF {b!r}"
    assert len(ours) == len(theirs), (ours[len(theirs):], theirs[len(ours):])
    return ours


# --- guide/checkpoint --------------------------------------------------------------------------

def _net(tf):
    class Dense(tf.Module):
        def __init__(self):
            super().__init__()
            self.kernel = tf.Variable(KERNEL, name="kernel")
            self.bias = tf.Variable(tf.zeros([5]), name="bias")

        def __call__(self, x):
            return tf.matmul(x, self.kernel) + self.bias

    class Net(tf.Module):
        def __init__(self):
            super().__init__()
            self.l1 = Dense()

        def __call__(self, x):
            return self.l1(x)
    return Net()


def _toy_batches(tf):
    inputs = tf.range(10.)[:, None]
    labels = inputs * 5. + tf.range(5.)[None, :]
    return [(inputs[i:i + 2], labels[i:i + 2]) for i in range(0, 10, 2)]


def _train_step(tf, net, x, y, learning_rate=0.1):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.abs(net(x) - y))
    variables = net.trainable_variables
    for v, g in zip(variables, tape.gradient(loss, variables)):
        v.assign_sub(learning_rate * g)
    return loss


def _train_and_checkpoint(tf, net, manager, ckpt, log, steps=50):
    ckpt.restore(manager.latest_checkpoint)
    if manager.latest_checkpoint:
        log("Restored from", manager.latest_checkpoint)
    else:
        log("Initializing from scratch.")
    batches = _toy_batches(tf)
    for _ in range(steps):
        x, y = batches[int(ckpt.step) % len(batches)]
        loss = _train_step(tf, net, x, y)
        ckpt.step.assign_add(1)
        if int(ckpt.step) % 10 == 0:
            path = manager.save()
            log(f"Saved checkpoint for step {int(ckpt.step)}: {path}")
            log("loss {:1.2f}".format(loss.numpy()))


def checkpoint_guide_training(tf, d, log):
    net = _net(tf)
    ckpt = tf.train.Checkpoint(step=tf.Variable(1), net=net)
    manager = tf.train.CheckpointManager(ckpt, os.path.join(d, "tf_ckpts"), max_to_keep=3)
    _train_and_checkpoint(tf, net, manager, ckpt, log)
    # A fresh program picks up where the last one stopped.
    net = _net(tf)
    ckpt = tf.train.Checkpoint(step=tf.Variable(1), net=net)
    manager = tf.train.CheckpointManager(ckpt, os.path.join(d, "tf_ckpts"), max_to_keep=3)
    _train_and_checkpoint(tf, net, manager, ckpt, log)
    log(manager.checkpoints)
    log(sorted(os.listdir(os.path.join(d, "tf_ckpts"))))
    log(tf.train.latest_checkpoint(os.path.join(d, "tf_ckpts")))
    log(net.l1.kernel, net.l1.bias, ckpt.step, ckpt.save_counter)


def checkpoint_guide_loading_mechanics(tf, d, log):
    net = _net(tf)
    ckpt = tf.train.Checkpoint(step=tf.Variable(1), net=net)
    manager = tf.train.CheckpointManager(ckpt, os.path.join(d, "tf_ckpts"), max_to_keep=3)
    _train_and_checkpoint(tf, net, manager, ckpt, lambda *a: None, steps=20)
    latest = tf.train.latest_checkpoint(os.path.join(d, "tf_ckpts"))

    # Rebuild only the path to the bias.
    to_restore = tf.Variable(tf.zeros([5]))
    log(to_restore)
    fake_layer = tf.train.Checkpoint(bias=to_restore)
    fake_net = tf.train.Checkpoint(l1=fake_layer)
    new_root = tf.train.Checkpoint(net=fake_net)
    status = new_root.restore(latest)
    log(to_restore, net.l1.bias)
    log.raised(status.assert_existing_objects_matched)
    log.raised(status.assert_consumed)
    log.raised(status.assert_nontrivial_match)
    # Delayed restoration: a Variable set later is restored when it is attached.
    delayed_restore = tf.Variable(tf.zeros([1, 5]))
    log(delayed_restore)
    fake_layer.kernel = delayed_restore
    log(delayed_restore, net.l1.kernel)
    log.raised(status.assert_existing_objects_matched)
    log.raised(status.assert_consumed)
    status.expect_partial()


def checkpoint_guide_manual_inspection(tf, d, log):
    net = _net(tf)
    ckpt = tf.train.Checkpoint(step=tf.Variable(1), net=net)
    manager = tf.train.CheckpointManager(ckpt, os.path.join(d, "tf_ckpts"), max_to_keep=3)
    _train_and_checkpoint(tf, net, manager, ckpt, lambda *a: None, steps=10)
    reader = tf.train.load_checkpoint(os.path.join(d, "tf_ckpts"))
    shape_from_key = reader.get_variable_to_shape_map()
    dtype_from_key = reader.get_variable_to_dtype_map()
    log(sorted(shape_from_key.keys()))
    key = "net/l1/kernel/.ATTRIBUTES/VARIABLE_VALUE"
    log("Shape:", shape_from_key[key])
    log("Dtype:", dtype_from_key[key].name)
    log(reader.get_tensor(key))
    log(reader.has_tensor(key), reader.has_tensor("net/l2"))
    log.raised(lambda: reader.get_tensor("net/l2"))
    log(tf.train.list_variables(os.path.join(d, "tf_ckpts")))
    log(tf.train.load_variable(os.path.join(d, "tf_ckpts"), key))


def checkpoint_guide_list_and_dict(tf, d, log):
    save = tf.train.Checkpoint()
    save.listed = [tf.Variable(1.)]
    save.listed.append(tf.Variable(2.))
    save.mapped = {"one": save.listed[0]}
    save.mapped["two"] = save.listed[1]
    save_path = save.save(os.path.join(d, "tf_list_example"))
    log(save_path)
    log(tf.train.list_variables(save_path))

    restore = tf.train.Checkpoint()
    v2 = tf.Variable(0.)
    log(v2)
    restore.mapped = {"two": v2}
    status = restore.restore(save_path)
    log(v2)
    # An empty list restores its elements as they are appended.
    restore.listed = []
    log(repr(restore.listed))
    v1 = tf.Variable(0.)
    restore.listed.append(v1)
    log(v1)
    log.raised(status.assert_existing_objects_matched)
    log.raised(status.assert_consumed)

    # Containers inside containers are wrapped too, with non-trackable values left out.
    nested = tf.train.Checkpoint(v=tf.Variable(1.))
    nested.names = ["a", 1]
    nested.inner = {"k": [tf.Variable(2.)], "s": "x"}
    path = nested.write(os.path.join(d, "nested"))
    log(tf.train.list_variables(path))
    again = tf.train.Checkpoint(v=tf.Variable(0.))
    status = again.read(path)
    again.inner = {"k": []}
    w = tf.Variable(0.)
    again.inner["k"].append(w)
    log(w, repr(again.inner), repr(again.names) if hasattr(again, "names") else "no names")
    log.raised(status.assert_consumed)


# --- guide/intro_to_modules: saving weights and functions --------------------------------------

def _sequential(tf, traced):
    class Dense(tf.Module):
        def __init__(self, w, name=None):
            super().__init__(name=name)
            self.w = tf.Variable(w, name="w")
            self.b = tf.Variable(tf.zeros([w.shape[1]]), name="b")

        def __call__(self, x):
            return tf.nn.relu(tf.matmul(x, self.w) + self.b)

    class MySequentialModule(tf.Module):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.dense_1 = Dense(W1)
            self.dense_2 = Dense(W2)

        def __call__(self, x):
            return self.dense_2(self.dense_1(x))
    if traced:
        MySequentialModule.__call__ = tf.function(MySequentialModule.__call__)
    return MySequentialModule(name="the_model")


def intro_to_modules_checkpoint(tf, d, log):
    my_model = _sequential(tf, traced=False)
    log(my_model([[2.0, 2.0, 2.0]]))
    log([v.name for v in my_model.trainable_variables])
    chkp_path = os.path.join(d, "my_checkpoint")
    checkpoint = tf.train.Checkpoint(model=my_model)
    log(checkpoint.write(chkp_path))
    log(sorted(os.listdir(d)))
    log(tf.train.list_variables(chkp_path))

    new_model = _sequential(tf, traced=False)
    for v in new_model.variables:
        v.assign(tf.zeros_like(v))
    new_checkpoint = tf.train.Checkpoint(model=new_model)
    status = new_checkpoint.restore(chkp_path)
    log(new_model([[2.0, 2.0, 2.0]]))
    log.raised(status.assert_consumed)


def intro_to_modules_saved_model(tf, d, log):
    my_model = _sequential(tf, traced=True)
    log(my_model([[2.0, 2.0, 2.0]]))
    log(my_model([[[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]]]))
    tf.saved_model.save(my_model, os.path.join(d, "the_saved_model"))
    log(sorted(os.listdir(os.path.join(d, "the_saved_model", "variables"))))
    new_model = tf.saved_model.load(os.path.join(d, "the_saved_model"))
    log(isinstance(new_model, type(my_model)))
    log(new_model([[2.0, 2.0, 2.0]]))
    log(new_model([[[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]]]))
    log(hasattr(new_model, "variables"), hasattr(new_model, "dense_1"))
    log(new_model.dense_1.w, new_model.dense_2.b)
    # A shape never traced before saving has no function to run.
    log.raised(lambda: new_model([[2.0, 2.0]]))
    log.raised(lambda: new_model(tf.constant([[[[2.0, 2.0, 2.0]]]])))


# --- guide/basics: modules, saving, reloading --------------------------------------------------

def basics_saved_model(tf, d, log):
    class MyModule(tf.Module):
        def __init__(self, value):
            self.weight = tf.Variable(value)

        @tf.function
        def multiply(self, x):
            return x * self.weight

    mod = MyModule(3)
    log(mod.multiply(tf.constant([1, 2, 3])))
    save_path = os.path.join(d, "saved")
    tf.saved_model.save(mod, save_path)
    # The top of the directory differs by design (tapejax's JSON index and StableHLO files
    # beside TF's protos); the variables are a TF checkpoint in both.
    log(sorted(os.listdir(os.path.join(save_path, "variables"))))
    reloaded = tf.saved_model.load(save_path)
    log(reloaded.multiply(tf.constant([1, 2, 3])))
    log(reloaded.weight)
    log.raised(lambda: reloaded.multiply(tf.constant([1.0, 2.0, 3.0])))


# --- guide/saved_model: a custom model --------------------------------------------------------

def _custom_module(tf, printed):
    class CustomModule(tf.Module):
        def __init__(self):
            super().__init__()
            self.v = tf.Variable(1.)

        @tf.function
        def __call__(self, x):
            printed.append(("Tracing with", x.dtype.name, tuple(x.shape.as_list())
                            if x.shape.rank is not None else None))
            return x * self.v

        @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
        def mutate(self, new_v):
            self.v.assign(new_v)
    return CustomModule()


def saved_model_guide_custom_module(tf, d, log):
    printed = []
    module = _custom_module(tf, printed)
    log(module(tf.constant(0.)))
    log(printed)
    path = os.path.join(d, "module_no_signatures")
    tf.saved_model.save(module, path)
    log(len(printed))  # saving traces the Python function again, as TF's does
    imported = tf.saved_model.load(path)
    log(imported(tf.constant(3.)))
    imported.mutate(tf.constant(2.))
    log(imported(tf.constant(3.)))
    log(imported.v, imported.v.trainable)
    log(list(imported.signatures.keys()))
    log.raised(lambda: imported(tf.constant([3.])))

    # Fine-tuning the loaded object.
    def train_step():
        with tf.GradientTape() as tape:
            loss = (10. - imported(tf.constant(2.))) ** 2
        variables = tape.watched_variables()
        grads = tape.gradient(loss, variables)
        for g, v in zip(grads, variables):
            v.assign_sub(0.05 * g)
        return loss
    for _ in range(10):
        loss = train_step()
        log("loss={:.2f} v={:.2f}".format(loss.numpy(), imported.v.numpy()))


def saved_model_guide_signatures(tf, d, log):
    printed = []
    module = _custom_module(tf, printed)
    call = module.__call__.get_concrete_function(tf.TensorSpec(None, tf.float32))
    path = os.path.join(d, "module_with_signature")
    tf.saved_model.save(module, path, signatures=call)
    imported = tf.saved_model.load(path)
    log(list(imported.signatures.keys()))
    serving = imported.signatures["serving_default"]
    log(serving.structured_outputs)
    log(serving(x=tf.constant([1., 2.])))
    log(imported(tf.constant([[1., 2.]])))

    path = os.path.join(d, "module_with_multiple_signatures")
    signatures = {"serving_default": call,
                  "array_input": module.__call__.get_concrete_function(
                      tf.TensorSpec([None], tf.float32))}
    tf.saved_model.save(module, path, signatures=signatures)
    imported = tf.saved_model.load(path)
    log(sorted(imported.signatures.keys()))
    log(imported.signatures["array_input"](x=tf.constant([3., 4.])))

    class CustomModuleWithOutputName(tf.Module):
        def __init__(self):
            super().__init__()
            self.v = tf.Variable(1.)

        @tf.function(input_signature=[tf.TensorSpec(None, tf.float32)])
        def __call__(self, x):
            return {"custom_output_name": x * self.v}

    module_output = CustomModuleWithOutputName()
    call_output = module_output.__call__.get_concrete_function(tf.TensorSpec(None, tf.float32))
    path = os.path.join(d, "module_with_output_name")
    tf.saved_model.save(module_output, path, signatures={"serving_default": call_output})
    imported = tf.saved_model.load(path)
    log(imported.signatures["serving_default"].structured_outputs)
    log(imported.signatures["serving_default"](x=tf.constant(5.)))


def saved_model_guide_calling_signatures(tf, d, log):
    """Signatures take keyword tensors (one positional for a one-input signature); binding
    errors and a wrong dtype fail as in TF."""
    class Two(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([], tf.float32, name="b"),
                                      tf.TensorSpec([2], tf.int32)])
        def f(self, a, x):
            return {"s": a * 2., "t": x + 1}

    tf.saved_model.save(Two(), os.path.join(d, "two"))
    two = tf.saved_model.load(os.path.join(d, "two")).signatures["serving_default"]
    log(two.structured_input_signature)
    b, x = tf.constant(1.), tf.constant([1, 2])
    log(two(b=b, x=x))
    log(two(x=x, b=b))
    log(two(b=1.0, x=[1, 2]))
    for call in (lambda: two(b, x), lambda: two(b), lambda: two(b, b=b),
                 lambda: two(b=b, x=x, z=b), lambda: two(b=b),
                 lambda: two(b=b, x=tf.constant([1., 2.]))):
        try:
            call()
            log("no error")
        except Exception as error:
            log(type(error).__name__, str(error).split("`")[1] if "`" in str(error) else
                str(error).split(" as ")[-1].split(" [Op:")[0])

    module = _custom_module(tf, [])
    call = module.__call__.get_concrete_function(tf.TensorSpec(None, tf.float32))
    tf.saved_model.save(module, os.path.join(d, "one"), signatures=call)
    one = tf.saved_model.load(os.path.join(d, "one")).signatures["serving_default"]
    log(one(tf.constant([1., 2.])))
    log(one(x=tf.constant(4.)))


def saved_model_guide_control_flow(tf, d, log):
    @tf.function(input_signature=[tf.TensorSpec([], tf.int32)])
    def control_flow(x):
        if x < 0:
            return tf.constant(-1)
        return x % 3

    to_export = tf.Module()
    to_export.control_flow = control_flow
    tf.saved_model.save(to_export, os.path.join(d, "control_flow"))
    imported = tf.saved_model.load(os.path.join(d, "control_flow"))
    log(imported.control_flow(tf.constant(-1)))
    log(imported.control_flow(tf.constant(2)))
    log(imported.control_flow(tf.constant(3)))


PROGRAMS = [checkpoint_guide_training, checkpoint_guide_loading_mechanics,
            checkpoint_guide_manual_inspection, checkpoint_guide_list_and_dict,
            intro_to_modules_checkpoint, intro_to_modules_saved_model, basics_saved_model,
            saved_model_guide_custom_module, saved_model_guide_signatures,
            saved_model_guide_calling_signatures,
            saved_model_guide_control_flow]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__)
def test_guide_program_as_tf(real_tf, tmp_path, program):
    with contextlib.redirect_stderr(io.StringIO()):
        run_both(real_tf, program, tmp_path)


# --- both directions: what one library writes for the guides' objects, the other restores ----

def _guide_checkpoint(tf, case, filled):
    """``(checkpoint, variables)`` of one guide's objects; ``filled`` gives them values."""
    if case == "training":
        net = _net(tf)
        ckpt = tf.train.Checkpoint(step=tf.Variable(1), net=net)
        variables = [ckpt.step, net.l1.kernel, net.l1.bias]
    elif case == "list_and_dict":
        ckpt = tf.train.Checkpoint()
        ckpt.listed = [tf.Variable(0.), tf.Variable(0.)]
        ckpt.mapped = {"one": ckpt.listed[0], "two": ckpt.listed[1],
                       "three": tf.Variable(tf.zeros([2], tf.int64))}
        variables = [ckpt.listed[0], ckpt.listed[1], ckpt.mapped["three"]]
    else:
        model = _sequential(tf, traced=False)
        ckpt = tf.train.Checkpoint(model=model)
        variables = [model.dense_1.w, model.dense_1.b, model.dense_2.w, model.dense_2.b]
    for k, v in enumerate(variables):
        v.assign(tf.cast(tf.fill(v.shape, k + 2) if filled else tf.zeros(v.shape), v.dtype))
    if case == "training" and filled:
        _train_step(tf, net, *_toy_batches(tf)[1])
    return ckpt, variables


def _outcomes(status):
    out = []
    for check in (status.assert_existing_objects_matched, status.assert_consumed,
                  status.assert_nontrivial_match):
        try:
            check()
            out.append("ok")
        except AssertionError:
            out.append("AssertionError")
    status.expect_partial()
    return out


@pytest.mark.parametrize("case", ["training", "list_and_dict", "intro_to_modules"])
@pytest.mark.parametrize("direction", ["tapejax_to_tf", "tf_to_tapejax"])
def test_guide_checkpoints_both_ways(real_tf, tmp_path, case, direction):
    src, dst = (tapejax, real_tf) if direction == "tapejax_to_tf" else (real_tf, tapejax)
    written = {}
    for lib in (src, dst):
        ckpt, variables = _guide_checkpoint(lib, case, filled=True)
        prefix = str(tmp_path / lib.__name__ / "ckpt")
        if case == "training":
            path = lib.train.CheckpointManager(ckpt, os.path.dirname(prefix), 3).save()
        elif case == "list_and_dict":
            path = ckpt.save(prefix)
        else:
            path = ckpt.write(prefix)
        written[lib.__name__] = path, [np.asarray(v.numpy()) for v in variables]
    path, want = written[src.__name__]
    own_path, own_values = written[dst.__name__]
    for got, expected in zip(own_values, want):
        np.testing.assert_allclose(got, expected, rtol=1e-6)
    # The same variable list, whoever wrote it and whoever reads it.
    assert src.train.list_variables(path) == dst.train.list_variables(path) == \
        dst.train.list_variables(own_path)
    outcomes = []
    for source in (own_path, path):  # dst's own checkpoint, then src's: same matching
        ckpt, variables = _guide_checkpoint(dst, case, filled=False)
        seen = [_outcomes(ckpt.restore(source))]
        for v, expected in zip(variables, want):
            np.testing.assert_allclose(np.asarray(v.numpy()), expected, rtol=1e-6)
        if case == "list_and_dict":  # restore-on-append into containers set after restore
            empty = dst.train.Checkpoint()
            status = empty.restore(source)
            empty.listed = []
            late = [dst.Variable(0.), dst.Variable(0.)]
            empty.listed.append(late[0])
            empty.listed.extend(late[1:])
            empty.mapped = {}
            empty.mapped["three"] = dst.Variable(np.zeros([2], np.int64))
            assert [float(v.numpy()) for v in late] == [float(want[0]), float(want[1])]
            np.testing.assert_array_equal(empty.mapped["three"].numpy(), want[2])
            seen.append(_outcomes(status))
        outcomes.append(seen)
    assert outcomes[0] == outcomes[1]


# --- CheckpointManager's keeping rules (the API guide's manager options) ---------------------

def manager_interval_and_keep_every_n_hours(tf, d, log):
    step = tf.Variable(0, dtype=tf.int64)
    v = tf.Variable(0.)
    ckpt = tf.train.Checkpoint(step=step, v=v)
    manager = tf.train.CheckpointManager(ckpt, os.path.join(d, "interval"), max_to_keep=2,
                                         step_counter=step, checkpoint_interval=3)
    log(manager.checkpoint_interval)
    for _ in range(10):
        step.assign_add(1)
        v.assign_add(1.)
        log(int(step), manager.save())
    log(manager.save(check_interval=False))  # TF: not twice at one step
    step.assign_add(5)
    log(manager.save(checkpoint_number=99), manager.save(check_interval=False))
    log(manager.checkpoints, manager.latest_checkpoint)
    log(sorted(os.listdir(os.path.join(d, "interval"))))
    log.raised(lambda: tf.train.CheckpointManager(ckpt, d, 1, checkpoint_interval=2))

    # Every checkpoint leaving the active set is kept when an hour's share has passed.
    keeper = tf.train.CheckpointManager(ckpt, os.path.join(d, "hours"), max_to_keep=1,
                                        keep_checkpoint_every_n_hours=1e-9,
                                        checkpoint_name="model")
    for n in range(4):
        log(keeper.save(checkpoint_number=10 * n))
    log(keeper.checkpoints)
    log(sorted(os.listdir(os.path.join(d, "hours"))))
    # None: keep all of them in the active set.
    everything = tf.train.CheckpointManager(ckpt, os.path.join(d, "all"), max_to_keep=None)
    for _ in range(3):
        everything.save()
    log(everything.checkpoints)
    log(tf.train.CheckpointManager(ckpt, os.path.join(d, "all"), max_to_keep=1).checkpoints)
    log(ckpt.save_counter)


def test_manager_options_as_tf(real_tf, tmp_path):
    run_both(real_tf, manager_interval_and_keep_every_n_hours, tmp_path)
