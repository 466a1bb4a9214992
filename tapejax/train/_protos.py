"""The protocol buffer messages of TF's checkpoint format, built without TensorFlow.

TensorFlow's own generated modules cannot be imported (tapejax must run without TF) and the
``tensorboard`` package's copies lack ``tensor_bundle.proto`` and ``checkpoint_state.proto``, so
the messages are declared here with protobuf's descriptor API, in a private pool, with TF's
field names and numbers (the published schema; ``tests/test_checkpoint.py`` compares them
with TF's descriptors). Only the fields tapejax reads or writes are declared; unknown fields of
a parsed message are kept by protobuf and ignored here.
"""
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_F = descriptor_pb2.FieldDescriptorProto
_TYPES = {"int32": _F.TYPE_INT32, "int64": _F.TYPE_INT64, "bool": _F.TYPE_BOOL,
          "string": _F.TYPE_STRING, "fixed32": _F.TYPE_FIXED32, "double": _F.TYPE_DOUBLE}

# name -> [(field, number, type, repeated)]; a type starting with "." is a message or enum
_MESSAGES = {
    "VersionDef": [("producer", 1, "int32", False), ("min_consumer", 2, "int32", False),
                   ("bad_consumers", 3, "int32", True)],
    "TensorShapeProto": [("dim", 2, ".tensorflow.TensorShapeProto.Dim", True),
                         ("unknown_rank", 3, "bool", False)],
    "TensorShapeProto.Dim": [("size", 1, "int64", False), ("name", 2, "string", False)],
    "BundleHeaderProto": [("num_shards", 1, "int32", False),
                          ("endianness", 2, "enum:.tensorflow.BundleHeaderProto.Endianness",
                           False),
                          ("version", 3, ".tensorflow.VersionDef", False)],
    "BundleEntryProto": [("dtype", 1, "enum:.tensorflow.DataType", False),
                         ("shape", 2, ".tensorflow.TensorShapeProto", False),
                         ("shard_id", 3, "int32", False), ("offset", 4, "int64", False),
                         ("size", 5, "int64", False), ("crc32c", 6, "fixed32", False),
                         ("slices", 7, ".tensorflow.TensorSliceProto", True)],
    "TensorSliceProto": [],  # partitioned variables: tapejax refuses entries that have slices
    "BoolValue": [("value", 1, "bool", False)],  # wire-identical to google.protobuf.BoolValue
    "TrackableObjectGraph": [
        ("nodes", 1, ".tensorflow.TrackableObjectGraph.TrackableObject", True)],
    "TrackableObjectGraph.TrackableObject": [
        ("children", 1, ".tensorflow.TrackableObjectGraph.TrackableObject.ObjectReference",
         True),
        ("attributes", 2,
         ".tensorflow.TrackableObjectGraph.TrackableObject.SerializedTensor", True),
        ("slot_variables", 3,
         ".tensorflow.TrackableObjectGraph.TrackableObject.SlotVariableReference", True),
        ("has_checkpoint_values", 5, ".tensorflow.BoolValue", False)],
    "TrackableObjectGraph.TrackableObject.ObjectReference": [
        ("node_id", 1, "int32", False), ("local_name", 2, "string", False)],
    "TrackableObjectGraph.TrackableObject.SerializedTensor": [
        ("name", 1, "string", False), ("full_name", 2, "string", False),
        ("checkpoint_key", 3, "string", False)],
    "TrackableObjectGraph.TrackableObject.SlotVariableReference": [
        ("original_variable_node_id", 1, "int32", False), ("slot_name", 2, "string", False),
        ("slot_variable_node_id", 3, "int32", False)],
    "CheckpointState": [("model_checkpoint_path", 1, "string", False),
                        ("all_model_checkpoint_paths", 2, "string", True),
                        ("all_model_checkpoint_timestamps", 3, "double", True),
                        ("last_preserved_timestamp", 4, "double", False)],
}

# TF's DataType numbers for the dtypes tapejax has (types.proto)
DATA_TYPES = {"float32": 1, "float64": 2, "int32": 3, "uint8": 4, "int16": 5, "int8": 6,
              "string": 7, "complex64": 8, "int64": 9, "bool": 10, "bfloat16": 14,
              "uint16": 17, "complex128": 18, "float16": 19, "uint32": 22, "uint64": 23}
_ENUMS = {"DataType": [("DT_INVALID", 0)] + [
              ("DT_" + {"float32": "FLOAT", "float64": "DOUBLE", "float16": "HALF"}.get(
                  name, name.upper()), number) for name, number in DATA_TYPES.items()],
          "BundleHeaderProto.Endianness": [("LITTLE", 0), ("BIG", 1)]}


def _build():
    file = descriptor_pb2.FileDescriptorProto(name="tapejax/checkpoint.proto",
                                              package="tensorflow", syntax="proto3")
    protos = {}
    for full, fields in _MESSAGES.items():
        *outer, name = full.split(".")
        parent = file if not outer else protos[".".join(outer)]
        msg = (parent.message_type if not outer else parent.nested_type).add(name=name)
        protos[full] = msg
        for field, number, kind, repeated in fields:
            f = msg.field.add(name=field, number=number,
                              label=_F.LABEL_REPEATED if repeated else _F.LABEL_OPTIONAL)
            if kind.startswith("enum:"):
                f.type, f.type_name = _F.TYPE_ENUM, kind[5:]
            elif kind.startswith("."):
                f.type, f.type_name = _F.TYPE_MESSAGE, kind
            else:
                f.type = _TYPES[kind]
    for full, values in _ENUMS.items():
        *outer, name = full.split(".")
        parent = file if not outer else protos[".".join(outer)]
        enum = parent.enum_type.add(name=name)
        for value_name, number in values:
            enum.value.add(name=value_name, number=number)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return {full: message_factory.GetMessageClass(
        pool.FindMessageTypeByName("tensorflow." + full)) for full in _MESSAGES}


_CLASSES = _build()
VersionDef = _CLASSES["VersionDef"]
TensorShapeProto = _CLASSES["TensorShapeProto"]
BundleHeaderProto = _CLASSES["BundleHeaderProto"]
BundleEntryProto = _CLASSES["BundleEntryProto"]
TrackableObjectGraph = _CLASSES["TrackableObjectGraph"]
CheckpointState = _CLASSES["CheckpointState"]
