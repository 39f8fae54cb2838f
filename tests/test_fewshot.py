"""Few-shot learning: honest episodes, MedMNIST-format files, algorithms that learn."""

import numpy as np
import pandas as pd
import pytest

from metamed.errors import MetamedError
from metamed.fewshot.episodes import (
    EpisodeSampler,
    MetaDataset,
    Shift,
    rotated_classes,
    split_by_class,
    split_by_task,
)
from metamed.fewshot.sources import load_source, npz_data, read_npz, table_data


def blobs(n_classes: int = 12, per_class: int = 30, dim: int = 8, spread: float = 0.3,
          seed: int = 0) -> MetaDataset:
    """Easy synthetic data: each class a tight Gaussian blob around its own centre."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_classes, dim))
    y = np.repeat(np.arange(n_classes), per_class)
    X = (centres[y] + spread * rng.normal(size=(len(y), dim))).astype(np.float32)
    return MetaDataset(X, y)


def test_class_split_shares_no_class_and_no_row():
    splits = split_by_class(blobs(), n_test=5, n_val=3, seed=1)
    classes = [set(s.classes) for s in splits.values()]
    rows = [set(s.rows) for s in splits.values()]
    for a in range(3):
        for b in range(a + 1, 3):
            assert not classes[a] & classes[b] and not rows[a] & rows[b]
    assert sum(len(r) for r in rows) == 12 * 30
    assert [len(c) for c in classes] == [4, 3, 5]


def test_task_split_keeps_each_site_whole():
    data = blobs()
    data = MetaDataset(data.X, data.y, tasks=data.y % 6)  # six "sites", two classes each
    splits = split_by_task(data, n_test=2, n_val=1, seed=0)
    sites = [set(s.tasks) for s in splits.values()]
    assert [len(s) for s in sites] == [3, 1, 2]
    assert not (sites[0] & sites[2]) and not set(splits["train"].rows) & set(splits["test"].rows)


def test_episode_shapes_labels_and_disjoint_support_query():
    sampler = EpisodeSampler(blobs(), ways=5, shots=3, queries=4, seed=0)
    for episode in sampler.episodes(20):
        assert episode.support_x.shape == (15, 8) and episode.query_x.shape == (20, 8)
        assert sorted(np.bincount(episode.support_y)) == [3] * 5
        assert sorted(np.bincount(episode.query_y)) == [4] * 5
        assert not set(episode.support_rows) & set(episode.query_rows)
        assert len(set(episode.classes)) == 5


def test_episodes_are_reproducible_per_seed_and_index():
    a = EpisodeSampler(blobs(), 5, 1, 5, seed=3)
    b = EpisodeSampler(blobs(), 5, 1, 5, seed=3)
    c = EpisodeSampler(blobs(), 5, 1, 5, seed=4)
    assert np.array_equal(a.episode(7).query_rows, b.episode(7).query_rows)
    assert np.array_equal(a.episode(7).support_x, list(b.episodes(1, start=7))[0].support_x)
    assert not np.array_equal(a.episode(7).query_rows, c.episode(7).query_rows)


def test_a_class_too_small_for_shots_plus_queries_is_named():
    data = blobs()
    small = data.take((data.y != 3) | (np.arange(len(data.y)) % 30 < 12))  # class 3: 12 rows
    EpisodeSampler(small, ways=5, shots=2, queries=10)
    with pytest.raises(MetamedError, match="class '3' has 12 rows; a 5-shot episode with 10 "
                                           "queries needs 15"):
        EpisodeSampler(small, ways=5, shots=5, queries=10)


def test_too_few_classes_for_a_class_split_is_explained():
    with pytest.raises(MetamedError, match="needs at least 7 classes"):
        split_by_class(blobs(n_classes=6), n_test=5)


def write_npz(path, n_classes=6, per_class=25, channels=None, multilabel=False):
    """A small MedMNIST-format file: uint8 28x28 images, labels of shape (n, 1)."""
    rng = np.random.default_rng(0)
    parts = {}
    for i, part in enumerate(("train", "val", "test")):
        y = np.repeat(np.arange(n_classes), per_class // 3 + (i == 0) * (per_class % 3))
        shape = (len(y), 28, 28) + ((channels,) if channels else ())
        parts[f"{part}_images"] = rng.integers(0, 256, shape, dtype=np.uint8)
        parts[f"{part}_labels"] = (rng.integers(0, 2, (len(y), 3)) if multilabel
                                   else y[:, None])
    np.savez(path, **parts)


def test_npz_loader_pools_official_parts_and_splits_by_class(tmp_path):
    write_npz(tmp_path / "tinymnist.npz", channels=3)
    images, labels = read_npz(tmp_path / "tinymnist.npz")
    assert images.shape == (150, 3, 28, 28) and images.dtype == np.float32
    assert 0 <= images.min() and images.max() <= 1 and np.bincount(labels).tolist() == [25] * 6
    data = npz_data(tmp_path / "tinymnist.npz", ways=2)
    assert data.input_shape == (3, 28, 28)
    assert not set(data.splits["train"].classes) & set(data.splits["test"].classes)


def test_npz_loader_explains_missing_keys_and_multilabel(tmp_path):
    np.savez(tmp_path / "bad.npz", train_images=np.zeros((2, 28, 28)))
    with pytest.raises(MetamedError, match="lacks the MedMNIST keys train_labels"):
        read_npz(tmp_path / "bad.npz")
    write_npz(tmp_path / "chest.npz", multilabel=True)
    with pytest.raises(MetamedError, match="multi-label"):
        read_npz(tmp_path / "chest.npz")


def test_table_by_site_encodes_with_meta_train_statistics_only(tmp_path):
    rng = np.random.default_rng(0)
    n = 600
    frame = pd.DataFrame({"age": rng.normal(50, 10, n), "sex": rng.choice(["f", "m"], n),
                          "site": np.repeat([f"s{i}" for i in range(6)], 100),
                          "dx": rng.choice(["a", "b", "c"], n)})
    frame.loc[::7, "age"] = np.nan
    frame.to_csv(tmp_path / "sites.csv", index=False)
    data = table_data(tmp_path / "sites.csv", "dx", ways=2, task_column="site")
    train = data.splits["train"]
    assert data.input_shape == (3,)  # age + one-hot sex; the site column is not a feature
    assert abs(train.X[:, 0].mean()) < 1e-5 and abs(train.X[:, 0].std() - 1) < 1e-3
    assert not set(train.tasks) & set(data.splits["test"].tasks)


def test_unknown_source_is_one_sentence():
    with pytest.raises(MetamedError, match="not one of digits, corpus:SLUG"):
        load_source("imagenet", ways=5)
def test_rotated_classes_are_new_classes_of_the_same_meta_train_rows():
    rng = np.random.default_rng(0)
    images = MetaDataset(rng.random((6, 1, 4, 4)), np.array([0, 0, 1, 1, 3, 3]),
                         class_names=("a", "b", "c", "d"), rows=np.arange(10, 16))
    turned = rotated_classes(images, (90, 270))
    assert len(turned.y) == 18 and len(turned.classes) == 9
    assert set(turned.rows) == set(images.rows)
    assert np.array_equal(turned.X[6 + 2], np.rot90(images.X[2], 1, axes=(1, 2)))
    assert np.array_equal(turned.X[12 + 2], np.rot90(images.X[2], 3, axes=(1, 2)))
    assert turned.y[6 + 2] == 1 + 4 and turned.class_names[turned.y[6 + 2]] == "b turned 90°"
    assert turned.class_names[turned.y[12 + 4]] == "d turned 270°"
    with pytest.raises(MetamedError, match="square images"):
        rotated_classes(blobs())
    with pytest.raises(MetamedError, match="90, 180 or 270"):
        rotated_classes(images, (45,))


@pytest.mark.parametrize("seed", [0, 1])
def test_rotations_touch_only_the_meta_train_split_and_never_reuse_a_class_id(seed):
    plain = load_source("digits", 5, seed=seed)
    turned = load_source("digits", 5, seed=seed, rotations=(90, 180, 270))
    train, test = turned.splits["train"], turned.splits["test"]
    assert len(train.classes) == 4 * len(plain.splits["train"].classes)
    assert np.array_equal(test.X, plain.splits["test"].X)
    assert not set(train.classes) & set(test.classes)
    assert not set(train.rows) & set(test.rows)
    name = train.class_names[train.classes[-1]]  # the last class: a digit turned 270°
    assert name.endswith("turned 270°") and int(name.split()[0]) in plain.splits["train"].classes


def test_shift_moves_each_image_at_most_a_pixel_and_keeps_its_shape():
    images = np.zeros((200, 1, 5, 5), dtype=np.float32)
    images[:, 0, 2, 2] = 1.0  # one lit pixel in the centre
    shifted = Shift(1)(images, np.random.default_rng(0))
    assert shifted.shape == images.shape and shifted.dtype == images.dtype
    lit = np.argwhere(shifted[:, 0] == 1.0)
    assert len(lit) == 200 and np.all(np.abs(lit[:, 1:] - 2) <= 1)  # one lit pixel each
    assert len({tuple(p) for p in lit[:, 1:]}) == 9  # every offset in -1..1 x -1..1 occurs
    with pytest.raises(MetamedError, match="needs images"):
        Shift(1)(blobs().X, np.random.default_rng(0))
    with pytest.raises(MetamedError, match="0 or more"):
        Shift(-1)


def test_augmented_episodes_keep_their_classes_and_rows_and_repeat():
    digits = load_source("digits", 5).splits["train"]
    plain = EpisodeSampler(digits, 5, 5, 5, seed=2)
    shifted = EpisodeSampler(digits, 5, 5, 5, seed=2, augment=Shift(1))
    a, b, again = plain.episode(7), shifted.episode(7), shifted.episode(7)
    assert a.classes == b.classes and np.array_equal(a.query_rows, b.query_rows)
    assert not np.array_equal(a.support_x, b.support_x)
    assert np.array_equal(b.support_x, again.support_x)
    three_way = shifted.with_ways(3)
    assert three_way.ways == 3 and three_way.augment is shifted.augment and three_way.seed == 2


def test_only_the_meta_train_sampler_is_augmented():
    from metamed.fewshot.compare import samplers

    train, test = samplers(load_source("digits", 5), 5, 5, 15, seed=0, augment=Shift(1))
    assert train.augment == Shift(1) and test.augment is None


# --- algorithms (torch) --------------------------------------------------------------


def hidden_signal(n_classes: int = 16, per_class: int = 30, seed: int = 0) -> MetaDataset:
    """Classes differ in 4 of 20 columns; 16 noisy columns swamp an untrained network.

    What a meta-learner must learn from the meta-train classes is which
    columns matter; that carries over to new classes, so training must help.
    """
    rng = np.random.default_rng(seed)
    centres = np.hstack([2 * rng.normal(size=(n_classes, 4)), np.zeros((n_classes, 16))])
    y = np.repeat(np.arange(n_classes), per_class)
    scale = np.r_[np.full(4, 0.3), np.full(16, 2.0)]
    return MetaDataset((centres[y] + scale * rng.normal(size=centres[y].shape)).astype("f4"), y)


@pytest.fixture(scope="module")
def hidden_episodes():
    """Meta-train and meta-test samplers (disjoint classes) of :func:`hidden_signal`."""
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    splits = split_by_class(hidden_signal(), n_test=5, seed=0)
    return (EpisodeSampler(splits["train"], 5, 5, 5, seed=0),
            EpisodeSampler(splits["test"], 5, 5, 5, seed=1))


@pytest.fixture(scope="module")
def easy_episodes():
    """Meta-train and meta-test samplers over disjoint classes of easy blobs."""
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    splits = split_by_class(blobs(n_classes=16, spread=0.2), n_test=5, seed=0)
    return (EpisodeSampler(splits["train"], 5, 5, 5, seed=0),
            EpisodeSampler(splits["test"], 5, 5, 5, seed=1))


@pytest.mark.parametrize("algo", ["protonet", "maml", "fomaml", "reptile", "finetune"])
def test_each_algorithm_learns_what_carries_over_to_new_classes(hidden_episodes, algo):
    from metamed.fewshot.api import make_learner

    train, test = hidden_episodes
    untrained = make_learner(algo, iterations=1, hidden=32, device="cpu").fit(train)
    trained = make_learner(algo, iterations=80, hidden=32, device="cpu").fit(train)
    before, after = (m.evaluate(test, n_episodes=30).mean for m in (untrained, trained))
    assert after > 0.42 and after > before + 0.1, f"{algo}: {before:.2f} -> {after:.2f}"


def test_conv_encoder_pools_tiny_images_down_to_a_4x4_map_and_no_further():
    torch = pytest.importorskip("torch")
    from metamed.fewshot.encoders import ConvNet

    for size, side in ((8, 4), (28, 3), (84, 5)):
        net = ConvNet(1, size, hidden=8)
        out = net(torch.zeros(2, 1, size, size))
        assert out.shape == (2, net.out_features) == (2, 8 * side * side)


def test_protonet_meta_trains_with_more_ways_than_it_is_tested_on(easy_episodes):
    from metamed.fewshot.protonet import ProtoNet

    train, test = easy_episodes
    net = ProtoNet(iterations=2, hidden=16, train_ways=8, device="cpu").fit(train)
    assert net.ways_ == 8 and net.predict(test.episode(0)).shape == (25,)
    capped = ProtoNet(iterations=1, hidden=16, train_ways=60, device="cpu").fit(train)
    assert capped.ways_ == len(train.data.classes) == 11


def test_a_saved_model_predicts_the_same_after_loading_and_an_older_one_is_refused(
        easy_episodes, tmp_path):
    import torch

    from metamed.fewshot.api import load_learner, make_learner, save_learner

    train, test = easy_episodes
    net = make_learner("maml", iterations=3, hidden=16, device="cpu").fit(train)
    save_learner(net, tmp_path / "m.pt", {"source": "blobs"})
    loaded, source = load_learner(tmp_path / "m.pt", device="cpu")
    episode = test.episode(0)
    assert source == {"source": "blobs"} and loaded.first_order is False
    assert np.array_equal(loaded.predict(episode), net.predict(episode))
    older = torch.load(tmp_path / "m.pt", weights_only=True) | {"format": 1}
    torch.save(older, tmp_path / "old.pt")
    with pytest.raises(MetamedError, match="model format 1, this one reads"):
        load_learner(tmp_path / "old.pt")


def test_support_only_baselines_need_no_meta_training(easy_episodes):
    from metamed.fewshot.baselines import SupportKNN, SupportLogReg

    _, test = easy_episodes
    for baseline in (SupportKNN(), SupportLogReg()):
        assert baseline.fit().evaluate(test, n_episodes=20).mean > 0.9


class _AlwaysFirstClass:
    def predict(self, episode):
        return np.zeros(len(episode.query_y), dtype=int)


def test_paired_difference_is_episode_by_episode(easy_episodes):
    from metamed.fewshot.base import paired_difference, score_episodes
    from metamed.fewshot.baselines import SupportKNN

    _, test = easy_episodes
    knn, first = (score_episodes(m, test, 30) for m in (SupportKNN(), _AlwaysFirstClass()))
    gap = paired_difference(knn, first)
    assert np.allclose(gap.accuracies, knn.accuracies - 0.2)  # 5-way: class 0 is a fifth
    assert gap.mean == pytest.approx(knn.mean - 0.2) and gap.ci95 == pytest.approx(knn.ci95)
    assert paired_difference(knn, knn).ci95 == 0.0
    with pytest.raises(MetamedError, match="same episodes"):
        paired_difference(knn, score_episodes(SupportKNN(), test, 20))


def test_without_torch_the_user_gets_the_install_line(monkeypatch):
    from metamed.fewshot import require_torch

    monkeypatch.setitem(__import__("sys").modules, "torch", None)
    with pytest.raises(MetamedError, match=r"pip install 'metamed\[fewshot\]'"):
        require_torch()


def test_cli_trains_saves_and_compares_on_a_medmnist_file(tmp_path, capsys, monkeypatch):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    from metamed.cli import main
    from metamed.fewshot import compare

    augments = []

    def recording_compare(*args, **kwargs):
        augments.append(kwargs["augment"])
        return real_compare(*args, **kwargs)

    real_compare = compare.compare
    monkeypatch.setattr(compare, "compare", recording_compare)

    write_npz(tmp_path / "tiny.npz", n_classes=6, per_class=30)
    model = tmp_path / "proto.pt"
    main(["fewshot", "train", "--source", f"npz:{tmp_path / 'tiny.npz'}", "--ways", "2",
          "--shots", "1", "--queries", "5", "--iterations", "2", "--rotations", "90,270",
          "--shift", "1", "--width", "16", "--train-ways", "3", "--out", str(model)])
    main(["fewshot", "eval", str(model), "--episodes", "20", "--iterations", "2"])
    printed = capsys.readouterr().out
    assert model.exists() and "saved to" in printed and "also turned 90°, 270°" in printed
    assert augments == [Shift(1)]  # eval's fine-tuned baseline shifts like the saved model did
    assert torch.load(model, weights_only=True)["params"]["hidden"] == 16
    for method in ("saved model", "logreg", "knn", "finetune"):
        assert method in printed


def test_train_ways_belongs_to_protonet_only(run_cli):
    pytest.importorskip("torch")
    code, _, err = run_cli("fewshot", "train", "--algo", "maml", "--train-ways", "10")
    assert code == 2 and "--train-ways is ProtoNet's" in err


def test_shift_is_refused_for_a_table(run_cli):
    pytest.importorskip("torch")
    code, _, err = run_cli("fewshot", "train", "--source", "corpus:multgee_arthritis",
                           "--ways", "2", "--shift", "1")
    assert code == 2 and "--shift moves image pixels" in err
