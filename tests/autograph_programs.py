"""Programs from TF's ``tf.function`` guide (AutoGraph sections) and the AutoGraph reference
(``control_flow.md``, ``limitations.md``), written once against the ``tf`` API.

Each takes the library as ``tf`` (tapejax or TensorFlow) and its tensor arguments, defines its
``tf.function`` inside (so each library converts its own copy) and returns the result.
"""
import sys


# --- the tf.function guide ----------------------------------------------------------------------
def guide_while_tanh(tf, x):
    @tf.function
    def f(x):
        while tf.reduce_sum(x) > 1:
            x = tf.tanh(x)
        return x
    return f(x)


def guide_fizzbuzz(tf, n):
    @tf.function
    def fizzbuzz(n):
        for i in tf.range(1, n + 1):
            print('Tracing for loop')
            if i % 15 == 0:
                print('Tracing fizzbuzz branch')
                tf.print('fizzbuzz', output_stream=sys.stdout)
            elif i % 3 == 0:
                tf.print('fizz', output_stream=sys.stdout)
            elif i % 5 == 0:
                tf.print('buzz', output_stream=sys.stdout)
            else:
                tf.print(i, output_stream=sys.stdout)
    fizzbuzz(n)
    return fizzbuzz.experimental_get_tracing_count()


def guide_dataset_loop(tf, x, y):
    @tf.function
    def train(dataset):
        loss = tf.constant(0.0)
        for xb, yb in dataset:
            loss += tf.reduce_sum(tf.abs(yb - xb))
        return loss
    return train(tf.data.Dataset.from_tensor_slices((x, y)).batch(2))


def guide_dynamic_rnn(tf, data, initial):
    def rnn_step(inp, state):
        return inp + state

    @tf.function
    def dynamic_rnn(rnn_step, input_data, initial_state):
        input_data = tf.transpose(input_data, [1, 0, 2])
        max_seq_len = input_data.shape[0]
        states = tf.TensorArray(tf.float32, size=max_seq_len)
        state = initial_state
        for i in tf.range(max_seq_len):
            state = rnn_step(input_data[i], state)
            states = states.write(i, state)
        return tf.transpose(states.stack(), [1, 0, 2])
    return dynamic_rnn(rnn_step, data, initial)


def guide_conditional(tf, x):
    @tf.function
    def f(x):
        if tf.reduce_sum(x) > 0:
            return x * x
        else:
            return -x // 2
    return f(x)


# --- control_flow.md ----------------------------------------------------------------------------
def cf_python_value_becomes_tensor(tf, x):
    @tf.function
    def f(x):
        i = 0
        if tf.greater(x, 0):
            i = 1
        return tf.is_tensor(i), i
    return f(x)


def cf_if_else(tf, x):
    @tf.function
    def f(x):
        if x > 0.5:
            y = 1
        else:
            y = 2
        return y
    return f(x)


def cf_while(tf, x):
    @tf.function
    def f(x):
        n = 0
        while x > 0.5:
            x = x / 2
            n = n + 1
        return n
    return f(x)


def cf_for_over_tensor(tf):
    @tf.function
    def f():
        for i in tf.constant(((1, 2), (3, 4))):
            tf.print('iteration:', i, output_stream=sys.stdout)
    f()


def cf_for_over_range(tf):
    @tf.function
    def f():
        for i in tf.range(3):
            tf.print('iteration:', i, output_stream=sys.stdout)
    f()


def cf_for_over_dataset(tf):
    @tf.function
    def f():
        for i in tf.data.Dataset.range(3):
            tf.print('iteration:', i, output_stream=sys.stdout)
        for i in tf.data.Dataset.range(3):
            tf.print('break at:', i, output_stream=sys.stdout)
            break
        for i in iter(tf.data.Dataset.range(2)):
            tf.print('iterator:', i, output_stream=sys.stdout)
    f()


def cf_for_over_stacked_list(tf):
    @tf.function
    def f():
        total = tf.constant(0)
        for i in tf.stack([tf.constant(1), tf.constant(2), tf.constant(3)]):
            total += i
        return total
    return f()


def cf_break(tf, i):
    @tf.function
    def f(i):
        while i < 10:
            if i > 3:
                break
            i += 1
        return i
    return f(i)


def cf_break_in_for(tf, n):
    @tf.function
    def f(n):
        s = 0
        for i in tf.range(n):
            if i > 3:
                break
            s += i
        return s
    return f(n)


def cf_continue(tf, n):
    @tf.function
    def f(n):
        s = tf.constant(0)
        for i in tf.range(n):
            if i % 2 == 0:
                continue
            s += i
        return s
    return f(n)


def cf_return_in_while(tf, i):
    @tf.function
    def f(i):
        while i < 10:
            if i > 3:
                return i * 100
            i += 1
        return i
    return f(i)


def cf_buggy_while_true_tf_break(tf, x):
    @tf.function
    def buggy_while_py_true_tf_break(x):
        while True:
            if tf.equal(x, 0):
                break
            x -= 1
        return x
    return buggy_while_py_true_tf_break(x)


def cf_tf_break_in_python_for(tf, x):
    @tf.function
    def f(x):
        for i in [1, 2, 3]:
            if tf.equal(x, i):
                break
            x -= 1
        return x
    return f(x)


def cf_return_only_in_main_branch(tf, x):
    @tf.function
    def f(x):
        if x > 0.5:
            return 1
    return f(x)


def cf_condition_changes_type(tf, x):
    @tf.function
    def f(x):
        i = 0
        while i < 10:
            i = tf.constant(1)
        return i
    return f(x)


def cf_conditional_expression(tf, x):
    @tf.function
    def f(x):
        return x * 2 if tf.reduce_sum(x) > 0 else x - 1
    return f(x)


def cf_logical_operators(tf, x):
    @tf.function
    def f(x):
        if x > 0 and x < 10 or not x < 100:
            return x
        return -x
    return f(x)


# --- limitations.md -----------------------------------------------------------------------------
def lim_undefined_in_else(tf, x):
    @tf.function
    def f(x):
        if x > 0:
            y = x
        return y
    return f(x)


def lim_none_in_branch(tf, x):
    @tf.function
    def f(x):
        if x > 0:
            y = None
        else:
            y = x
        return y
    return f(x)


def lim_local_to_branch(tf, x):
    @tf.function
    def f(x):
        if x > 0:
            z = x * 2
            tf.print(z, output_stream=sys.stdout)
        return x
    return f(x)


def lim_defined_in_loop(tf, n):
    @tf.function
    def f(n):
        for i in tf.range(n):
            z = i * 2
        return z
    return f(n)


def lim_local_to_loop(tf, x):
    @tf.function
    def f(x):
        while x > 0.5:
            t = x / 2
            x = t
        return x
    return f(x)


def lim_change_through_function(tf, x):
    def change(y):
        y = y + 1
        return y

    @tf.function
    def f(x):
        y = tf.constant(0.0)
        while x > 0:
            y = change(y)
            x -= 1
        return y
    return f(x)


def lim_variable_side_effect(tf, x):
    v = tf.Variable(1.0)

    def change(y_var):
        y_var.assign_add(1.0)

    @tf.function
    def f(x):
        for _ in tf.range(x):
            change(v)
        return v.read_value()
    return f(x)


def lim_tensor_array_functional(tf, x):
    def change(ta):
        ta = ta.write(ta.size(), 1)
        return ta

    @tf.function
    def f(x):
        ta = tf.TensorArray(tf.int32, size=0, dynamic_size=True)
        for _ in tf.range(4):
            ta = change(ta)
        return ta.stack()
    return f(x)


def lim_tensor_array_dynamic(tf):
    @tf.function
    def f():
        ta = tf.TensorArray(tf.int32, size=0, dynamic_size=True)
        for i in tf.range(10):
            ta = ta.write(ta.size(), i)
        return ta.stack(), ta.size()
    return f()


def lim_attribute_as_loop_var(tf, x):
    class MyClass:
        pass

    @tf.function
    def f(x):
        c = MyClass()
        c.y = tf.constant(0.0)
        while x > 0:
            c.y += 1
            x -= 1
        return c.y
    return f(x)


def lim_static_collections(tf, x):
    @tf.function
    def f(x):
        static_list = [x]
        while static_list[0] > 0:
            static_list[0] -= 1
        static_dict = {'field': x}
        while static_dict['field'] > 0:
            static_dict['field'] -= 1
        d = {'a': x}
        for i in tf.range(3):
            d = {key: value + tf.cast(i, x.dtype) for key, value in d.items()}
        return static_list[0], static_dict['field'], d['a']
    return f(x)


def lim_dtype_in_branches(tf, x):
    @tf.function
    def f(x):
        if x > 0.5:
            y = tf.constant(1, dtype=tf.int32)
        else:
            y = tf.constant(1, dtype=tf.float32)
        return y
    return f(x)


def lim_dtype_in_loop(tf, x):
    @tf.function
    def f(x):
        y = tf.constant(0, dtype=tf.int32)
        while x > 0.5:
            y = tf.constant(0, dtype=tf.float32)
            x = x / 2
        return y
    return f(x)


def lim_shape_in_loop(tf, x):
    @tf.function
    def f(x):
        y = tf.constant(1,)
        while x > 0.5:
            y = tf.constant((1, 2, 3))
            x = x / 2
        return y
    return f(x)


def lim_shape_invariants_kept(tf, n):
    """``shape_invariants`` (``tf.while_loop``'s and ``set_loop_options``') on loops whose
    variables keep their shapes."""
    @tf.function
    def f(n):
        _, x = tf.while_loop(lambda i, x: i < n, lambda i, x: (i + 1, x * 2.0),
                             [0, tf.ones([2])],
                             shape_invariants=[tf.TensorShape([]), tf.TensorShape([None])])
        y = tf.ones([2])
        for _ in tf.range(n):
            tf.autograph.experimental.set_loop_options(
                shape_invariants=[(y, tf.TensorShape([None]))])
            y = y * 3.0
        return x, y
    return f(n)


def lim_while_loop_shape_changes(tf, n):
    @tf.function
    def f(n):
        return tf.while_loop(lambda i, x: i < n, lambda i, x: (i + 1, tf.concat([x, x], 0)),
                             [0, tf.ones([2])])
    return f(n)


def lim_while_loop_shape_invariants_grow(tf, n):
    """Allowed in TF; tapejax's staged loops keep shapes (``NotImplementedError``)."""
    @tf.function
    def f(n):
        return tf.while_loop(lambda i, x: i < n, lambda i, x: (i + 1, tf.concat([x, x], 0)),
                             [0, tf.ones([2])],
                             shape_invariants=[tf.TensorShape([]), tf.TensorShape([None])])
    return f(n)


def lim_static_shape_check(tf, x):
    @tf.function
    def f(x):
        if x.shape[0] > 4:
            val = x[4]
        else:
            val = tf.constant(-1.0)
        return val
    return f(x)


def lim_distinct_lambda_args(tf, x):
    @tf.function
    def f(x):
        lam = lambda outer_x: lambda inner_x: inner_x + outer_x  # noqa: E731 - the doc's example
        return lam(x)(x)
    return f(x)


# --- conversion rules ---------------------------------------------------------------------------
def rules_method_and_nested_function(tf, x):
    class Model(tf.Module):
        @tf.function
        def inner(self, x):
            if tf.reduce_max(x) > 2.0:
                x = x / 2.0
            return x

        @tf.function
        def __call__(self, x):
            for _ in tf.range(3):
                x = self.inner(x) + 1.0
            return x
    return Model()(x)


def rules_builtin_range_of_tensor(tf, n):
    @tf.function
    def f(n):
        s = tf.constant(0)
        for i in range(n):
            s += i * i
        return s
    return f(n)


def rules_except_as_name(tf, x):
    """``except E as e`` in converted code, at the top and in loops (a trace-time error caught;
    ``set_shape`` raising at trace time, as TF's graph tensors do)."""
    @tf.function
    def f(x):
        messages = []
        try:
            x.set_shape([5])
        except ValueError as e:
            messages.append(str(e))
        for shape in ([None], [2, 2]):
            try:
                x.set_shape(shape)
                x = x * 2.0
            except ValueError as error:
                messages.append(str(error))
                x = x + 1.0
        while tf.reduce_sum(x) < 100.0:
            try:
                x = x * 3.0
            except TypeError as unused:
                x = x - str(unused)
        return x, tf.constant(messages)
    return f(x)


def rules_break_over_rows(tf, x):
    @tf.function
    def f(x):
        total = tf.zeros_like(x[0])
        for row in x:
            if tf.reduce_sum(row) > 7.0:
                break
            total += row
        return total
    return f(x)


# --- Variables assigned inside staged loops and branches ----------------------------------------
def var_assign_add_in_range(tf, n):
    v = tf.Variable(0.0)

    @tf.function
    def f(n):
        for i in tf.range(n):
            v.assign_add(tf.cast(i, tf.float32))
        return v.read_value()
    return f(n), v.read_value()


def var_while_reads_new_value(tf, x):
    v = tf.Variable([1.0, 2.0, 3.0])
    count = tf.Variable(0)

    @tf.function
    def f(x):
        while x > 0.0:
            v[1:].assign(v[1:] * x)
            v.assign_sub([1.0, 1.0, 1.0])
            count.assign_add(1)
            x -= 1.0
        return v + 0.0, x
    return f(x), v.read_value(), count.read_value()


def var_condition_reads_variable(tf, x):
    v = tf.Variable(1.0)

    @tf.function
    def f(x):
        while v < x:
            v.assign(v * 2.0)
        return v.read_value()
    return f(x), v.read_value()


def var_if_assigns(tf, x):
    k = tf.Variable(0)
    total = tf.Variable(0.0)

    @tf.function
    def f(x):
        if x > 0:
            k.assign(5)
            total.assign_add(tf.cast(x, tf.float32))
        else:
            k.assign_add(1)
        return k.read_value()
    return f(x), f(-x), k.read_value(), total.read_value()


def var_if_inside_loop(tf, n):
    evens = tf.Variable(0)
    odds = tf.Variable(0)

    @tf.function
    def f(n):
        for i in tf.range(n):
            if i % 2 == 0:
                evens.assign_add(i)
            else:
                odds.assign_sub(i)
        return evens + odds
    return f(n), evens.read_value(), odds.read_value()


def var_nested_loops(tf, n):
    v = tf.Variable(tf.zeros([3]))

    @tf.function
    def f(n):
        for i in tf.range(n):
            j = tf.constant(0)
            while j < i:
                v.assign_add(tf.ones([3]) * tf.cast(j, tf.float32))
                j += 1
        return v.read_value()
    return f(n), v.read_value()


def var_plain_while_loop(tf, x):
    w = tf.Variable(1.0)

    @tf.function
    def g(x):
        def body(i, y):
            w.assign(w * 2.0)
            return i + 1, y + w
        return tf.while_loop(lambda i, y: i < 3, body, (0, x))
    return g(x), w.read_value()


def var_train_steps(tf, xs, ys):
    w = tf.Variable([[0.5], [-0.25]])
    b = tf.Variable([0.1])

    @tf.function
    def train(xs, ys):
        for _ in tf.range(4):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean((tf.matmul(xs, w) + b - ys) ** 2)
            for grad, variable in zip(tape.gradient(loss, [w, b]), [w, b]):
                variable.assign_sub(0.1 * grad)
        return loss
    return train(xs, ys), w.read_value(), b.read_value()


def var_gradient_with_counter(tf, x):
    """A loop that assigns a counter Variable: the gradient with respect to ``x`` is TF's."""
    steps = tf.Variable(0)

    @tf.function
    def f(x):
        y = x
        for _ in tf.range(3):
            y = tf.sin(y) * x
            steps.assign_add(1)
        return y
    return f(x)


def var_tape_inside(tf, x):
    total = tf.Variable(0.0)

    @tf.function
    def f(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x
            for _ in tf.range(3):
                y = tf.sin(y) * x
                total.assign_add(y)
        return y, tape.gradient(y, x), total.read_value()
    return f(x)


def var_gradient_wrt_read_variable(tf, x):
    w = tf.Variable(0.5)
    steps = tf.Variable(0)

    @tf.function
    def f(x):
        y = x
        for _ in tf.range(3):
            y = y * w + x
            steps.assign_add(1)
        return y
    with tf.GradientTape() as tape:
        y = f(x)
    return y, tape.gradient(y, w), steps.read_value()


def var_gradient_wrt_assigned_variable(tf, x):
    """Every read of ``w`` in the loop (the later ones after an assignment) is a read of the
    Variable for the gradient, as in TF."""
    w = tf.Variable(0.5)

    @tf.function
    def f(x):
        y = x
        for _ in tf.range(3):
            y = y * w + x
            w.assign_add(0.1)
        return y
    with tf.GradientTape() as tape:
        y = f(x)
    return y, tape.gradient(y, w), w.read_value()


def var_gradient_read_after_assign(tf, x):
    w = tf.Variable(0.5)
    u = tf.Variable(2.0)

    @tf.function
    def f(x):
        w.assign(0.25)
        u.assign_add(1.0)
        return x * w * u
    with tf.GradientTape() as tape:
        y = f(x)
    return y, tape.gradient(y, [w, u])


def var_condition_assigns(tf, n):
    """A converted ``while`` and a ``tf.while_loop`` whose conditions assign a Variable: TF runs
    the condition once more than the body, and each run sees the body's assignments."""
    v = tf.Variable(0.0)
    tests = tf.Variable(0)

    @tf.function
    def f(n):
        i = tf.constant(0)
        while v.assign_add(1.0) < n:
            i += 1
        j = tf.while_loop(lambda j: tests.assign_add(1) < tf.cast(n, tf.int32),
                          lambda j: j + 2, [i])
        return i, j, v.read_value(), tests.read_value()
    return f(n)


def var_condition_assigns_bounded(tf, n, x):
    """The same with ``maximum_iterations`` (a scan): the last condition still runs, and the
    gradient with respect to ``x`` flows through the loop."""
    v = tf.Variable(0.0)

    @tf.function
    def f(n, x):
        y = tf.while_loop(lambda y: v.assign_add(1.0) < n, lambda y: y * x, [x],
                          maximum_iterations=3)
        return y, v.read_value()
    with tf.GradientTape() as tape:
        tape.watch(x)
        y, count = f(n, x)
    return y, count, tape.gradient(y, x)


def lim_list_append_in_loop(tf, n):
    @tf.function
    def f(n):
        out = []
        for i in tf.range(n):
            out.append(i)
        return out
    return f(n)
