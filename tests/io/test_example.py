"""The Example protocol buffers: built here with protobuf's descriptor API, they read and write TF's own bytes.

The literal bytes below were written by TF 2.21 (``tf.train.Example(...).SerializeToString(deterministic=True)``)."""
import pytest

import daskflow.example as ex

# tf.train.Example with features age (int64 [29, -3, 2**40]), movie (bytes), rating (float [9.0, 0.25])
TF_EXAMPLE = (b'\na\n\x1c\n\x03age\x12\x15\x1a\x13\n\x11\x1d\xfd\xff\xff\xff\xff\xff\xff\xff\xff\x01\x80\x80\x80\x80'
              b'\x80 \n)\n\x05movie\x12 \n\x1e\n\x18The Shawshank Redemption\n\x02\xff\x00\n\x16\n\x06rating\x12\x0c'
              b'\x12\n\n\x08\x00\x00\x10A\x00\x00\x80>')
# tf.train.SequenceExample: context len=[2]; feature list tok = [[b"a"], [b"b", b"c"]]
TF_SEQUENCE = (b'\n\x0e\n\x0c\n\x03len\x12\x05\x1a\x03\n\x01\x02\x12\x1a\n\x18\n\x03tok\x12\x11'
               b'\n\x05\n\x03\n\x01a\n\x08\n\x06\n\x01b\n\x01c')


def _example():
    return ex.Example(features=ex.Features(feature={
        "age": ex.Feature(int64_list=ex.Int64List(value=[29, -3, 2 ** 40])),
        "movie": ex.Feature(bytes_list=ex.BytesList(value=[b"The Shawshank Redemption", b"\xff\x00"])),
        "rating": ex.Feature(float_list=ex.FloatList(value=[9.0, 0.25])),
    }))


def test_tf_bytes_parse_and_reserialize_identically():
    parsed = ex.Example.FromString(TF_EXAMPLE)
    f = parsed.features.feature
    assert list(f["age"].int64_list.value) == [29, -3, 2 ** 40]
    assert list(f["movie"].bytes_list.value) == [b"The Shawshank Redemption", b"\xff\x00"]
    assert list(f["rating"].float_list.value) == [9.0, 0.25]
    assert parsed.SerializeToString(deterministic=True) == TF_EXAMPLE


def test_built_here_gives_tf_bytes():
    assert _example().SerializeToString(deterministic=True) == TF_EXAMPLE
    assert ex.Example.FromString(_example().SerializeToString()) == _example()


def test_sequence_example_tf_bytes():
    seq = ex.SequenceExample.FromString(TF_SEQUENCE)
    assert list(seq.context.feature["len"].int64_list.value) == [2]
    steps = seq.feature_lists.feature_list["tok"].feature
    assert [list(s.bytes_list.value) for s in steps] == [[b"a"], [b"b", b"c"]]
    built = ex.SequenceExample(
        context=ex.Features(feature={"len": ex.Feature(int64_list=ex.Int64List(value=[2]))}),
        feature_lists=ex.FeatureLists(feature_list={"tok": ex.FeatureList(feature=[
            ex.Feature(bytes_list=ex.BytesList(value=[b"a"])),
            ex.Feature(bytes_list=ex.BytesList(value=[b"b", b"c"]))])}))
    assert built.SerializeToString(deterministic=True) == TF_SEQUENCE


def test_schema_is_tfs():
    assert ex.Example.DESCRIPTOR.full_name == "tensorflow.Example"
    assert ex.Feature.DESCRIPTOR.file.name == "tensorflow/core/example/feature.proto"
    kinds = [(f.name, f.number) for f in ex.Feature.DESCRIPTOR.oneofs_by_name["kind"].fields]
    assert kinds == [("bytes_list", 1), ("float_list", 2), ("int64_list", 3)]
    # FloatList and Int64List are packed, as TF declares them: [1.0, 2.0] is one length-delimited field
    assert ex.FloatList(value=[1.0, 2.0]).SerializeToString() == b"\n\x08\x00\x00\x80?\x00\x00\x00@"
    assert ex.Int64List(value=[1, 2]).SerializeToString() == b"\n\x02\x01\x02"


def test_oneof_and_map_behave_as_tfs():
    f = ex.Feature(float_list=ex.FloatList(value=[1.0]))
    f.int64_list.value.append(3)  # setting another kind clears the first
    assert f.WhichOneof("kind") == "int64_list"
    with pytest.raises(TypeError):
        ex.Int64List(value=[1.5])
    assert ex.Example().SerializeToString() == b""
