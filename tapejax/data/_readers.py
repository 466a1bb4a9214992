"""File-reading datasets: ``tf.data.TFRecordDataset``."""
import logging

import numpy as np

from .. import dtypes, errors, io_records
from ..tensor import convert_to_tensor
from ..tensor_spec import TensorSpec
from ._dataset import AUTOTUNE, UNKNOWN, Dataset


class TFRecordDataset(Dataset):
    """``tf.data.TFRecordDataset``: the records of ``filenames`` (a path, a list of them, a
    string Tensor or a Dataset of paths) as scalar ``tf.string`` elements, file after file; with
    ``num_parallel_reads`` > 1, round-robin over that many files at a time, the order TF's
    deterministic interleave gives (``AUTOTUNE``: file after file, as TF 2.21 orders them on
    CPU). ``buffer_size`` only tunes TF's reads."""

    def __init__(self, filenames, compression_type=None, buffer_size=None,
                 num_parallel_reads=None, name=None):
        compression = _compression(compression_type)
        paths = _paths(filenames)
        cycle = 1 if num_parallel_reads is None else int(num_parallel_reads)
        if cycle < 1 and cycle != AUTOTUNE:
            raise errors.InvalidArgumentError(None, None, (
                "`cycle_length` must be > 0 [Op:LegacyParallelInterleaveDatasetV2] name: "))

        def make():
            records = (io_records.read_records(p, compression) for p in paths)
            try:
                for record in _round_robin(records, 1 if cycle == AUTOTUNE else cycle):
                    yield np.asarray(record, dtype=object)
            except errors.OpError as error:
                raise type(error)(None, None, f"{error.message} [Op:IteratorGetNext] name: "
                                  ) from None
        super().__init__(make, UNKNOWN, TensorSpec([], dtypes.string))


def _compression(value):
    """TF's reader logs an unknown compression type and reads the file uncompressed."""
    try:
        return io_records.compression_kind(value)
    except ValueError:
        logging.getLogger("tapejax").error(
            "Unsupported compression_type:%s. No compression will be used.", value)
        return ""


def _paths(filenames):
    if isinstance(filenames, Dataset):
        filenames = list(filenames._make_iterator())
    else:
        tensor = convert_to_tensor(filenames)
        if tensor.dtype is not dtypes.string:
            raise TypeError("The `filenames` argument must contain `tf.string` elements. Got "
                            f"`{tensor.dtype!r}` elements.")
        filenames = np.ravel(tensor.numpy()).tolist()
    return [_path(p) for p in filenames]


def _path(value):
    value = value.item() if isinstance(value, np.ndarray) else value
    return value.decode() if isinstance(value, bytes) else str(value)


def _round_robin(sources, cycle):
    """Items of the iterators ``sources`` yields, ``cycle`` of them open at a time, one item
    from each in turn; an exhausted one is replaced by the next source, in its place."""
    pending = iter(sources)
    open_ = [it for _, it in zip(range(cycle), pending)]
    k = 0
    while open_:
        try:
            yield next(open_[k])
            k += 1
        except StopIteration:  # the next source takes the slot, and its turn comes next round
            following = next(pending, None)
            if following is None:
                del open_[k]
            else:
                open_[k] = following
                k += 1
        if k >= len(open_):
            k = 0
