"""genaug.cache: keys, atomic writes, safe loading, recovery from corrupt files."""

import json
import multiprocessing
import os
import time
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from torch import nn

from genaug import cache


@dataclass
class TinyConfig:
    hidden: int = 4
    seed: int = 0


def _train_counter(calls):
    def train(model, checkpoint):
        calls.append(checkpoint)
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.fill_(len(calls))
        return {"loss": [1.0, 0.5], "calls": len(calls)}

    return train


def test_trains_once_then_loads(fresh_cache):
    calls = []
    first = cache.load_or_train("tiny", TinyConfig(), nn.Linear(3, 4), _train_counter(calls))
    assert not first.loaded and len(calls) == 1
    assert first.path.parent == fresh_cache and first.path.suffix == ".safetensors"
    second = cache.load_or_train("tiny", TinyConfig(), nn.Linear(3, 4), _train_counter(calls))
    assert second.loaded and len(calls) == 1
    assert torch.equal(second.model.weight, first.model.weight)
    assert second.history == {"loss": [1.0, 0.5], "calls": 1}


def test_key_depends_on_config_and_profile(monkeypatch):
    base = cache.cache_path("tiny", TinyConfig())
    assert cache.cache_path("tiny", TinyConfig(hidden=5)) != base
    assert cache.cache_path("tiny", {"hidden": 4, "seed": 0}) == base  # dataclass == mapping
    monkeypatch.setenv("GENAUG_PROFILE", "cpu")
    assert cache.cache_path("tiny", TinyConfig()) != base
    assert cache.cache_path("tiny", TinyConfig(), profile="smoke") == base


def test_truncated_file_is_retrained_with_a_warning():
    calls = []
    result = cache.load_or_train("tiny", TinyConfig(), nn.Linear(3, 4), _train_counter(calls))
    data = result.path.read_bytes()
    result.path.write_bytes(data[: len(data) // 2])
    with pytest.warns(UserWarning, match="unusable"):
        again = cache.load_or_train("tiny", TinyConfig(), nn.Linear(3, 4), _train_counter(calls))
    assert not again.loaded and len(calls) == 2
    reloaded = cache.load_or_train("tiny", TinyConfig(), nn.Linear(3, 4), _train_counter(calls))
    assert reloaded.loaded and len(calls) == 2


def test_mismatched_architecture_is_retrained():
    calls = []
    cache.load_or_train("tiny", TinyConfig(), nn.Linear(3, 4), _train_counter(calls))
    model = nn.Linear(3, 5)
    before = model.weight.clone()
    with pytest.warns(UserWarning, match="keys or shapes differ"):
        result = cache.load_or_train("tiny", TinyConfig(), model, _train_counter(calls))
    assert not result.loaded and len(calls) == 2
    assert not torch.equal(before, model.weight)  # trained, not half-loaded


def test_atomic_write_leaves_no_partial_file(tmp_path):
    target = tmp_path / "weights.bin"
    target.write_bytes(b"old")

    def crash(tmp):
        tmp.write_bytes(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cache.atomic_write(target, crash)
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["weights.bin"]


def test_weights_are_not_pickled(fresh_cache):
    result = cache.load_or_train("tiny", TinyConfig(), nn.Linear(3, 4), _train_counter([]))
    assert result.path.read_bytes()[8:9] == b"{"  # safetensors: 8-byte length, JSON header
    with pytest.raises(ValueError, match="cannot load"):
        evil = result.path.with_name("evil.safetensors")
        torch.save({"weight": torch.zeros(4, 3)}, evil)  # a pickle, not safetensors
        cache.load_weights(nn.Linear(3, 4), evil)


@pytest.mark.parametrize("name", ["", "Has Space", "../escape", "UPPER"])
def test_bad_names(name):
    with pytest.raises(ValueError, match="cache name"):
        cache.cache_path(name, TinyConfig())


def test_bad_config_and_arguments():
    with pytest.raises(TypeError, match="dataclass instance or a mapping"):
        cache.config_hash([1, 2])
    with pytest.raises(TypeError, match="JSON serialisable"):
        cache.config_hash({"tensor": torch.zeros(1)})
    with pytest.raises(TypeError, match="nn.Module"):
        cache.load_or_train("tiny", TinyConfig(), "model", _train_counter([]))
    with pytest.raises(TypeError, match="callable"):
        cache.load_or_train("tiny", TinyConfig(), nn.Linear(1, 1), None)
    with pytest.raises(FileNotFoundError):
        cache.load_weights(nn.Linear(1, 1), cache.cache_dir() / "missing.safetensors")


def _data_offset(path):
    """Where the tensor bytes start in a safetensors file (after the JSON header)."""
    return 8 + int.from_bytes(path.read_bytes()[:8], "little")


def test_checksum_of_the_tensors_is_stored_in_the_header():
    result = cache.load_or_train("tiny", TinyConfig(), nn.Linear(3, 4), _train_counter([]))
    header_len = int.from_bytes(result.path.read_bytes()[:8], "little")
    header = json.loads(result.path.read_bytes()[8 : 8 + header_len])
    checksum = header["__metadata__"]["sha256"]
    assert len(checksum) == 64 and int(checksum, 16) >= 0
    loaded = nn.Linear(3, 4)
    metadata = cache.load_weights(loaded, result.path)
    assert metadata.pop("sha256") == checksum and set(metadata) == {"history", "config"}
    assert cache.checksum(loaded.state_dict(), metadata) == checksum  # tensors and metadata


def test_changed_history_in_the_header_is_retrained_with_a_warning():
    calls = []
    result = cache.load_or_train("tiny", TinyConfig(), nn.Linear(3, 4), _train_counter(calls))
    data = result.path.read_bytes()
    assert data.count(b"0.5") == 1
    result.path.write_bytes(data.replace(b"0.5", b"0.7"))  # still valid JSON, same length
    with pytest.warns(UserWarning, match="checksum mismatch"):
        again = cache.load_or_train("tiny", TinyConfig(), nn.Linear(3, 4), _train_counter(calls))
    assert not again.loaded and again.history["loss"] == [1.0, 0.5]


@pytest.mark.parametrize("where", [0, -1])  # first and last byte of the tensor data
def test_flipped_byte_in_tensor_data_is_retrained_with_a_warning(where):
    calls = []
    result = cache.load_or_train("tiny", TinyConfig(), nn.Linear(3, 4), _train_counter(calls))
    data = bytearray(result.path.read_bytes())
    index = _data_offset(result.path) if where == 0 else len(data) - 1
    data[index] ^= 0x01  # a plausible weight still: only the lowest mantissa bit changes
    result.path.write_bytes(bytes(data))
    model = nn.Linear(3, 4)
    before = model.weight.detach().clone()
    with pytest.warns(UserWarning, match="checksum mismatch"):
        again = cache.load_or_train("tiny", TinyConfig(), model, _train_counter(calls))
    assert not again.loaded and len(calls) == 2
    assert torch.all(model.weight == 2.0) and not torch.equal(model.weight, before)
    assert cache.load_or_train("tiny", TinyConfig(), nn.Linear(3, 4), _train_counter(calls)).loaded


def test_nan_weight_is_retrained_with_a_warning():
    calls = []
    broken = nn.Linear(3, 4)
    with torch.no_grad():
        broken.weight[1, 2] = float("nan")
    path = cache.cache_path("tiny", TinyConfig())
    cache.save_weights(broken, path, metadata={"history": "{}"})  # a valid checksum over a NaN
    with pytest.warns(UserWarning, match="non-finite"):
        result = cache.load_or_train("tiny", TinyConfig(), nn.Linear(3, 4), _train_counter(calls))
    assert not result.loaded and len(calls) == 1
    assert torch.isfinite(result.model.weight).all()
    assert cache.load_or_train("tiny", TinyConfig(), nn.Linear(3, 4), _train_counter(calls)).loaded


def test_file_without_checksum_is_retrained_with_a_warning():
    from safetensors.torch import save_file

    path = cache.cache_path("tiny", TinyConfig())
    save_file(dict(nn.Linear(3, 4).state_dict()), str(path), metadata={"history": "{}"})
    model = nn.Linear(3, 4)
    with pytest.raises(ValueError, match="no checksum"):
        cache.load_weights(model, path)
    with pytest.warns(UserWarning, match="no checksum"):
        result = cache.load_or_train("tiny", TinyConfig(), model, _train_counter([]))
    assert not result.loaded


def test_failed_load_leaves_the_module_untouched():
    path = cache.cache_path("tiny", TinyConfig())
    broken = nn.Linear(3, 4)
    with torch.no_grad():
        broken.bias.fill_(float("inf"))
    cache.save_weights(broken, path)
    model = nn.Linear(3, 4)
    before = {key: value.clone() for key, value in model.state_dict().items()}
    with pytest.raises(ValueError, match="non-finite"):
        cache.load_weights(model, path)
    assert all(torch.equal(before[key], value) for key, value in model.state_dict().items())


def test_data_hash_tells_apart_subsets_of_equal_size_and_label_sum():
    generator = torch.Generator().manual_seed(0)
    images = torch.rand(4, 1, 8, 8, generator=generator)
    labels = torch.tensor([0, 1, 2, 3])
    first, second = torch.tensor([0, 3]), torch.tensor([1, 2])  # 2 images, label sum 3 each
    assert len(first) == len(second) and labels[first].sum() == labels[second].sum()
    hash_first = cache.data_hash(images[first], labels[first])
    assert hash_first != cache.data_hash(images[second], labels[second])
    assert hash_first == cache.data_hash(images[first].clone(), labels[first].clone())
    assert len(hash_first) == 16 and int(hash_first, 16) >= 0


def test_data_hash_sees_dtype_shape_order_and_plain_values():
    values = torch.arange(6, dtype=torch.float32)
    base = cache.data_hash(values)
    assert cache.data_hash(values.double()) != base
    assert cache.data_hash(values.reshape(2, 3)) != base
    assert cache.data_hash(values.flip(0)) != base
    assert cache.data_hash(values.numpy()) == cache.data_hash(values.numpy().copy())
    assert cache.data_hash(values.reshape(3, 2).t()) == cache.data_hash(
        values.reshape(3, 2).t().contiguous()
    )  # memory layout does not matter, only the values
    assert cache.data_hash(values, "ae-1.safetensors") != cache.data_hash(
        values, "ae-2.safetensors"
    )
    assert cache.data_hash([1]) != cache.data_hash(["1"]) != cache.data_hash([True])
    assert cache.data_hash({"a": 1, "b": 2}) == cache.data_hash({"b": 2, "a": 1})
    assert cache.data_hash({0: values, "lr": 0.1}) != cache.data_hash({1: values, "lr": 0.1})
    assert cache.checksum(values).startswith(base) and len(cache.checksum(values)) == 64
    with pytest.raises(TypeError, match="data_hash hashes tensors, arrays"):
        cache.data_hash(nn.Linear(1, 1))


def _count_and_fill(count_file):
    """A train_fn that records each call in ``count_file`` and fills weights with the pid."""

    def train(model, checkpoint):
        with open(count_file, "a") as handle:
            handle.write(f"{os.getpid()}\n")
        time.sleep(1.0)  # long enough for the other process to arrive and wait
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.fill_(os.getpid())
        return {"pid": os.getpid()}

    return train


def _ask_for_tiny(count_file, barrier, results):
    torch.set_num_threads(1)
    barrier.wait()  # both processes ask for the key at the same moment
    result = cache.load_or_train("tiny", TinyConfig(), nn.Linear(3, 4), _count_and_fill(count_file))
    results.put((result.loaded, result.model.weight.tolist(), result.history))


def test_two_processes_asking_for_one_key_train_once(fresh_cache, tmp_path):
    context = multiprocessing.get_context("spawn")  # inherits GENAUG_CACHE=fresh_cache
    count_file = tmp_path / "train-calls.txt"
    barrier, results = context.Barrier(2), context.Queue()
    processes = [
        context.Process(target=_ask_for_tiny, args=(str(count_file), barrier, results))
        for _ in range(2)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert len(count_file.read_text().splitlines()) == 1  # trained exactly once
    assert sorted(loaded for loaded, _, _ in outcomes) == [False, True]
    assert outcomes[0][1] == outcomes[1][1] and outcomes[0][2] == outcomes[1][2]
    assert cache.cache_path("tiny", TinyConfig()).parent == fresh_cache
    assert cache.cache_path("tiny", TinyConfig()).exists()


def test_train_fn_returning_a_non_mapping_is_a_type_error():
    def returns_list(model, checkpoint):
        return [1.0, 0.5]

    with pytest.raises(TypeError, match="train_fn must return a mapping"):
        cache.load_or_train("tiny", TinyConfig(), nn.Linear(3, 4), returns_list)
    assert not cache.cache_path("tiny", TinyConfig()).exists()  # nothing half-cached


def test_tensor_and_numpy_history_is_stored_as_numbers():
    def train(model, checkpoint):
        return {
            "loss": torch.tensor([1.0, 0.5]),
            "final": torch.tensor(0.25),
            "accuracy": np.float32(0.75),
            "counts": np.arange(3),
            "pairs": (torch.tensor(1), {"step": np.int64(2)}),
        }

    expected = {
        "loss": [1.0, 0.5],
        "final": 0.25,
        "accuracy": 0.75,
        "counts": [0, 1, 2],
        "pairs": [1, {"step": 2}],
    }
    first = cache.load_or_train("tiny", TinyConfig(), nn.Linear(3, 4), train)
    assert first.history == expected
    second = cache.load_or_train("tiny", TinyConfig(), nn.Linear(3, 4), train)
    assert second.loaded and second.history == expected
    assert torch.equal(second.model.weight, first.model.weight)


def test_history_that_cannot_be_stored_keeps_the_weights():
    def train(model, checkpoint):
        with torch.no_grad():
            model.weight.fill_(3.0)
        return {"loss": [0.5], "model": nn.Linear(1, 1)}

    with pytest.warns(UserWarning, match=r"\['model'\].*not cached \(the weights are\)"):
        first = cache.load_or_train("tiny", TinyConfig(), nn.Linear(3, 4), train)
    assert first.history == {"loss": [0.5]}
    second = cache.load_or_train("tiny", TinyConfig(), nn.Linear(3, 4), train)
    assert second.loaded and second.history == {"loss": [0.5]}
    assert torch.all(second.model.weight == 3.0)
