"""``tf.signal`` FFTs, TF 2's initializers, ``tf.image`` basics, ``tf.IndexedSlices``, the
top-level aliases and ``tf.config`` device functions against real TensorFlow."""
import numpy as np
import pytest

import tapejax
from tf_oracle import compare, same_program

F32 = np.float32
SIGNAL = np.array([[1, 2, 0, -1], [3, 1, 4, 1], [0, 0, 2, 5]], F32)
SPECTRUM = (SIGNAL[:, :3] + 1j * SIGNAL[:, 1:]).astype(np.complex64)

FFT = [
    ("fft", lambda tf: tf.signal.fft(tf.constant(SPECTRUM))),
    ("ifft", lambda tf: tf.signal.ifft(tf.constant(SPECTRUM))),
    ("fft2d", lambda tf: tf.signal.fft2d(tf.constant(SPECTRUM))),
    ("ifft2d", lambda tf: tf.signal.ifft2d(tf.constant(SPECTRUM.astype(np.complex128)))),
    ("fft3d", lambda tf: tf.signal.fft3d(tf.constant(SPECTRUM[None]))),
    ("ifft3d", lambda tf: tf.signal.ifft3d(tf.constant(SPECTRUM[None]))),
    ("rfft", lambda tf: tf.signal.rfft(tf.constant(SIGNAL))),
    ("rfft_length", lambda tf: (tf.signal.rfft(tf.constant(SIGNAL), [6]),
                                tf.signal.rfft(tf.constant(SIGNAL), [3]))),
    ("irfft", lambda tf: tf.signal.irfft(tf.constant(SPECTRUM))),
    ("irfft_length", lambda tf: tf.signal.irfft(tf.constant(SPECTRUM.astype(np.complex128)),
                                                [5])),
    ("rfft2d", lambda tf: tf.signal.rfft2d(tf.constant(SIGNAL.astype(np.float64)))),
    ("irfft2d", lambda tf: tf.signal.irfft2d(tf.constant(SPECTRUM), [3, 4])),
    ("rfft3d", lambda tf: tf.signal.rfft3d(tf.constant(SIGNAL[None]))),
    ("irfft3d", lambda tf: tf.signal.irfft3d(tf.constant(SPECTRUM[None]))),
    ("fft_float", lambda tf: tf.signal.fft(tf.constant(SIGNAL))),
    ("rfft_int", lambda tf: tf.signal.rfft(tf.constant([1, 2]))),
    ("fft2d_rank", lambda tf: tf.signal.fft2d(tf.constant([1j]))),
]


@pytest.mark.parametrize("program", [pytest.param(p, id=i) for i, p in FFT])
def test_fft_values_and_errors_match_tensorflow(real_tf, program):
    same_program(real_tf, program, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("op", ["rfft", "rfft2d"])
def test_real_fft_gradients_match_tensorflow(real_tf, op):
    def program(tf, x):
        spectrum = getattr(tf.signal, op)(x)
        return tf.math.real(spectrum) * 2.0 + tf.math.imag(spectrum)
    compare(real_tf, program, SIGNAL, rtol=1e-5, atol=1e-4)


def test_nd_ffts_match_numpy():
    """TF's CPU build has no FFTND kernels (NotFoundError); the GPU kernels compute NumPy's."""
    x = tapejax.constant(SPECTRUM)
    np.testing.assert_allclose(tapejax.fftnd(x, [3, 2], [0, 1]).numpy(),
                               np.fft.fftn(SPECTRUM, [3, 2], [0, 1]), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(tapejax.ifftnd(x, [4], [0]).numpy(),
                               np.fft.ifftn(SPECTRUM, [4], [0]), rtol=1e-5, atol=1e-5)
    real = tapejax.rfftnd(tapejax.constant(SIGNAL), [3, 4], [0, 1])
    assert real.dtype == tapejax.complex64
    np.testing.assert_allclose(real.numpy(), np.fft.rfftn(SIGNAL, [3, 4], [0, 1]), rtol=1e-5,
                               atol=1e-5)
    back = tapejax.irfftnd(real, [3, 4], [0, 1])
    np.testing.assert_allclose(back.numpy(), SIGNAL, rtol=1e-5, atol=1e-5)


INITIALIZERS = [
    ("zeros", lambda tf: (tf.zeros_initializer()([2, 3]),
                          tf.zeros_initializer()([2], dtype=tf.int64))),
    ("ones", lambda tf: (tf.ones_initializer()([2]), tf.ones_initializer()([2], tf.bool))),
    ("constant", lambda tf: (tf.constant_initializer([1, 2])([2]),
                             tf.constant_initializer(3.0)([2, 2], dtype=tf.float64),
                             tf.constant_initializer(3)([2]))),
    ("constant_config", lambda tf: tf.constant(tf.constant_initializer(2.0).get_config()[
        "value"])),
    ("random_shapes", lambda tf: (tf.shape(tf.random_normal_initializer()([2, 3])),
                                  tf.constant(tf.random_uniform_initializer(0, 10)(
                                      [4], tf.int32).dtype == tf.int32))),
    ("ones_complex", lambda tf: tf.ones_initializer()([2], dtype=tf.complex64)),
    ("uniform_bool", lambda tf: tf.random_uniform_initializer()([2], dtype=tf.bool)),
    ("normal_int", lambda tf: tf.random_normal_initializer()([2], dtype=tf.int32)),
]


@pytest.mark.parametrize("program", [pytest.param(p, id=i) for i, p in INITIALIZERS])
def test_initializers_match_tensorflow(real_tf, program):
    same_program(real_tf, program)


def test_seeded_initializers_repeat_and_unseeded_ones_differ():
    for init in (tapejax.random_normal_initializer(seed=1),
                 tapejax.random_uniform_initializer(-1.0, 1.0, seed=1)):
        np.testing.assert_array_equal(init([5]).numpy(), init([5]).numpy())
    fresh = tapejax.random_normal_initializer(stddev=1.0)
    assert not np.array_equal(fresh([5]).numpy(), fresh([5]).numpy())
    values = tapejax.random_uniform_initializer(2.0, 3.0)([1000]).numpy()
    assert 2.0 <= values.min() and values.max() < 3.0


def _slices(tf):
    return tf.IndexedSlices(tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]),
                            tf.constant([0, 2, 0]), tf.constant([4, 2]))


SLICES = [
    ("attributes", lambda tf: (_slices(tf).values, _slices(tf).indices, _slices(tf).dense_shape,
                               tf.constant(_slices(tf).shape.as_list()))),
    ("to_dense", lambda tf: tf.convert_to_tensor(_slices(tf))),
    ("in_an_op", lambda tf: tf.reduce_sum(_slices(tf) * 2.0, axis=1)),
    ("clip_by_global_norm", lambda tf: [
        tf.convert_to_tensor(t) if type(t).__name__ == "IndexedSlices" else t
        for t in [*tf.clip_by_global_norm([_slices(tf), tf.constant([3.0])], 2.0)[0],
                  tf.clip_by_global_norm([_slices(tf)], 2.0)[1]]]),
    ("clip_keeps_sparse", lambda tf: tf.constant(type(tf.clip_by_global_norm(
        [_slices(tf)], 1.0)[0][0]).__name__ == "IndexedSlices")),
    ("gather_gradient", lambda tf: _gather_gradient(tf)),
    ("no_dense_shape", lambda tf: tf.convert_to_tensor(tf.IndexedSlices(tf.constant([1.0]),
                                                                        tf.constant([0])))),
]


def _gather_gradient(tf):
    params = tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.gather(params, [2, 0, 2]) * [[1.0, 2.0]])
    grad = tape.gradient(loss, params)
    params.assign_sub(0.5 * tf.convert_to_tensor(grad))
    return tf.convert_to_tensor(grad), params.read_value()


@pytest.mark.parametrize("program", [pytest.param(p, id=i) for i, p in SLICES])
def test_indexed_slices_as_tensorflow(real_tf, program):
    same_program(real_tf, program)


def _gfile_program(tmp):
    def program(tf):
        g = tf.io.gfile
        root = f"{tmp}/{tf.__name__}"
        g.makedirs(root + "/a/b")
        g.mkdir(root + "/a")
        with g.GFile(root + "/f.txt", "w") as f:
            f.write("hello\nworld\n")
        g.copy(root + "/f.txt", root + "/g.txt")
        g.rename(root + "/g.txt", root + "/h.txt")
        outcome = [sorted(g.listdir(root)), [p[len(root):] for p in g.glob(root + "/*.txt")],
                   g.isdir(root + "/a"), g.isdir(root + "/f.txt"), g.exists(root + "/g.txt"),
                   g.GFile(root + "/h.txt").readlines(), g.GFile(root + "/f.txt", "rb").read()]
        for bad in (lambda: g.remove(root + "/nope"), lambda: g.listdir(root + "/nope"),
                    lambda: g.mkdir(root + "/x/y"), lambda: g.GFile(root + "/nope").read(),
                    lambda: g.rename(root + "/f.txt", root + "/h.txt"),
                    lambda: g.copy(root + "/f.txt", root + "/h.txt"),
                    lambda: g.rmtree(root + "/nope")):
            try:
                bad()
                outcome.append(None)
            except Exception as error:  # the class is compared
                outcome.append(type(error).__name__)
        g.rename(root + "/f.txt", root + "/h.txt", overwrite=True)
        g.remove(root + "/h.txt")
        g.rmtree(root + "/a")
        outcome.append(sorted(g.listdir(root)))
        return outcome
    return program


def test_gfile_as_tensorflow(real_tf, tmp_path):
    program = _gfile_program(tmp_path)
    assert program(tapejax) == program(real_tf)


def test_version_and_dataset_zip(real_tf):
    # tf.optimizers/losses/metrics/initializers are Keras's: test_keras_plain_import.py
    assert tapejax.version.VERSION == real_tf.version.VERSION

    def zipped(tf):
        pairs = tf.data.Dataset.zip((tf.data.Dataset.range(3), tf.data.Dataset.range(5)))
        nested = tf.data.Dataset.zip({"a": tf.data.Dataset.range(2),
                                      "b": (tf.data.Dataset.range(4),)})
        return (list(pairs.as_numpy_iterator()), len(pairs),
                list(tf.data.Dataset.zip(tf.data.Dataset.range(2),
                                         tf.data.Dataset.range(2)).as_numpy_iterator()),
                [{k: str(v) for k, v in e.items()} for e in nested.as_numpy_iterator()])
    assert zipped(tapejax) == zipped(real_tf)


def test_config_devices_as_tensorflow(real_tf):
    def devices(tf):
        cpu = tf.config.list_physical_devices("CPU")[0]
        try:
            tf.config.experimental.set_memory_growth(cpu, True)
            growth = None
        except ValueError as error:
            growth = str(error)
        return (repr(cpu), cpu.name, cpu.device_type, tf.config.list_physical_devices("XPU"),
                [repr(d) for d in tf.config.list_logical_devices("CPU")],
                [repr(d) for d in tf.config.get_visible_devices("CPU")], growth)
    assert devices(tapejax) == devices(real_tf)
    cpus = tapejax.config.list_physical_devices("CPU")
    tapejax.config.set_visible_devices(cpus, "CPU")
    assert tapejax.config.get_visible_devices("CPU") == cpus


IMAGES = (np.arange(2 * 4 * 6 * 3, dtype=F32).reshape(2, 4, 6, 3) % 7) / 7.0

IMAGE = [
    ("resize_up", lambda tf, x: tf.image.resize(x, [8, 9]), [IMAGES]),
    ("resize_down", lambda tf, x: tf.image.resize(x, [2, 3]), [IMAGES]),
    ("resize_one_image", lambda tf, x: tf.image.resize(x[0], [5, 4]), [IMAGES]),
    ("resize_nearest", lambda tf, x: tf.image.resize(x, [8, 9], method="nearest"), [IMAGES]),
    ("resize_nearest_down", lambda tf, x: tf.image.resize(
        x, [3, 4], method=tf.image.ResizeMethod.NEAREST_NEIGHBOR), [IMAGES]),
    ("resize_uint8", lambda tf: tf.image.resize(tf.constant((IMAGES * 255).astype(np.uint8)),
                                                [3, 7]), []),
    ("flips", lambda tf, x: (tf.image.flip_left_right(x), tf.image.flip_up_down(x[0])),
     [IMAGES]),
    ("per_image_standardization", lambda tf, x: tf.image.per_image_standardization(x),
     [IMAGES]),
    ("per_image_standardization_uint8", lambda tf: tf.image.per_image_standardization(
        tf.constant((IMAGES * 7).astype(np.uint8))), []),
    ("convert_float_to_uint8", lambda tf, x: (tf.image.convert_image_dtype(x, tf.uint8),
                                              tf.image.convert_image_dtype(x * 2, tf.uint8,
                                                                           saturate=True)),
     [IMAGES]),
    ("convert_uint8_to_float", lambda tf: tf.image.convert_image_dtype(
        tf.constant((IMAGES * 255).astype(np.uint8)), tf.float32), []),
    ("convert_integers", lambda tf: (
        tf.image.convert_image_dtype(tf.constant([0, 1, 255], tf.uint8), tf.int32),
        tf.image.convert_image_dtype(tf.constant([2 ** 30, 7], tf.int32), tf.uint8)), []),
    ("convert_float_to_float", lambda tf, x: tf.image.convert_image_dtype(x, tf.float64),
     [IMAGES]),
    ("flip_rank_2", lambda tf, x: tf.image.flip_left_right(x[0, 0]), [IMAGES]),
]


@pytest.mark.parametrize("program, args", [pytest.param(p, a, id=i) for i, p, a in IMAGE])
def test_image_as_tensorflow(real_tf, program, args):
    if not args:
        same_program(real_tf, program, rtol=1e-5, atol=1e-5)
        return
    if program is IMAGE[-1][1]:
        assert isinstance(same_program(real_tf, program, *args), Exception)
        return
    compare(real_tf, program, *args, rtol=1e-5, atol=1e-5)
