"""What cnnstudio knows about the standard datasets: files, mirrors, checksums, class names.

Checksums are the SHA-256 of the files as published by the datasets' authors (the same
values TensorFlow Datasets pins); sizes only serve the overall download progress.
"""

from __future__ import annotations

import dataclasses
from typing import Literal


@dataclasses.dataclass(frozen=True)
class RemoteFile:
    """One file to fetch: ``name`` is both its name on every mirror and on disk."""

    name: str
    sha256: str
    size: int


@dataclasses.dataclass(frozen=True)
class StandardDataset:
    """A published dataset: how it is stored, where it is mirrored, what its labels mean.

    ``archive_folder`` is set for datasets published as a ``.tar.gz``: the folder inside the
    archive (and on disk after extraction) that holds ``data_files``.
    """

    name: str
    title: str
    layout: Literal["idx", "cifar10", "cifar100"]
    class_names: tuple[str, ...]
    mirrors: tuple[str, ...]
    files: tuple[RemoteFile, ...]
    data_files: tuple[str, ...]
    archive_folder: str | None = None


_IDX_NAMES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


def _idx_files(sizes_and_hashes: tuple[tuple[int, str], ...]) -> tuple[RemoteFile, ...]:
    return tuple(
        RemoteFile(f"{stem}.gz", sha, size)
        for stem, (size, sha) in zip(_IDX_NAMES, sizes_and_hashes, strict=True)
    )


_CIFAR100_FINE = (
    "apple",
    "aquarium_fish",
    "baby",
    "bear",
    "beaver",
    "bed",
    "bee",
    "beetle",
    "bicycle",
    "bottle",
    "bowl",
    "boy",
    "bridge",
    "bus",
    "butterfly",
    "camel",
    "can",
    "castle",
    "caterpillar",
    "cattle",
    "chair",
    "chimpanzee",
    "clock",
    "cloud",
    "cockroach",
    "couch",
    "crab",
    "crocodile",
    "cup",
    "dinosaur",
    "dolphin",
    "elephant",
    "flatfish",
    "forest",
    "fox",
    "girl",
    "hamster",
    "house",
    "kangaroo",
    "keyboard",
    "lamp",
    "lawn_mower",
    "leopard",
    "lion",
    "lizard",
    "lobster",
    "man",
    "maple_tree",
    "motorcycle",
    "mountain",
    "mouse",
    "mushroom",
    "oak_tree",
    "orange",
    "orchid",
    "otter",
    "palm_tree",
    "pear",
    "pickup_truck",
    "pine_tree",
    "plain",
    "plate",
    "poppy",
    "porcupine",
    "possum",
    "rabbit",
    "raccoon",
    "ray",
    "road",
    "rocket",
    "rose",
    "sea",
    "seal",
    "shark",
    "shrew",
    "skunk",
    "skyscraper",
    "snail",
    "snake",
    "spider",
    "squirrel",
    "streetcar",
    "sunflower",
    "sweet_pepper",
    "table",
    "tank",
    "telephone",
    "television",
    "tiger",
    "tractor",
    "train",
    "trout",
    "tulip",
    "turtle",
    "wardrobe",
    "whale",
    "willow_tree",
    "wolf",
    "woman",
    "worm",
)

STANDARD_DATASETS: dict[str, StandardDataset] = {
    d.name: d
    for d in (
        StandardDataset(
            name="mnist",
            title="MNIST",
            layout="idx",
            class_names=tuple(str(i) for i in range(10)),
            mirrors=(
                "https://ossci-datasets.s3.amazonaws.com/mnist/",
                "https://storage.googleapis.com/cvdf-datasets/mnist/",
                "http://yann.lecun.com/exdb/mnist/",
            ),
            files=_idx_files(
                (
                    (9912422, "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
                    (28881, "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
                    (1648877, "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
                    (4542, "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
                )
            ),
            data_files=tuple(f"{stem}.gz" for stem in _IDX_NAMES),
        ),
        StandardDataset(
            name="fashion-mnist",
            title="Fashion-MNIST",
            layout="idx",
            class_names=(
                "T-shirt/top",
                "Trouser",
                "Pullover",
                "Dress",
                "Coat",
                "Sandal",
                "Shirt",
                "Sneaker",
                "Bag",
                "Ankle boot",
            ),
            mirrors=(
                "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
            ),
            files=_idx_files(
                (
                    (26421880, "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"),
                    (29515, "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
                    (4422102, "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"),
                    (5148, "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"),
                )
            ),
            data_files=tuple(f"{stem}.gz" for stem in _IDX_NAMES),
        ),
        StandardDataset(
            name="kmnist",
            title="Kuzushiji-MNIST",
            layout="idx",
            class_names=(
                "o (お)",
                "ki (き)",
                "su (す)",
                "tsu (つ)",
                "na (な)",
                "ha (は)",
                "ma (ま)",
                "ya (や)",
                "re (れ)",
                "wo (を)",
            ),
            mirrors=(
                "https://codh.rois.ac.jp/kmnist/dataset/kmnist/",
                "http://codh.rois.ac.jp/kmnist/dataset/kmnist/",
            ),
            files=_idx_files(
                (
                    (18165135, "51467d22d8cc72929e2a028a0428f2086b092bb31cfb79c69cc0a90ce135fde4"),
                    (29497, "e38f9ebcd0f3ebcdec7fc8eabdcdaef93bb0df8ea12bee65224341c8183d8e17"),
                    (3041136, "edd7a857845ad6bb1d0ba43fe7e794d164fe2dce499a1694695a792adfac43c5"),
                    (5120, "20bb9a0ef54c7db3efc55a92eef5582c109615df22683c380526788f98e42a1c"),
                )
            ),
            data_files=tuple(f"{stem}.gz" for stem in _IDX_NAMES),
        ),
        StandardDataset(
            name="cifar10",
            title="CIFAR-10",
            layout="cifar10",
            class_names=(
                "airplane",
                "automobile",
                "bird",
                "cat",
                "deer",
                "dog",
                "frog",
                "horse",
                "ship",
                "truck",
            ),
            mirrors=("https://www.cs.toronto.edu/~kriz/",),
            files=(
                RemoteFile(
                    "cifar-10-binary.tar.gz",
                    "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
                    170052171,
                ),
            ),
            data_files=(*(f"data_batch_{i}.bin" for i in range(1, 6)), "test_batch.bin"),
            archive_folder="cifar-10-batches-bin",
        ),
        StandardDataset(
            name="cifar100",
            title="CIFAR-100",
            layout="cifar100",
            class_names=_CIFAR100_FINE,
            mirrors=("https://www.cs.toronto.edu/~kriz/",),
            files=(
                RemoteFile(
                    "cifar-100-binary.tar.gz",
                    "58a81ae192c23a4be8b1804d68e518ed807d710a4eb253b1f2a199162a40d8ec",
                    168513733,
                ),
            ),
            data_files=("train.bin", "test.bin"),
            archive_folder="cifar-100-binary",
        ),
    )
}
